#!/usr/bin/env bash
# Benchmark: STS GetCallerIdentity through the full path (strict SigV4 + durable audit, SQLite) beside the bare
# /_warden/health route of the same server, at concurrency 1, 16 and 64; moto's server alongside for context.
# Usage: bench/sts_get_caller_identity.sh [seconds per run, default 10] [rounds, default 3]. Each figure is the
# median of the rounds (by req/s), rounds interleaved across routes. Not a test: it never fails on a time.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
ROUNDS=${2:-3}
# shellcheck source=lib/common.sh
source bench/lib/common.sh
swift build -c release --product warden >/dev/null 2>&1
BIN=.build/release/warden
OUT=$(mktemp -d /tmp/warden-bench.XXXXXX)
PORT=$(port)
$BIN serve --port "$PORT" --data-dir "$OUT/data" >"$OUT/server.log" 2>&1 &
PID=$!
MOTO_PID=""
trap 'kill $PID $MOTO_PID 2>/dev/null || true; rm -rf "$OUT"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/_warden/health" >/dev/null && break; sleep 0.1; done

STS_BODY="Action=GetCallerIdentity&Version=2011-06-15"
sign "http://127.0.0.1:$PORT" "$OUT/data/credentials" sts query "$STS_BODY" > "$OUT/sts.lua"
curl -sf -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/" >/dev/null 2>&1 || true

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
RECORDS=$($BIN audit list --data-dir "$OUT/data" --limit 100000000 | wc -l)
echo
echo "audit records written during the run: $RECORDS"

if command -v moto_server >/dev/null; then
  MPORT=$(port)
  moto_server -p "$MPORT" >"$OUT/moto.log" 2>&1 &
  MOTO_PID=$!
  for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$MPORT/moto-api/" && break; sleep 0.2; done
  sign "http://127.0.0.1:$MPORT" - sts query "$STS_BODY" > "$OUT/moto.lua"
  echo
  echo "| peer | concurrency | req/s | p50 | p99 | non-2xx |"
  echo "|---|---|---|---|---|---|"
  MOTO_VERSION=$(python3 -c 'import moto; print(moto.__version__)')
  for c in 1 16 64; do
    for _ in $(seq "$ROUNDS"); do measure "moto$c" "http://127.0.0.1:$MPORT/" "$OUT/moto.lua" "$c"; done
    report "moto $MOTO_VERSION GetCallerIdentity (no auth, no audit)" "moto$c" "$c"
  done
fi
