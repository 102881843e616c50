#!/usr/bin/env bash
# Benchmark: does fan-out keep pace with publishing? SNS Publish to a topic with one SQS subscriber, and EventBridge
# PutEvents to a rule with one SQS target, on Warden (strict SigV4, every call audited durably, SQLite) and moto's
# server in the same run.
#  1. Saturation: wrk at c=64 for DURATION seconds. While it runs, a sampler reads the queue's depth every 250 ms; the
#     report gives the acknowledged publishes, the deliveries already in the queue when the load stopped, and how long
#     the last delivery took after that (the deliveries' trail behind acknowledged publishes at the end).
#  2. Latency at a steady ~1,000 publishes/s (wrk, 16 connections, a 16 ms pause between requests on each): every
#     delivered copy carries its publish time (the SNS envelope's Timestamp; the event's `time` is whole seconds, so
#     EventBridge's copies carry the sending time in their detail instead); long-polling receivers note when each
#     copy is in hand; publish -> receive p50/p99.
# Usage: bench/fanout.sh [seconds per run, default 8]. Not a test: never fails on a time.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-8}
# shellcheck source=lib/common.sh
source bench/lib/common.sh
python3 -c 'import moto, flask' 2>/dev/null || python3 -m pip install -q 'moto[server]==5.2.1'
[ -n "${WARDEN_BIN:-}" ] || swift build -c release --product warden >/dev/null 2>&1
BIN=${WARDEN_BIN:-$(pwd)/.build/release/warden}
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

python3 bench/lib/fanout.py "$OUT" "$DURATION" \
  "Warden=http://127.0.0.1:$WPORT=$OUT/data/credentials" "moto_server=http://127.0.0.1:$MPORT=-"
