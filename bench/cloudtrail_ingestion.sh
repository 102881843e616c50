#!/usr/bin/env bash
# Benchmark: sustained audit ingestion under two mixed loads at concurrency 16 and 64: "api" (KMS Encrypt 1 KiB, KMS
# DescribeKey, STS GetCallerIdentity, in turn) and "api+s3" (the same plus S3 PutObject of 256 B, whose bytes are a
# file fsynced before its row commits). Every Warden call is a durable CloudTrail
# record, and a multi-Region trail with log file validation delivers them every second meanwhile. moto's server
# answers the same calls in the same run (it records no audit trail). After the load, the script reports how many
# records were stored and how long the trail took to deliver the last of them.
# Usage: bench/cloudtrail_ingestion.sh [seconds per run, default 10] [rounds, default 3]. Not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
ROUNDS=${2:-3}
# shellcheck source=lib/common.sh
source bench/lib/common.sh
python3 -c 'import moto, flask' 2>/dev/null || python3 -m pip install -q 'moto[server]==5.2.1'
swift build -c release --product warden >/dev/null 2>&1
BIN=$(pwd)/.build/release/warden
OUT=$(mktemp -d /tmp/warden-bench.XXXXXX)
WPORT=$(port)
MPORT=$(port)
$BIN serve --port "$WPORT" --data-dir "$OUT/data" --trail-delivery-interval 1 --trail-digest-interval 60 >"$OUT/server.log" 2>&1 &
WPID=$!
moto_server -p "$MPORT" >"$OUT/moto.log" 2>&1 &
MPID=$!
trap 'kill $WPID $MPID 2>/dev/null || true; rm -rf "$OUT"' EXIT
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$WPORT/_warden/health" && break; sleep 0.1; done
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$MPORT/moto-api/" && break; sleep 0.2; done

prepare() { # $1 endpoint, $2 credentials file or "-", $3 "trail" to also start a trail -> key id
python3 - "$1" "$2" "$3" <<'PY'
import sys
import boto3
sys.path.insert(0, "bench/lib")
from signed_request import credentials
endpoint, cred_file, trail = sys.argv[1:4]
c = credentials(cred_file)
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=c.access_key, aws_secret_access_key=c.secret_key)
key = boto3.client("kms", **kw).create_key()["KeyMetadata"]["KeyId"]
s3 = boto3.client("s3", **kw)
s3.create_bucket(Bucket="bench-bucket")
if trail == "trail":
    s3.create_bucket(Bucket="bench-trail")
    s3.put_bucket_policy(Bucket="bench-trail", Policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                         '"Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::bench-trail/*"}]}')
    ct = boto3.client("cloudtrail", **kw)
    ct.create_trail(Name="bench", S3BucketName="bench-trail", IsMultiRegionTrail=True, EnableLogFileValidation=True)
    ct.start_logging(Name="bench")
print(key)
PY
}

WKEY=$(prepare "http://127.0.0.1:$WPORT" "$OUT/data/credentials" trail)
MKEY=$(prepare "http://127.0.0.1:$MPORT" - none)
for mix in api api+s3; do
  B=-; [ "$mix" = "api+s3" ] && B=bench-bucket
  python3 bench/lib/mixed_requests.py "http://127.0.0.1:$WPORT" "$OUT/data/credentials" "$WKEY" "$B" > "$OUT/w-$mix.lua"
  python3 bench/lib/mixed_requests.py "http://127.0.0.1:$MPORT" - "$MKEY" "$B" > "$OUT/m-$mix.lua"
done

for _ in $(seq "$ROUNDS"); do
  for mix in api api+s3; do
    for c in 16 64; do
      measure "warden-$mix-$c" "http://127.0.0.1:$WPORT/" "$OUT/w-$mix.lua" "$c"
      measure "moto-$mix-$c" "http://127.0.0.1:$MPORT/" "$OUT/m-$mix.lua" "$c"
    done
  done
done

echo "| server | mix | concurrency | req/s (Warden: audit records/s) | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|---|"
for mix in api api+s3; do
  for c in 16 64; do
    report "Warden (SQLite, strict SigV4, trail delivering) | $mix" "warden-$mix-$c" "$c"
    report "moto_server | $mix" "moto-$mix-$c" "$c"
  done
done
echo
for mix in api api+s3; do
  for c in 16 64; do
    echo "$mix c=$c: Warden/moto = $(python3 -c "print(f'{$(median_rps "warden-$mix-$c") / $(median_rps "moto-$mix-$c"):.1f}x')")"
  done
done

# How many records the load left, and how long the trail took to deliver up to the newest of them.
python3 - "http://127.0.0.1:$WPORT" "$OUT/data" <<'PY'
import gzip, json, sqlite3, sys, time
import boto3
sys.path.insert(0, "bench/lib")
from signed_request import credentials
endpoint, data = sys.argv[1:3]
db = sqlite3.connect(f"{data}/warden.sqlite")
stored, newest = db.execute("SELECT COUNT(*), MAX(event_id) FROM audit_events").fetchone()
c = credentials(f"{data}/credentials")
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=c.access_key,
                  aws_secret_access_key=c.secret_key)
start = time.time()
delivered = 0
while time.time() - start < 600:
    cursor = db.execute("SELECT cursor_seq FROM cloudtrail_delivery WHERE name = 'bench'").fetchone()[0]
    newest_seq = db.execute("SELECT MAX(seq) FROM audit_events WHERE event_id <= ?", (newest,)).fetchone()[0]
    if cursor >= newest_seq:
        break
    time.sleep(0.2)
lag = time.time() - start
files = 0
for page in s3.get_paginator("list_objects_v2").paginate(Bucket="bench-trail", Prefix="AWSLogs/"):
    files += sum(1 for o in page.get("Contents", []) if "/CloudTrail/" in o["Key"])
print(f"audit records stored: {stored}; trail log files: {files}; delivery caught up {lag:.1f} s after the load ended")
PY
