"""bench/lambda_sqs.sh's measurements: SQS -> Lambda event source mapping throughput through a trivial Python handler.

For each server and each case: a queue pre-filled with N messages (SendMessageBatch from a few threads), a mapping
created disabled, then enabled; the clock runs from the enabling call until the queue's ApproximateNumberOfMessages +
ApproximateNumberOfMessagesNotVisible reads 0 (sampled every 100 ms) -> messages/s.

Usage: lambda_sqs.py N MOTO_N MOTO_WAIT NAME=ENDPOINT=CREDFILE|- ...
A server gives up on a case when no message has left the queue for MOTO_WAIT seconds (moto) or 60 s (others). moto's
queues get MOTO_N messages instead of N: its SendMessage slows with every message already in the queue (quadratic
pre-fill; 2,000 FIFO messages took minutes), and whether it consumes anything does not depend on the count.
"""
import io
import sys
import threading
import time
import zipfile

import boto3
from botocore.config import Config

sys.path.insert(0, "bench/lib")
from signed_request import credentials  # noqa: E402

N, MOTO_N, MOTO_WAIT = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
SERVERS = [a.split("=", 2) for a in sys.argv[4:]]
NOTES = []
SENDERS, GROUPS = 4, 10
HANDLER = "def handler(event, context):\n    return None\n"
ROLE = "arn:aws:iam::{account}:role/bench-esm"
CASES = [  # label, fifo, mapping parameters (ScalingConfig.MaximumConcurrency left at its default)
    ("standard queue, BatchSize 10", False, {"BatchSize": 10}),
    ("standard queue, BatchSize 100, window 1 s", False, {"BatchSize": 100, "MaximumBatchingWindowInSeconds": 1}),
    (f"FIFO queue, {GROUPS} groups, BatchSize 10", True, {"BatchSize": 10}),
]


def clients(endpoint, cred):
    c = credentials(cred)
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=c.access_key,
              aws_secret_access_key=c.secret_key,
              config=Config(max_pool_connections=SENDERS * 2, retries={"max_attempts": 3}, read_timeout=70))
    return boto3.client("lambda", **kw), boto3.client("sqs", **kw), boto3.client("sts", **kw), boto3.client("iam", **kw)


def depth(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                               "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])


def prefill(sqs, url, fifo, n):
    failed = [0]

    def sender(k):
        for start in range(k * 10, n, SENDERS * 10):
            entries = []
            for i in range(start, min(start + 10, n)):
                e = {"Id": str(i - start), "MessageBody": f'{{"n":{i}}}'}
                if fifo:
                    e.update(MessageGroupId=f"g{(i // 10) % GROUPS}", MessageDeduplicationId=str(i))
                entries.append(e)
            failed[0] += len(sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed", []))
    threads = [threading.Thread(target=sender, args=(k,)) for k in range(SENDERS)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return failed[0]


def wait_state(lam, uuid, want, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = lam.get_event_source_mapping(UUID=uuid)["State"]
        if state in want:
            return state
        time.sleep(0.1)
    return state


def run_case(name, lam, sqs, function, tag, fifo, params):
    qname = f"esm-{tag}" + (".fifo" if fifo else "")
    attrs = {"FifoQueue": "true"} if fifo else {}
    url = sqs.create_queue(QueueName=qname, Attributes=attrs)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    n = MOTO_N if name == "moto_server" else N
    failed = prefill(sqs, url, fifo, n)
    before = depth(sqs, url)
    if failed or before != n:
        return n, f"pre-fill left {before}/{n} messages ({failed} entries failed)", None
    m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=function, Enabled=False, **params)
    uuid = m["UUID"]
    wait_state(lam, uuid, ("Disabled",))
    quiet = MOTO_WAIT if name == "moto_server" else 60.0
    t0 = time.perf_counter()
    lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    left, last_change, last_left, first_gone = n, t0, n, None
    while left:
        time.sleep(0.1)
        left = depth(sqs, url)
        now = time.perf_counter()
        if left != last_left:
            last_change, last_left = now, left
            if first_gone is None and left < n:
                first_gone = now - t0
        if now - last_change > quiet:
            break
    elapsed = time.perf_counter() - t0
    try:
        lam.delete_event_source_mapping(UUID=uuid)
        sqs.delete_queue(QueueUrl=url)
    except Exception as e:  # noqa: BLE001 - clean-up only
        print(f"# {name}: clean-up of {qname}: {e!r:.120}", file=sys.stderr)
    if left:
        if left == n:
            return n, f"none consumed in {quiet:.0f} s", None
        return n, f"stalled: {n - left}/{n} consumed, none for {quiet:.0f} s", None
    return n, f"{elapsed:.2f} s (first gone after {first_gone:.2f} s)", n / elapsed


def server(name, endpoint, cred):
    lam, sqs, sts, iam = clients(endpoint, cred)
    account = sts.get_caller_identity()["Account"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", HANDLER)
    function = "esm-trivial"
    try:
        lam.create_function(FunctionName=function, Runtime="python3.12", Role=ROLE.format(account=account),
                            Handler="app.handler", Code={"ZipFile": buf.getvalue()})
    except Exception as e:  # noqa: BLE001 - a peer may want the role to exist
        if "role" not in str(e).lower():
            raise
        iam.create_role(RoleName="bench-esm", AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":'
                        '"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}')
        lam.create_function(FunctionName=function, Runtime="python3.12", Role=ROLE.format(account=account),
                            Handler="app.handler", Code={"ZipFile": buf.getvalue()})
    try:  # one warm-up invoke, so the first batch does not also pay for unpacking the code
        r = lam.invoke(FunctionName=function, Payload=b"{}")
        if r.get("FunctionError"):
            NOTES.append(f"{name}: a direct Invoke answered FunctionError {r['FunctionError']}: "
                         f"{r['Payload'].read().decode(errors='replace')[:160]}")
    except Exception as e:  # noqa: BLE001 - noted under the table
        NOTES.append(f"{name}: a direct Invoke failed: {e!r:.160}")
    rows = []
    for k, (label, fifo, params) in enumerate(CASES):
        try:
            n, result, rate = run_case(name, lam, sqs, function, f"{k}-{int(time.time())}", fifo, params)
        except Exception as e:  # noqa: BLE001 - reported in the table
            n, result, rate = "—", f"error: {e!r:.120}", None
        rows.append((label, result, rate))
        shown = f"{rate:,.0f}" if rate else ("moto does not run functions without Docker" if name == "moto_server"
                                             and result.startswith("none consumed") else "—")
        print(f"| {label} | {name} | {n} | {result} | {shown} |", flush=True)
    return rows


print("| mapping | server | messages | enable → queue empty | messages/s |")
print("|---|---|---|---|---|")
for server_name, server_endpoint, server_cred in SERVERS:
    server(server_name, server_endpoint, server_cred)
for note in NOTES:
    print(f"\n{note}")
