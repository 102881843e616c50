#!/usr/bin/env bash
# Benchmark: SNS Publish to a platform endpoint ARN (mobile push, token-based APNs with a .p8 key): acknowledged
# publishes per second, and deliveries per second reaching a local APNs provider API, on Warden (strict SigV4, every
# call audited durably, SQLite, each push through the durable outbox, HTTP/2 + TLS to the push server) and moto's
# server in the same run. moto accepts the platform application, the endpoint and Publish, and delivers nothing: only
# its publish rate is reported.
# wrk at c=16 and c=64 for DURATION seconds against Publish --TargetArn; the push server (bench/lib/push.py, the APNs
# server of tests/e2e/test_sns_push.py cut down for speed) counts every push from the wrk start until all acknowledged
# publishes are delivered or 60 s pass: deliveries/s during the load, and the last delivery's time after it stopped.
# Caveat: the push server is pure Python (h2) and Warden multiplexes its pushes over one HTTP/2 connection, so one
# Python thread answers them all; its CPU share is printed, and near 100% of a core the delivery figure is the push
# server's ceiling rather than Warden's.
# Usage: bench/push.sh [seconds per run, default 10]. WARDEN_BIN: a built warden (else a release build is made).
# Not a test: never fails on a time.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
# shellcheck source=lib/common.sh
source bench/lib/common.sh
python3 -c 'import moto, flask' 2>/dev/null || python3 -m pip install -q 'moto[server]==5.2.1'
python3 -c 'import h2, cryptography' 2>/dev/null || python3 -m pip install -q h2 cryptography
[ -n "${WARDEN_BIN:-}" ] || swift build -c release --product warden >/dev/null 2>&1
BIN=${WARDEN_BIN:-$(pwd)/.build/release/warden}
OUT=$(mktemp -d /tmp/warden-bench.XXXXXX)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$OUT"' EXIT
python3 bench/lib/push.py serve "$OUT" >"$OUT/push.log" 2>&1 &
PIDS+=($!)
echo $! >"$OUT/push.pid"
for _ in $(seq 200); do [ -f "$OUT/push.json" ] && break; sleep 0.05; done
[ -f "$OUT/push.json" ] || { cat "$OUT/push.log"; exit 1; }
APNS=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["apns"])' "$OUT/push.json")
WPORT=$(port)
MPORT=$(port)
$BIN serve --port "$WPORT" --data-dir "$OUT/data" --outbound-trust-ca "$OUT/ca.pem" \
  --push-endpoint "apns=$APNS,apns_sandbox=$APNS" >"$OUT/server.log" 2>&1 &
WPID=$!
PIDS+=($WPID)
moto_server -p "$MPORT" >"$OUT/moto.log" 2>&1 &
MPID=$!
PIDS+=($MPID)
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$WPORT/_warden/health" && break; sleep 0.1; done
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$MPORT/moto-api/" && break; sleep 0.2; done

python3 bench/lib/push.py run "$OUT" "$DURATION" \
  "Warden=http://127.0.0.1:$WPORT=$OUT/data/credentials=$WPID" "moto_server=http://127.0.0.1:$MPORT=-=$MPID" \
  || { echo "--- push server log"; tail -20 "$OUT/push.log"; echo "--- Warden log"; tail -20 "$OUT/server.log"; exit 1; }
