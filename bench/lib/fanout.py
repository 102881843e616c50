"""bench/fanout.sh's measurements: SNS -> SQS and EventBridge -> SQS fan-out under saturation and at a steady rate.

Usage: fanout.py OUTDIR DURATION NAME=ENDPOINT=CREDFILE|- ...
"""
import http.client
import json
import re
import subprocess
import sys
import threading
import time
from urllib.parse import urlencode, urlparse

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config

sys.path.insert(0, "bench/lib")
from signed_request import credentials  # noqa: E402

OUT, DURATION = sys.argv[1], float(sys.argv[2])
SERVERS = [a.split("=", 2) for a in sys.argv[3:]]
RATE, SENDERS, STEADY = 1000, 16, 10.0


def clients(endpoint, cred):
    c = credentials(cred)
    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=c.access_key, aws_secret_access_key=c.secret_key,
              config=Config(max_pool_connections=32, retries={"max_attempts": 1}))
    return boto3.client("sns", **kw), boto3.client("sqs", **kw), boto3.client("events", **kw)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


def queue(sqs, name, source_service, source_arn):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": source_service}, "Action": "sqs:SendMessage", "Resource": arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}}}]})})
    return url, arn


def sns_path(sns, sqs, events, tag):
    topic = sns.create_topic(Name=f"fanout-{tag}")["TopicArn"]
    url, arn = queue(sqs, f"fanout-sns-{tag}", "sns.amazonaws.com", topic)
    # Saturation as the issue measured it (raw delivery, as bench/sns_sqs.sh); the steady run needs the envelope's
    # Timestamp, so it takes the signed envelope (an RSA signature per copy).
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true" if tag == "sat" else "false"})
    body = lambda i: urlencode({"Action": "Publish", "Version": "2010-03-31", "TopicArn": topic, "Message": str(i)})
    index = lambda m: int(json.loads(m["Body"])["Message"])
    return url, ("sns", "query", None, body), index


def events_path(sns, sqs, events, tag):
    rule = f"fanout-{tag}"
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": [f"bench.{tag}"]}))["RuleArn"]
    url, arn = queue(sqs, f"fanout-events-{tag}", "events.amazonaws.com", rule_arn)
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}])
    body = lambda i: json.dumps({"Entries": [{"Source": f"bench.{tag}", "DetailType": "bench", "Detail": json.dumps({"i": i})}]})
    index = lambda m: int(json.loads(m["Body"])["detail"]["i"])
    return url, ("events", "json", "AWSEvents.PutEvents", body), index


def signed(endpoint, cred, spec, i):
    service, kind, target, body = spec
    c = credentials(cred)
    data = body(i)
    if kind == "query":
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    else:
        headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target}
    req = AWSRequest(method="POST", url=endpoint + "/", data=data, headers=headers)
    SigV4Auth(c, service, "us-east-1").add_auth(req)
    return dict(req.headers.items()), data


def depth(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])


def saturate(name, endpoint, cred, path_of, label):
    sns, sqs, events = clients(endpoint, cred)
    url, spec, _ = path_of(sns, sqs, events, "sat")
    headers, data = signed(endpoint, cred, spec, 0)
    lua = f"{OUT}/{name}-{label}.lua"
    with open(lua, "w") as f:
        f.write('wrk.method = "POST"\n' + "".join(f'wrk.headers["{k}"] = {json.dumps(v)}\n' for k, v in headers.items())
                + f"wrk.body = {json.dumps(data)}\n")
    samples, stop = [], [False]

    def sampler():
        _, s, _ = clients(endpoint, cred)
        while not stop[0]:
            samples.append((time.time(), depth(s, url)))
            time.sleep(0.25)
    th = threading.Thread(target=sampler)
    th.start()
    started = time.time()
    run = subprocess.run(["wrk", "-t2", "-c64", f"-d{int(DURATION)}s", "-s", lua, endpoint + "/"], capture_output=True, text=True).stdout
    ended = time.time()
    stop[0] = True
    th.join()
    total = int(re.search(r"(\d+) requests in", run).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", run)) else 0
    acked = total - non2xx
    at_stop = depth(sqs, url)
    drained = None
    while time.time() - ended < 120:
        if depth(sqs, url) >= acked:
            drained = time.time() - ended
            break
        time.sleep(0.05)
    rate = acked / DURATION
    # The trail while the load ran: how many seconds of acknowledged publishes were not yet in the queue at each sample.
    # (An estimate: it takes the publish rate as even over the run.)
    trail = max(((rate * (t - started) - d) / rate for t, d in samples if started <= t <= ended), default=0.0)
    drain = f"{drained:.2f} s" if drained is not None else "not within 120 s"
    return (f"| {label}, c=64 for {DURATION:.0f} s | {name} | {rate:.0f}/s acknowledged ({acked}, {non2xx} refused) | "
            f"{at_stop} in the queue when the load stopped | all delivered {drain} later | largest trail while loaded ≈ {max(trail, 0):.2f} s |")


def steady(name, endpoint, cred, path_of, label):
    sns, sqs, events = clients(endpoint, cred)
    url, spec, index = path_of(sns, sqs, events, "steady")
    n = int(RATE * STEADY)
    requests = [signed(endpoint, cred, spec, i) for i in range(n)]
    sent, got, errors, failures = [0.0] * n, {}, [0], []
    start = time.time() + 1.0
    host = urlparse(endpoint)

    def sender(k):
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        for i in range(k, n, SENDERS):
            due = start + i / RATE
            if time.time() > start + STEADY * 1.5:
                return  # a server that cannot keep up: what was sent by then is measured
            pause = due - time.time()
            if pause > 0:
                time.sleep(pause)
            headers, data = requests[i]
            sent[i] = time.time()
            conn.request("POST", "/", body=data, headers=headers)
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                errors[0] += 1

    done = [False]

    def receiver():
        _, s, _ = clients(endpoint, cred)
        while not done[0]:
            try:
                batch = s.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=600).get("Messages", [])
            except Exception as e:  # moto_server answers 500 now and then under load: noted, and receiving goes on
                failures.append(repr(e)[:120])
                continue
            for m in batch:
                got.setdefault(index(m), time.time())
    receivers = [threading.Thread(target=receiver) for _ in range(4)]
    [t.start() for t in receivers]
    senders = [threading.Thread(target=sender, args=(k,)) for k in range(SENDERS)]
    [t.start() for t in senders]
    [t.join() for t in senders]
    sent_count = sum(1 for t in sent if t)
    achieved = sent_count / (max(sent) - start) if sent_count else 0
    deadline = time.time() + 60
    while len(got) < sent_count - errors[0] and time.time() < deadline:
        time.sleep(0.1)
    done[0] = True
    [t.join() for t in receivers]
    lat = [(got[i] - sent[i]) * 1000 for i in got if 0 <= i < n and sent[i]]
    return (f"| {label}, steady {achieved:.0f}/s for {STEADY:.0f} s | {name} | {len(got)}/{sent_count} received, {errors[0]} refused | "
            f"publish→receive p50 {pct(lat, .5):.1f} ms | p99 {pct(lat, .99):.1f} ms | max {max(lat, default=float('nan')):.1f} ms"
            + (f", {len(failures)} failed receives" if failures else "") + " |")


print("| measure | server | sent | delivered | trail | |")
print("|---|---|---|---|---|---|")
for label, path in (("SNS Publish → SQS subscriber", sns_path), ("EventBridge PutEvents → SQS target", events_path)):
    for name, endpoint, cred in SERVERS:
        print(saturate(name, endpoint, cred, path, label), flush=True)
        print(steady(name, endpoint, cred, path, label), flush=True)
