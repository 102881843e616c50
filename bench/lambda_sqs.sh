#!/usr/bin/env bash
# Benchmark: event source mapping throughput, SQS messages per second through a trivial Python function (returns at
# once), on Warden (strict SigV4, every call audited durably, SQLite, --enable-functions) and moto's server in the
# same run. Each case: a queue pre-filled with N messages (SendMessageBatch from 4 threads), a mapping created
# disabled and then enabled (MaximumConcurrency left at its default); the clock runs from the enabling call until
# ApproximateNumberOfMessages + ApproximateNumberOfMessagesNotVisible reads 0 (sampled every 100 ms).
#  1. standard queue, BatchSize 10
#  2. standard queue, BatchSize 100, MaximumBatchingWindowInSeconds 1
#  3. FIFO queue, 10 message groups, BatchSize 10
# moto runs functions only in Docker, which these machines do not have: when none of its queue is consumed within
# MOTO_WAIT seconds (default 60) it is reported as such. (moto also hands a queue to its function only from inside
# SendMessage, so messages already queued when a mapping appears stay there.) moto's queues hold MOTO_MESSAGES
# (default 500): its SendMessage slows with every message already queued, so 20,000 would take hours to send.
# Usage: bench/lambda_sqs.sh [messages per case, default 20000]. Not a test: never fails on a time.
set -euo pipefail
cd "$(dirname "$0")/.."
MESSAGES=${1:-20000}
# shellcheck source=lib/common.sh
source bench/lib/common.sh
python3 -c 'import moto, flask' 2>/dev/null || python3 -m pip install -q 'moto[server]==5.2.1'
[ -n "${WARDEN_BIN:-}" ] || swift build -c release --product warden >/dev/null 2>&1
BIN=${WARDEN_BIN:-$(pwd)/.build/release/warden}
OUT=$(mktemp -d /tmp/warden-bench.XXXXXX)
WPORT=$(port)
MPORT=$(port)
$BIN serve --port "$WPORT" --data-dir "$OUT/data" --enable-functions >"$OUT/server.log" 2>&1 &
WPID=$!
moto_server -p "$MPORT" >"$OUT/moto.log" 2>&1 &
MPID=$!
trap 'kill $WPID $MPID 2>/dev/null || true; rm -rf "$OUT"' EXIT
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$WPORT/_warden/health" && break; sleep 0.1; done
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$MPORT/moto-api/" && break; sleep 0.2; done

python3 bench/lib/lambda_sqs.py "$MESSAGES" "${MOTO_MESSAGES:-500}" "${MOTO_WAIT:-60}" \
  "Warden=http://127.0.0.1:$WPORT=$OUT/data/credentials" "moto_server=http://127.0.0.1:$MPORT=-"
