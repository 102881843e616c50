#!/usr/bin/env bash
# Benchmark: SNS Publish to a topic with 0 and with 1 SQS subscriber, SQS SendMessage and ReceiveMessage, on Warden
# (strict SigV4, every call audited durably, SQLite) and moto's server in the same run, at concurrency 1, 16 and 64;
# then Receive+Delete pairs and publish-to-delivery latency for the SNS→SQS path, measured by a Python client.
# Usage: bench/sns_sqs.sh [seconds per run, default 10] [rounds, default 1]. Not a test: never fails on a time.
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

prepare() { # $1 name, $2 endpoint, $3 credentials file or "-": topics and queues, then one signed request per operation
python3 - "$1" "$2" "$3" "$OUT" <<'PY'
import json, subprocess, sys
import boto3
sys.path.insert(0, "bench/lib")
from signed_request import credentials
name, endpoint, cred_file, out = sys.argv[1:5]
c = credentials(cred_file)
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=c.access_key, aws_secret_access_key=c.secret_key)
sns, sqs = boto3.client("sns", **kw), boto3.client("sqs", **kw)
t0 = sns.create_topic(Name="bench0")["TopicArn"]
t1 = sns.create_topic(Name="bench1")["TopicArn"]
sub_q = sqs.create_queue(QueueName="bench-sub")["QueueUrl"]
sub_arn = sqs.get_queue_attributes(QueueUrl=sub_q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
# The queue policy SNS needs to deliver (a strict Warden enforces it, as AWS does).
sqs.set_queue_attributes(QueueUrl=sub_q, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": sub_arn,
    "Condition": {"ArnEquals": {"aws:SourceArn": t1}}}]})})
sns.subscribe(TopicArn=t1, Protocol="sqs", Endpoint=sub_arn, Attributes={"RawMessageDelivery": "true"})
send_q = sqs.create_queue(QueueName="bench-send")["QueueUrl"]
recv_q = sqs.create_queue(QueueName="bench-recv")["QueueUrl"]
for _ in range(20):
    sqs.send_message_batch(QueueUrl=recv_q, Entries=[{"Id": str(i), "MessageBody": "m" * 256} for i in range(10)])
from urllib.parse import urlencode
ops = {
    "publish0": ("sns", "query", urlencode({"Action": "Publish", "Version": "2010-03-31", "TopicArn": t0, "Message": "m" * 256})),
    "publish1": ("sns", "query", urlencode({"Action": "Publish", "Version": "2010-03-31", "TopicArn": t1, "Message": "m" * 256})),
    "send": ("sqs", "json", "AmazonSQS.SendMessage", json.dumps({"QueueUrl": send_q, "MessageBody": "m" * 256})),
    "receive": ("sqs", "json", "AmazonSQS.ReceiveMessage", json.dumps({"QueueUrl": recv_q, "VisibilityTimeout": 0})),
}
for op, args in ops.items():
    lua = subprocess.run(["python3", "bench/lib/signed_request.py", endpoint, cred_file, *args], capture_output=True, text=True, check=True).stdout
    open(f"{out}/{name}-{op}.lua", "w").write(lua)
PY
}
prepare warden "http://127.0.0.1:$WPORT" "$OUT/data/credentials"
prepare moto "http://127.0.0.1:$MPORT" -

OPS=(publish0 publish1 send receive)
declare -A LABELS=([publish0]="Publish, topic with 0 subscribers" [publish1]="Publish, topic with 1 SQS subscriber"
                   [send]="SQS SendMessage (256 B)" [receive]="SQS ReceiveMessage")
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
echo

# Receive+Delete pairs and publish-to-delivery latency, from a Python client (client-bound: botocore signs each call).
python3 - "http://127.0.0.1:$WPORT" "$OUT/data/credentials" "http://127.0.0.1:$MPORT" "$DURATION" <<'PY'
import json, statistics, sys, threading, time
import boto3
from botocore.config import Config
sys.path.insert(0, "bench/lib")
from signed_request import credentials
wend, wcred, mend, duration = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])

def clients(endpoint, cred):
    c = credentials(cred)
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=c.access_key, aws_secret_access_key=c.secret_key,
              config=Config(max_pool_connections=32, retries={"max_attempts": 1}))
    return boto3.client("sns", **kw), boto3.client("sqs", **kw)

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")

print("| measure | server | result |")
print("|---|---|---|")
for name, endpoint, cred in (("Warden", wend, wcred), ("moto_server", mend, "-")):
    sns, sqs = clients(endpoint, cred)
    q = sqs.create_queue(QueueName="bench-pairs")["QueueUrl"]
    for _ in range(200):
        sqs.send_message_batch(QueueUrl=q, Entries=[{"Id": str(i), "MessageBody": "m" * 256} for i in range(10)])
    done, lock, stop = [0], threading.Lock(), time.time() + duration
    def worker():
        _, s = clients(endpoint, cred)
        while time.time() < stop:
            for m in s.receive_message(QueueUrl=q, MaxNumberOfMessages=1).get("Messages", []):
                s.delete_message(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"])
                with lock:
                    done[0] += 1
    threads = [threading.Thread(target=worker) for _ in range(16)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    print(f"| Receive+Delete pairs/s, 16 Python threads | {name} | {done[0] / duration:.0f} |")
    topic = sns.create_topic(Name="bench-latency")["TopicArn"]
    lq = sqs.create_queue(QueueName="bench-latency")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=lq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=lq, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    lat = []
    for i in range(200):
        t = time.perf_counter()
        sns.publish(TopicArn=topic, Message=str(i))
        got = []
        while not got:
            got = sqs.receive_message(QueueUrl=lq, WaitTimeSeconds=5).get("Messages", [])
        lat.append((time.perf_counter() - t) * 1000)
        sqs.delete_message(QueueUrl=lq, ReceiptHandle=got[0]["ReceiptHandle"])
    print(f"| Publish→SQS receive latency (publish call to message in hand), 200 sequential | {name} | p50 {pct(lat, .5):.1f} ms, p99 {pct(lat, .99):.1f} ms |")
PY
