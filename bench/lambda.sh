#!/usr/bin/env bash
# Benchmark: warm Invoke of a trivial Python handler (req/s, p50/p99 at concurrency 1 and 10) and cold starts, on
# Warden (strict SigV4, every call audited durably, SQLite, --enable-functions). No peer runs here: moto's Lambda
# needs Docker, which these machines do not have.
# Usage: bench/lambda.sh [seconds per run, default 10] [rounds, default 1]. Not a test: never fails on a time.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
ROUNDS=${2:-1}
# shellcheck source=lib/common.sh
source bench/lib/common.sh
swift build -c release --product warden >/dev/null 2>&1
BIN=$(pwd)/.build/release/warden
OUT=$(mktemp -d /tmp/warden-bench.XXXXXX)
WPORT=$(port)
$BIN serve --port "$WPORT" --data-dir "$OUT/data" --enable-functions >"$OUT/server.log" 2>&1 &
WPID=$!
trap 'kill $WPID 2>/dev/null || true; rm -rf "$OUT"' EXIT
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$WPORT/_warden/health" && break; sleep 0.1; done
ENDPOINT="http://127.0.0.1:$WPORT"

COLD=$(python3 - "$ENDPOINT" "$OUT/data/credentials" <<'PY'
import base64, io, json, re, statistics, sys, time, zipfile
import boto3
sys.path.insert(0, "bench/lib")
from signed_request import credentials
endpoint, cred_file = sys.argv[1:3]
c = credentials(cred_file)
lam = boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=c.access_key,
                   aws_secret_access_key=c.secret_key)
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("app.py", "def handler(event, context):\n    return event\n")
lam.create_function(FunctionName="trivial", Runtime="python3.12", Role="arn:aws:iam::000000000000:role/r",
                    Handler="app.handler", Code={"ZipFile": buf.getvalue()})
# Cold starts: a configuration change retires the warm process; the next invoke starts a new one.
walls, inits = [], []
for i in range(10):
    lam.update_function_configuration(FunctionName="trivial", Description=f"round {i}")
    t = time.perf_counter()
    r = lam.invoke(FunctionName="trivial", Payload=b'{"n":1}', LogType="Tail")
    walls.append((time.perf_counter() - t) * 1000)
    m = re.search(r"Init Duration: ([0-9.]+) ms", base64.b64decode(r["LogResult"]).decode())
    if m:
        inits.append(float(m.group(1)))
for _ in range(20):
    lam.invoke(FunctionName="trivial", Payload=b'{"n":1}')
print(f"{statistics.median(walls):.1f} {max(walls):.1f} {statistics.median(inits):.1f}")
PY
)
read -r COLD_P50 COLD_MAX INIT_P50 <<<"$COLD"

SCRIPT="$OUT/invoke.lua"
sign "$ENDPOINT" "$OUT/data/credentials" lambda rest /2015-03-31/functions/trivial/invocations '{"n":1}' >"$SCRIPT"
# Warm up to 10 processes first, so the c=10 figures are warm invokes, not cold starts.
DURATION_SAVED=$DURATION; DURATION=3; once "$ENDPOINT" "$SCRIPT" 10 >/dev/null; DURATION=$DURATION_SAVED
for _ in $(seq "$ROUNDS"); do
  for c in 1 10; do measure "invoke-$c" "$ENDPOINT" "$SCRIPT" "$c"; done
done

echo "| operation | concurrency | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
for c in 1 10; do report "Invoke (warm, trivial Python handler)" "invoke-$c" "$c"; done
echo
echo "Cold start (configuration changed, then one Invoke; 10 runs): wall time p50 ${COLD_P50} ms, max ${COLD_MAX} ms;"
echo "the REPORT line's Init Duration p50 ${INIT_P50} ms."
