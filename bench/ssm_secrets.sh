#!/usr/bin/env bash
# Benchmark: Parameter Store GetParameter (String, and SecureString with decryption), GetParametersByPath over 10,000
# parameters, and Secrets Manager GetSecretValue, on Warden (strict SigV4, every call audited durably, SQLite, real
# KMS envelope decryption) and moto's server in the same run, at concurrency 1, 16 and 64.
# Usage: bench/ssm_secrets.sh [seconds per run, default 10] [rounds, default 1]. Not a test: never fails on a time.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
ROUNDS=${2:-1}
# shellcheck source=lib/common.sh
source bench/lib/common.sh
python3 -c 'import moto, flask' 2>/dev/null || python3 -m pip install -q 'moto[server]==5.2.1'
swift build -c release --product warden >/dev/null 2>&1
BIN=$(pwd)/.build/release/warden
OUT=$(mktemp -d /tmp/warden-bench.XXXXXX)
WPORT=$(port)
MPORT=$(port)
$BIN serve --port "$WPORT" --data-dir "$OUT/data" >"$OUT/server.log" 2>&1 &
WPID=$!
moto_server -p "$MPORT" >"$OUT/moto.log" 2>&1 &
MPID=$!
trap 'kill $WPID $MPID 2>/dev/null || true; rm -rf "$OUT"' EXIT
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$WPORT/_warden/health" && break; sleep 0.1; done
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$MPORT/moto-api/" && break; sleep 0.2; done

prepare() { # $1 name, $2 endpoint, $3 credentials file or "-": fixtures, then one signed request per operation
python3 - "$1" "$2" "$3" "$OUT" <<'PY'
import json, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
import boto3
from botocore.config import Config
sys.path.insert(0, "bench/lib")
from signed_request import credentials
name, endpoint, cred_file, out = sys.argv[1:5]
c = credentials(cred_file)
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=c.access_key, aws_secret_access_key=c.secret_key,
          config=Config(max_pool_connections=16))
ssm, sm = boto3.client("ssm", **kw), boto3.client("secretsmanager", **kw)
ssm.put_parameter(Name="/bench/plain", Value="v" * 64, Type="String")
ssm.put_parameter(Name="/bench/secure", Value="s" * 64, Type="SecureString")
sm.create_secret(Name="bench/secret", SecretString=json.dumps({"username": "app", "password": "p" * 32}))
# 10,000 parameters under /tree/: 100 groups of 100.
def put(i):
    ssm.put_parameter(Name=f"/tree/g{i // 100:03d}/p{i % 100:03d}", Value=str(i), Type="String")
with ThreadPoolExecutor(16) as pool:
    list(pool.map(put, range(10_000)))
ops = {
    "plain": ("ssm", "json", "AmazonSSM.GetParameter", json.dumps({"Name": "/bench/plain"})),
    "secure": ("ssm", "json", "AmazonSSM.GetParameter", json.dumps({"Name": "/bench/secure", "WithDecryption": True})),
    "path": ("ssm", "json", "AmazonSSM.GetParametersByPath", json.dumps({"Path": "/tree/g050", "MaxResults": 10})),
    "secret": ("secretsmanager", "json", "secretsmanager.GetSecretValue", json.dumps({"SecretId": "bench/secret"})),
}
for op, args in ops.items():
    lua = subprocess.run(["python3", "bench/lib/signed_request.py", endpoint, cred_file, *args], capture_output=True, text=True, check=True).stdout
    open(f"{out}/{name}-{op}.lua", "w").write(lua)
PY
}
prepare warden "http://127.0.0.1:$WPORT" "$OUT/data/credentials"
prepare moto "http://127.0.0.1:$MPORT" -

OPS=(plain secure path secret)
declare -A LABELS=([plain]="GetParameter (String)" [secure]="GetParameter (SecureString, WithDecryption)"
                   [path]="GetParametersByPath (10 of 10,000)" [secret]="GetSecretValue")
for _ in $(seq "$ROUNDS"); do
  for op in "${OPS[@]}"; do
    for c in 1 16 64; do
      measure "warden-$op-$c" "http://127.0.0.1:$WPORT/" "$OUT/warden-$op.lua" "$c"
      measure "moto-$op-$c" "http://127.0.0.1:$MPORT/" "$OUT/moto-$op.lua" "$c"
    done
  done
done
echo "| operation | server | concurrency | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|---|"
for op in "${OPS[@]}"; do
  for c in 1 16 64; do
    report "${LABELS[$op]} | Warden" "warden-$op-$c" "$c"
    report "${LABELS[$op]} | moto_server" "moto-$op-$c" "$c"
  done
done
echo
for op in "${OPS[@]}"; do
  echo "${LABELS[$op]} c=64: Warden/moto = $(python3 -c "print(f'{$(median_rps "warden-$op-64") / $(median_rps "moto-$op-64"):.1f}x')")"
done
