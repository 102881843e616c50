#!/usr/bin/env bash
# Benchmark: KMS Encrypt (1 KiB), Decrypt, GenerateDataKey, Sign (ECC_NIST_P256), Sign (RSA_2048) on Warden (strict
# SigV4, every call audited durably, SQLite) and on moto's server in the same run, at concurrency 1, 16 and 64.
# Usage: bench/kms.sh [seconds per run, default 10] [rounds, default 3]. Figures are medians of the rounds by req/s.
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

# Keys and a ciphertext on each server, then one signed request per operation.
prepare() { # $1 name, $2 endpoint, $3 credentials file or "-"
python3 - "$1" "$2" "$3" "$OUT" <<'PY'
import base64, json, subprocess, sys
import boto3
name, endpoint, cred_file, out = sys.argv[1:5]
key, secret = "AKIDBENCH", "bench"
if cred_file != "-":
    for line in open(cred_file):
        if line.startswith("aws_access_key_id"): key = line.split("=", 1)[1].strip()
        if line.startswith("aws_secret_access_key"): secret = line.split("=", 1)[1].strip()
kms = boto3.client("kms", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret)
sym = kms.create_key()["KeyMetadata"]["KeyId"]
ec = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
plain = base64.b64encode(b"x" * 1024).decode()
blob = base64.b64encode(kms.encrypt(KeyId=sym, Plaintext=b"x" * 1024)["CiphertextBlob"]).decode()
message = base64.b64encode(b"message to sign").decode()
ops = {
    "encrypt": ("Encrypt", {"KeyId": sym, "Plaintext": plain}),
    "decrypt": ("Decrypt", {"CiphertextBlob": blob}),
    "gdk": ("GenerateDataKey", {"KeyId": sym, "KeySpec": "AES_256"}),
    "sign_ec": ("Sign", {"KeyId": ec, "Message": message, "SigningAlgorithm": "ECDSA_SHA_256"}),
    "sign_rsa": ("Sign", {"KeyId": rsa, "Message": message, "SigningAlgorithm": "RSASSA_PSS_SHA_256"}),
}
for op, (target, body) in ops.items():
    lua = subprocess.run([sys.executable, "bench/lib/signed_request.py", endpoint, cred_file, "kms", "json",
                          "TrentService." + target, json.dumps(body)], check=True, capture_output=True, text=True).stdout
    open(f"{out}/{name}-{op}.lua", "w").write(lua)
PY
}
prepare warden "http://127.0.0.1:$WPORT" "$OUT/data/credentials"
prepare moto "http://127.0.0.1:$MPORT" -

OPS="encrypt decrypt gdk sign_ec sign_rsa"
declare -A LABEL=([encrypt]="Encrypt 1 KiB" [decrypt]="Decrypt" [gdk]="GenerateDataKey" [sign_ec]="Sign ECC_NIST_P256" [sign_rsa]="Sign RSA_2048")
for op in $OPS; do
  for c in 1 16 64; do
    for _ in $(seq "$ROUNDS"); do
      measure "warden-$op-$c" "http://127.0.0.1:$WPORT/" "$OUT/warden-$op.lua" "$c"
      measure "moto-$op-$c" "http://127.0.0.1:$MPORT/" "$OUT/moto-$op.lua" "$c"
    done
  done
done
MOTO_VERSION=$(python3 -c 'import moto; print(moto.__version__)')
echo "| operation | server | concurrency | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|---|"
for op in $OPS; do
  for c in 1 16 64; do
    report "${LABEL[$op]} | warden" "warden-$op-$c" "$c"
    report "${LABEL[$op]} | moto $MOTO_VERSION" "moto-$op-$c" "$c"
  done
done
echo
for op in $OPS; do
  w=$(median_rps "warden-$op-64"); m=$(median_rps "moto-$op-64")
  awk -v l="${LABEL[$op]}" -v w="$w" -v m="$m" 'BEGIN { printf "%s at c=64: warden/moto = %.1fx\n", l, w / m }'
done
echo "audit records written: $($BIN audit list --data-dir "$OUT/data" --limit 100000000 | wc -l)"
