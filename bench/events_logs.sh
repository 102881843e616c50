#!/usr/bin/env bash
# Benchmark (issue 8): EventBridge PutEvents against 1,000 rules (events matched per second: 10 entries per request,
# each against every rule — rules indexed by their exact source, and rules every event must be tried against),
# PutEvents with no rules, CloudWatch Logs PutLogEvents (10 events per request), and call-to-target latency (PutEvents
# → SQS target, and on Warden a KMS call → CloudTrail → EventBridge → SQS), on Warden (strict SigV4, every call
# audited durably, SQLite) and moto's server in the same run.
# Usage: bench/events_logs.sh [seconds per run, default 10] [rounds, default 1]. Not a test: never fails on a time.
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
import json, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
import boto3
from botocore.config import Config
sys.path.insert(0, "bench/lib")
from signed_request import credentials
name, endpoint, cred_file, out = sys.argv[1:5]
c = credentials(cred_file)
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=c.access_key, aws_secret_access_key=c.secret_key,
          config=Config(max_pool_connections=16))
ev, logs, sqs = boto3.client("events", **kw), boto3.client("logs", **kw), boto3.client("sqs", **kw)
q = sqs.create_queue(QueueName="bench-hits")["QueueUrl"]
qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
for bus, indexed in (("indexed", True), ("scanned", False)):
    ev.create_event_bus(Name=bus)
    def rule(i):
        # No event matches these thresholds: the measure is the matching, not the deliveries.
        source = [f"app.{i}"] if indexed else [{"prefix": f"app."}]
        pattern = {"source": source, "detail": {"n": [{"numeric": ["<", -1 - i]}], "kind": ["order", "refund"]}}
        ev.put_rule(Name=f"r{i:04d}", EventBusName=bus, EventPattern=json.dumps(pattern))
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(rule, range(1000)))
entries = [{"Source": f"app.{i * 97 % 1000}", "DetailType": "order placed", "Detail": json.dumps({"n": i, "kind": "order", "sku": "x" * 64}),
            "EventBusName": "BUS"} for i in range(10)]
logs.create_log_group(logGroupName="bench")
logs.create_log_stream(logGroupName="bench", logStreamName="s")
now = int(time.time() * 1000)
log_events = [{"timestamp": now + i, "message": f"2026-11-26T00:00:00Z INFO request id={i} path=/orders status=200 bytes=512"} for i in range(10)]
ops = {
    "indexed": ("events", "json", "AWSEvents.PutEvents", json.dumps({"Entries": [dict(e, EventBusName="indexed") for e in entries]})),
    "scanned": ("events", "json", "AWSEvents.PutEvents", json.dumps({"Entries": [dict(e, EventBusName="scanned") for e in entries]})),
    "norules": ("events", "json", "AWSEvents.PutEvents", json.dumps({"Entries": [dict(e, EventBusName="default") for e in entries]})),
    "logs": ("logs", "json", "Logs_20140328.PutLogEvents", json.dumps({"logGroupName": "bench", "logStreamName": "s", "logEvents": log_events})),
}
for op, args in ops.items():
    lua = subprocess.run(["python3", "bench/lib/signed_request.py", endpoint, cred_file, *args], capture_output=True, text=True, check=True).stdout
    open(f"{out}/{name}-{op}.lua", "w").write(lua)
PY
}
prepare warden "http://127.0.0.1:$WPORT" "$OUT/data/credentials"
prepare moto "http://127.0.0.1:$MPORT" -

# Latency first, while both servers are idle (moto works through a backlog of 1,000-rule PutEvents long after wrk stops).
python3 - "http://127.0.0.1:$WPORT" "$OUT/data/credentials" "http://127.0.0.1:$MPORT" <<'PY'
import json, sys, time
import boto3
from botocore.config import Config
sys.path.insert(0, "bench/lib")
from signed_request import credentials
wend, wcred, mend = sys.argv[1:4]

def client(service, endpoint, cred):
    c = credentials(cred)
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=c.access_key,
                        aws_secret_access_key=c.secret_key, config=Config(retries={"max_attempts": 1}))

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")

def allow(sqs, url, arn, rule_arn):
    """The queue policy EventBridge needs to deliver to the queue (a strict Warden enforces it, as AWS does)."""
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
              "Action": "sqs:SendMessage", "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})

def measure(call, sqs, q, n=200):
    lat = []
    for i in range(n):
        t = time.perf_counter()
        call(i)
        got = []
        while not got:
            got = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=5).get("Messages", [])
        lat.append((time.perf_counter() - t) * 1000)
        sqs.delete_message(QueueUrl=q, ReceiptHandle=got[0]["ReceiptHandle"])
    return lat

print("| measure | server | result |")
print("|---|---|---|")
for name, endpoint, cred in (("Warden", wend, wcred), ("moto_server", mend, "-")):
    ev, sqs = client("events", endpoint, cred), client("sqs", endpoint, cred)
    q = sqs.create_queue(QueueName="bench-latency")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule_arn = ev.put_rule(Name="bench-latency", EventPattern=json.dumps({"source": ["bench.latency"]}))["RuleArn"]
    allow(sqs, q, arn, rule_arn)
    ev.put_targets(Rule="bench-latency", Targets=[{"Id": "q", "Arn": arn}])
    lat = measure(lambda i: ev.put_events(Entries=[{"Source": "bench.latency", "DetailType": "t", "Detail": json.dumps({"i": i})}]), sqs, q)
    print(f"| PutEvents → SQS target (call to message in hand), 200 sequential | {name} | p50 {pct(lat, .5):.1f} ms, p99 {pct(lat, .99):.1f} ms |")
    if name == "Warden":
        kms = client("kms", endpoint, cred)
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        crule = ev.put_rule(Name="bench-cloudtrail", EventPattern=json.dumps({"source": ["aws.kms"], "detail": {"eventName": ["TagResource"]}}))["RuleArn"]
        cq = sqs.create_queue(QueueName="bench-cloudtrail")["QueueUrl"]
        carn = sqs.get_queue_attributes(QueueUrl=cq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        allow(sqs, cq, carn, crule)
        ev.put_targets(Rule="bench-cloudtrail", Targets=[{"Id": "q", "Arn": carn}])
        lat = measure(lambda i: kms.tag_resource(KeyId=key, Tags=[{"TagKey": "n", "TagValue": str(i)}]), sqs, cq)
        print(f"| KMS TagResource → CloudTrail → EventBridge rule → SQS (call to message in hand), 200 sequential | {name} | p50 {pct(lat, .5):.1f} ms, p99 {pct(lat, .99):.1f} ms |")
PY
echo

OPS=(indexed scanned norules logs)
declare -A LABELS=([indexed]="PutEvents, 10 entries × 1,000 rules indexed by source" [scanned]="PutEvents, 10 entries × 1,000 rules all tried"
                   [norules]="PutEvents, 10 entries, no rules" [logs]="PutLogEvents, 10 events")
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
for op in indexed scanned; do
  echo "${LABELS[$op]}: events matched against 1,000 rules per second at c=64: Warden $(python3 -c "print(f'{$(median_rps "warden-$op-64") * 10:,.0f}')"), moto $(python3 -c "print(f'{$(median_rps "moto-$op-64") * 10:,.0f}')")"
done
echo

