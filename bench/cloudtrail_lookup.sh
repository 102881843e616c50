#!/usr/bin/env bash
# Benchmark: CloudTrail LookupEvents over 1,000,000 stored events (SQLite and PostgreSQL), p50/p99 and req/s at
# concurrency 1 and 16 for: a common EventName, a rare EventName, a ResourceName, the last hour, and no filter.
# moto's server does not implement LookupEvents, so there is no peer figure. Not a test: never fails on a time.
# Usage: bench/cloudtrail_lookup.sh [seconds per run, default 10] [events, default 1000000]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
EVENTS=${2:-1000000}
ROUNDS=1
# shellcheck source=lib/common.sh
source bench/lib/common.sh
# shellcheck source=../scripts/lib/postgres.sh
source scripts/lib/postgres.sh
swift build -c release --product warden >/dev/null 2>&1
BIN=$(pwd)/.build/release/warden
OUT=$(mktemp -d /tmp/warden-bench.XXXXXX)
chmod 755 "$OUT"
PID=""
trap 'kill $PID 2>/dev/null || true; pg_down 2>/dev/null || true; rm -rf "$OUT"' EXIT
pg_up "$OUT/pg" >/dev/null
pg_fresh_db() { # a new database on the throw-away server -> its URL
  local name="bench$RANDOM$RANDOM"
  psql "$WARDEN_TEST_POSTGRES_URL" -q -c "CREATE DATABASE $name" >/dev/null
  echo "${WARDEN_TEST_POSTGRES_URL%/*}/$name"
}

start() { # $1 storage, $2 data dir -> sets PID, PORT
  PORT=$(port)
  $BIN serve --port "$PORT" --data-dir "$2" --storage "$1" >"$2.log" 2>&1 &
  PID=$!
  for _ in $(seq 200); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/_warden/health" && return; sleep 0.1; done
  echo "server did not start"; cat "$2.log"; exit 1
}

echo "| storage | lookup | concurrency | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|---|---|"
for storage in sqlite postgres; do
  DATA="$OUT/data-$storage"
  if [ "$storage" = sqlite ]; then STORE=sqlite; else STORE="$(pg_fresh_db)"; fi
  start "$STORE" "$DATA"            # creates the schema and the root key
  ACCOUNT=000000000000
  kill "$PID"; wait "$PID" 2>/dev/null || true
  if [ "$storage" = sqlite ]; then
    python3 bench/lib/seed_audit.py sqlite "$DATA/warden.sqlite" "$EVENTS" "$ACCOUNT"
  else
    python3 bench/lib/seed_audit.py postgres "$STORE" "$EVENTS" "$ACCOUNT"
  fi
  start "$STORE" "$DATA"
  KEY_ARN=$(python3 -c "import random, uuid; r = random.Random(42); print(f'arn:aws:kms:us-east-1:$ACCOUNT:key/{uuid.UUID(int=r.getrandbits(128))}')")
  HOUR_AGO=$(python3 -c 'import time; print(int(time.time()) - 3600)')
  declare -A BODIES=(
    [common]='{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"Decrypt"}]}'
    [rare]='{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"DeleteAlias"}]}'
    [resource]="{\"LookupAttributes\":[{\"AttributeKey\":\"ResourceName\",\"AttributeValue\":\"$KEY_ARN\"}]}"
    [hour]="{\"StartTime\":$HOUR_AGO}"
    [all]='{}'
  )
  declare -A LABELS=([common]="EventName=Decrypt (≈30% of events)" [rare]="EventName=DeleteAlias (≈0.1%)"
                     [resource]="ResourceName=one key of 200" [hour]="StartTime=last hour" [all]="no filter")
  for q in common rare resource hour all; do
    sign "http://127.0.0.1:$PORT" "$DATA/credentials" cloudtrail json \
      "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents" "${BODIES[$q]}" > "$OUT/$q.lua"
    for c in 1 16; do
      measure "$storage-$q-$c" "http://127.0.0.1:$PORT/" "$OUT/$q.lua" "$c"
      report "$storage | ${LABELS[$q]}" "$storage-$q-$c" "$c"
    done
  done
  kill "$PID"; wait "$PID" 2>/dev/null || true
done
echo
echo "events stored per backend: $EVENTS (30 days, 11 event names, 200 keys, 20 access keys)"
