#!/usr/bin/env bash
# Benchmark: STS GetCallerIdentity through the full path (strict SigV4 + durable audit, SQLite) beside the bare
# /_warden/health route of the same server, at concurrency 1, 16 and 64; moto's server alongside for context.
# Usage: bench/sts_get_caller_identity.sh [seconds per run, default 10] [rounds, default 3]. Each figure is the
# median of the rounds (by req/s), rounds interleaved across routes. Not a test: it never fails on a time.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
ROUNDS=${2:-3}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
swift build -c release --product warden >/dev/null 2>&1
BIN=.build/release/warden
OUT=$(mktemp -d /tmp/warden-bench.XXXXXX)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(port)
$BIN serve --port "$PORT" --data-dir "$OUT/data" >"$OUT/server.log" 2>&1 &
PID=$!
MOTO_PID=""
trap 'kill $PID $MOTO_PID 2>/dev/null || true; rm -rf "$OUT"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/_warden/health" >/dev/null && break; sleep 0.1; done

# One request signed by botocore's own signer (valid for 15 minutes; SigV4 has no replay protection).
sign() { # $1 endpoint, $2 credentials file or "-"
python3 - "$1" "$2" <<'PY'
import sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
endpoint, cred_file = sys.argv[1], sys.argv[2]
key, secret = "AKIDBENCH", "bench"
if cred_file != "-":
    for line in open(cred_file):
        if line.startswith("aws_access_key_id"): key = line.split("=", 1)[1].strip()
        if line.startswith("aws_secret_access_key"): secret = line.split("=", 1)[1].strip()
body = "Action=GetCallerIdentity&Version=2011-06-15"
req = AWSRequest(method="POST", url=endpoint + "/", data=body,
                 headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
SigV4Auth(Credentials(key, secret), "sts", "us-east-1").add_auth(req)
hdrs = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in req.headers.items())
print(f'wrk.method = "POST"\nwrk.body = "{body}"\n{hdrs}')
PY
}
sign "http://127.0.0.1:$PORT" "$OUT/data/credentials" > "$OUT/sts.lua"
curl -sf -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/" >/dev/null 2>&1 || true

once() { # $1 url, $2 script or "", $3 connections -> "rps p50 p99 non2xx"
  local args=(-t"$(( $3 < 2 ? 1 : 2 ))" -c"$3" -d"${DURATION}s" --latency)
  [ -n "$2" ] && args+=(-s "$2")
  wrk "${args[@]}" "$1" | awk '/Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} /Non-2xx/ {n=$NF}
                               END {print r, p50, p99, (n == "" ? 0 : n)}'
}

declare -A RESULTS
measure() { # $1 key, $2 url, $3 script, $4 connections: appends one round
  RESULTS[$1]+="$(once "$2" "$3" "$4")"$'\n'
}

report() { # $1 label, $2 key, $3 connections: the median round by req/s
  local row; row=$(printf '%s' "${RESULTS[$2]}" | sort -n -k1 | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2)')
  set -- "$1" "$3" $row
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" "$5" "$6"
}

for c in 1 16 64; do
  for _ in $(seq "$ROUNDS"); do
    measure "full$c" "http://127.0.0.1:$PORT/" "$OUT/sts.lua" "$c"
    measure "get$c" "http://127.0.0.1:$PORT/_warden/health" "" "$c"
    measure "post$c" "http://127.0.0.1:$PORT/_warden/health" "$OUT/sts.lua" "$c"
  done
done
echo "| route | concurrency | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|"
for c in 1 16 64; do
  report "warden GetCallerIdentity (SigV4 + audit)" "full$c" "$c"
  report "warden bare GET /_warden/health" "get$c" "$c"
  report "warden bare POST /_warden/health (same request bytes)" "post$c" "$c"
done
RECORDS=$($BIN audit list --data-dir "$OUT/data" | wc -l)
echo
echo "audit records written during the run: $RECORDS"

if command -v moto_server >/dev/null; then
  MPORT=$(port)
  moto_server -p "$MPORT" >"$OUT/moto.log" 2>&1 &
  MOTO_PID=$!
  for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$MPORT/moto-api/" && break; sleep 0.2; done
  sign "http://127.0.0.1:$MPORT" - > "$OUT/moto.lua"
  echo
  echo "| peer | concurrency | req/s | p50 | p99 | non-2xx |"
  echo "|---|---|---|---|---|---|"
  MOTO_VERSION=$(python3 -c 'import moto; print(moto.__version__)')
  for c in 1 16 64; do
    for _ in $(seq "$ROUNDS"); do measure "moto$c" "http://127.0.0.1:$MPORT/" "$OUT/moto.lua" "$c"; done
    report "moto $MOTO_VERSION GetCallerIdentity (no auth, no audit)" "moto$c" "$c"
  done
fi
