#!/usr/bin/env bash
# Benchmark: KMS Encrypt (1 KiB) by an IAM user whose access takes every part of the evaluation — the key policy
# names the user, ten identity policies (one with a condition on kms:EncryptionContext:*), and a permissions
# boundary — beside the account's root (which skips identity policies) in the same run, at concurrency 1, 16 and 64,
# with moto's server as the peer. Target (issue 16): the user at >= 90% of the root's rate.
# Usage: bench/iam_kms.sh [seconds per run, default 10] [rounds, default 3]. Medians of the rounds by req/s.
# Not a test: it never fails on a time.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
ROUNDS=${2:-3}
# shellcheck source=lib/common.sh
source bench/lib/common.sh
python3 -c 'import moto, flask' 2>/dev/null || python3 -m pip install -q 'moto[server]==5.2.1'
swift build -c release --product warden >/dev/null 2>&1
BIN=.build/release/warden
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

# The key, the user and its policies on Warden; the same Encrypt request signed as the root and as the user.
python3 - "http://127.0.0.1:$WPORT" "$OUT" <<'PY'
import base64, json, subprocess, sys
import boto3
endpoint, out = sys.argv[1:3]
cred_file = f"{out}/data/credentials"
root = {}
for line in open(cred_file):
    if "=" in line:
        k, v = line.split("=", 1)
        root[k.strip()] = v.strip()
def client(service, key, secret):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret)
iam = client("iam", root["aws_access_key_id"], root["aws_secret_access_key"])
kms = client("kms", root["aws_access_key_id"], root["aws_secret_access_key"])
account = "000000000000"
iam.create_user(UserName="bench")
user = f"arn:aws:iam::{account}:user/bench"
key_policy = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
    {"Sid": "Bench", "Effect": "Allow", "Principal": {"AWS": user}, "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}]}
key = kms.create_key(Policy=json.dumps(key_policy))["KeyMetadata"]["Arn"]
# Ten identity policies: nine that match other services' actions, one that allows Encrypt under a context condition.
for i in range(9):
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sqs:SendMessage", "sns:Publish"], "Resource": f"arn:aws:sqs:*:{account}:q{i}-*"}]}
    arn = iam.create_policy(PolicyName=f"other-{i}", PolicyDocument=json.dumps(doc))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="bench", PolicyArn=arn)
ctx = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": key,
       "Condition": {"StringEquals": {"kms:EncryptionContext:app": "bench"}}}]}
iam.put_user_policy(UserName="bench", PolicyName="encrypt-with-context", PolicyDocument=json.dumps(ctx))
boundary = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
barn = iam.create_policy(PolicyName="kms-boundary", PolicyDocument=json.dumps(boundary))["Policy"]["Arn"]
iam.put_user_permissions_boundary(UserName="bench", PermissionsBoundary=barn)
k = iam.create_access_key(UserName="bench")["AccessKey"]
open(f"{out}/user-credentials", "w").write(f"[default]\naws_access_key_id = {k['AccessKeyId']}\naws_secret_access_key = {k['SecretAccessKey']}\n")
body = {"KeyId": key, "Plaintext": base64.b64encode(b"x" * 1024).decode(), "EncryptionContext": {"app": "bench"}}
client("kms", k["AccessKeyId"], k["SecretAccessKey"]).encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"app": "bench"})
for name, creds in (("root", cred_file), ("user", f"{out}/user-credentials")):
    lua = subprocess.run([sys.executable, "bench/lib/signed_request.py", endpoint, creds, "kms", "json", "TrentService.Encrypt",
                          json.dumps(body)], check=True, capture_output=True, text=True).stdout
    open(f"{out}/warden-{name}.lua", "w").write(lua)
PY
python3 - "http://127.0.0.1:$MPORT" "$OUT" <<'PY'
import base64, json, subprocess, sys
import boto3
endpoint, out = sys.argv[1:3]
kms = boto3.client("kms", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="AKIDBENCH", aws_secret_access_key="bench")
key = kms.create_key()["KeyMetadata"]["Arn"]
body = {"KeyId": key, "Plaintext": base64.b64encode(b"x" * 1024).decode(), "EncryptionContext": {"app": "bench"}}
lua = subprocess.run([sys.executable, "bench/lib/signed_request.py", endpoint, "-", "kms", "json", "TrentService.Encrypt",
                      json.dumps(body)], check=True, capture_output=True, text=True).stdout
open(f"{out}/moto.lua", "w").write(lua)
PY

for c in 1 16 64; do
  for _ in $(seq "$ROUNDS"); do
    measure "root-$c" "http://127.0.0.1:$WPORT/" "$OUT/warden-root.lua" "$c"
    measure "user-$c" "http://127.0.0.1:$WPORT/" "$OUT/warden-user.lua" "$c"
    measure "moto-$c" "http://127.0.0.1:$MPORT/" "$OUT/moto.lua" "$c"
  done
done
MOTO_VERSION=$(python3 -c 'import moto; print(moto.__version__)')
echo "| caller | server | concurrency | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|---|"
for c in 1 16 64; do
  report "root (no identity policies) | warden" "root-$c" "$c"
  report "IAM user: key policy + 10 policies + boundary | warden" "user-$c" "$c"
  report "root | moto $MOTO_VERSION" "moto-$c" "$c"
done
echo
for c in 1 16 64; do
  r=$(median_rps "root-$c"); u=$(median_rps "user-$c")
  awk -v c="$c" -v r="$r" -v u="$u" 'BEGIN { printf "c=%s: user/root = %.1f%%\n", c, 100 * u / r }'
done
grep -c '"denied"' "$OUT/server.log" | awk '{print "denials logged:", $1}' || true
