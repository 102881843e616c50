"""SNS with SQS subscribers, driven by boto3 and awscli on both backends: topics, subscriptions, filter policies,
signed envelopes (verified with `cryptography` against the certificate at SigningCertURL), raw delivery, batches,
errors, and at-least-once delivery across kill -9."""
import base64
import json
import signal
import threading
import time

import pytest
import requests
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from conftest import BACKENDS, allow_service, code, free_port


def clients(w, region="us-east-1"):
    return w.client("sns", region=region, validate=False), w.client("sqs", region=region, validate=False)


def queue(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def drain(sqs, url, want, timeout=15):
    got, deadline = [], time.time() + timeout
    while len(got) < want and time.time() < deadline:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                     MessageAttributeNames=["All"]).get("Messages", []):
            got.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


def verify(envelope):
    pem = requests.get(envelope["SigningCertURL"]).content
    cert = x509.load_pem_x509_certificate(pem)
    keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    text = "".join(f"{k}\n{envelope[k]}\n" for k in keys if k in envelope).encode()
    digest = hashes.SHA256() if envelope["SignatureVersion"] == "2" else hashes.SHA1()
    cert.public_key().verify(base64.b64decode(envelope["Signature"]), text, padding.PKCS1v15(), digest)


def test_topics_subscriptions_and_errors(strict):
    sns, sqs = clients(strict)
    arn = sns.create_topic(Name="alerts", Attributes={"DisplayName": "Alerts"}, Tags=[{"Key": "team", "Value": "sec"}])["TopicArn"]
    account = strict.client("sts").get_caller_identity()["Account"]
    assert arn == f"arn:aws:sns:us-east-1:{account}:alerts"
    assert sns.create_topic(Name="alerts", Attributes={"DisplayName": "Alerts"})["TopicArn"] == arn
    with pytest.raises(ClientError) as e:
        sns.create_topic(Name="alerts", Attributes={"DisplayName": "Other"})
    assert code(e) == "InvalidParameter"
    for bad in ["", "x" * 257, "has space", "dot.name"]:
        with pytest.raises(ClientError) as e:
            sns.create_topic(Name=bad)
        assert code(e) == "InvalidParameter", bad
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["DisplayName"] == "Alerts" and attrs["Owner"] == account and "SignatureVersion" not in attrs
    assert json.loads(attrs["Policy"])["Statement"][0]["Resource"] == arn
    sns.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion", AttributeValue="2")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["SignatureVersion"] == "2"
    with pytest.raises(ClientError) as e:
        sns.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion", AttributeValue="3")
    assert code(e) == "InvalidParameter"
    with pytest.raises(ClientError) as e:
        sns.get_topic_attributes(TopicArn=arn + "-missing")
    assert code(e) == "NotFound"
    sns.add_permission(TopicArn=arn, Label="partner", AWSAccountId=["111122223333"], ActionName=["Publish", "Subscribe"])
    policy = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    partner = [s for s in policy["Statement"] if s["Sid"] == "partner"][0]
    assert partner["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"} and partner["Action"] == ["SNS:Publish", "SNS:Subscribe"]
    with pytest.raises(ClientError) as e:
        sns.add_permission(TopicArn=arn, Label="partner", AWSAccountId=["111122223333"], ActionName=["Publish"])
    assert code(e) == "InvalidParameter"
    with pytest.raises(ClientError) as e:
        sns.add_permission(TopicArn=arn, Label="x", AWSAccountId=["111122223333"], ActionName=["Fly"])
    assert code(e) == "InvalidParameter"
    sns.remove_permission(TopicArn=arn, Label="partner")
    assert "partner" not in sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "test"}])
    assert {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]} == {"team": "sec", "env": "test"}
    sns.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert [t["Key"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]] == ["env"]
    _, qarn = queue(sqs, "alerts-q")
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
    assert sub.startswith(arn + ":")
    assert sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"] == sub
    sa = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert sa["Protocol"] == "sqs" and sa["Endpoint"] == qarn and sa["RawMessageDelivery"] == "true" and sa["PendingConfirmation"] == "false"
    assert [s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]] == [sub]
    assert [s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]] == [sub]
    for bad_policy in ["not json", json.dumps({"k": "not-a-list"}), json.dumps({"k": [{"numeric": [">", "x"]}]}),
                       json.dumps({f"k{i}": ["v"] for i in range(6)}), json.dumps({"k": [{"unknown-op": 1}]})]:
        with pytest.raises(ClientError) as e:
            sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=bad_policy)
        assert code(e) == "InvalidParameter", bad_policy
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=arn, Protocol="carrier-pigeon", Endpoint="x")
    assert code(e) == "InvalidParameter"
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["SubscriptionsConfirmed"] == "1"
    sns.unsubscribe(SubscriptionArn=sub)
    with pytest.raises(ClientError) as e:
        sns.get_subscription_attributes(SubscriptionArn=sub)
    assert code(e) == "NotFound"
    for i in range(3):
        sns.create_topic(Name=f"more-{i}")
    assert len(sns.list_topics()["Topics"]) == 4
    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=arn)  # deleting again succeeds, as in SNS
    assert arn not in [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    for kw, want in [({"TopicArn": arn, "Message": "x"}, "NotFound"),
                     ({"Message": "x"}, "InvalidParameter"),
                     ({"TopicArn": f"arn:aws:sns:us-east-1:{account}:more-0", "Message": ""}, "InvalidParameter"),
                     ({"TopicArn": f"arn:aws:sns:us-east-1:{account}:more-0", "Message": "x" * 262_145}, "InvalidParameter"),
                     ({"TopicArn": f"arn:aws:sns:us-east-1:{account}:more-0", "Message": "x", "Subject": "a\nb"}, "InvalidParameter"),
                     ({"TopicArn": f"arn:aws:sns:us-east-1:{account}:more-0", "Message": json.dumps({"sqs": "x"}),
                       "MessageStructure": "json"}, "InvalidParameter"),
                     ({"TopicArn": f"arn:aws:sns:us-east-1:{account}:more-0", "Message": "x",
                       "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "abc"}}}, "ParameterValueInvalid")]:
        with pytest.raises(ClientError) as e:
            sns.publish(**kw)
        assert code(e) == want, kw


@pytest.mark.parametrize("version", ["1", "2"])
def test_fan_out_filters_and_signatures(strict, version):
    sns, sqs = clients(strict)
    topic = sns.create_topic(Name="orders", Attributes={"SignatureVersion": version})["TopicArn"]
    urls = {}
    for name, attrs in [("all", {}),
                        ("big-red", {"FilterPolicy": json.dumps({"color": ["red"], "size": [{"numeric": [">=", 10]}]})}),
                        ("blue-only", {"FilterPolicy": json.dumps({"color": ["blue"]})}),
                        ("raw", {"RawMessageDelivery": "true"}),
                        ("body", {"FilterPolicy": json.dumps({"order": {"state": [{"prefix": "ship"}]}}),
                                  "FilterPolicyScope": "MessageBody", "RawMessageDelivery": "true"})]:
        url, arn = queue(sqs, f"orders-{name}")
        urls[name] = url
        allow_service(sqs, url, "sns.amazonaws.com", topic)
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attrs)
    body = json.dumps({"order": {"state": "shipped", "id": 7}})
    mid = sns.publish(TopicArn=topic, Message=body, Subject="Order", MessageAttributes={
        "color": {"DataType": "String", "StringValue": "red"}, "size": {"DataType": "Number", "StringValue": "12"},
        "tags": {"DataType": "String.Array", "StringValue": json.dumps(["a", "b"])},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})["MessageId"]
    envelope = json.loads(drain(sqs, urls["all"], 1)[0]["Body"])
    assert envelope["Type"] == "Notification" and envelope["MessageId"] == mid and envelope["Message"] == body
    assert envelope["Subject"] == "Order" and envelope["TopicArn"] == topic and envelope["SignatureVersion"] == version
    assert envelope["MessageAttributes"]["color"] == {"Type": "String", "Value": "red"}
    assert envelope["MessageAttributes"]["blob"] == {"Type": "Binary", "Value": base64.b64encode(b"\x00\x01").decode()}
    verify(envelope)
    tampered = dict(envelope, Message="changed")
    with pytest.raises(Exception):
        verify(tampered)
    assert json.loads(drain(sqs, urls["big-red"], 1)[0]["Body"])["MessageId"] == mid
    raw = drain(sqs, urls["raw"], 1)[0]
    assert raw["Body"] == body and raw["MessageAttributes"]["color"]["StringValue"] == "red"
    assert raw["MessageAttributes"]["blob"]["BinaryValue"] == b"\x00\x01"
    assert drain(sqs, urls["body"], 1)[0]["Body"] == body
    # The policy that rejects it: nothing arrives.
    assert drain(sqs, urls["blue-only"], 1, timeout=2) == []
    # A second message only some filters take.
    sns.publish(TopicArn=topic, Message=json.dumps({"order": {"state": "new"}}),
                MessageAttributes={"color": {"DataType": "String", "StringValue": "blue"}})
    assert len(drain(sqs, urls["blue-only"], 1)) == 1 and len(drain(sqs, urls["all"], 1)) == 1
    assert drain(sqs, urls["big-red"], 1, timeout=2) == [] and drain(sqs, urls["body"], 1, timeout=2) == []


def test_filter_policy_operators(strict):
    sns, sqs = clients(strict)
    topic = sns.create_topic(Name="ops")["TopicArn"]
    cases = {
        "prefix": {"s": [{"prefix": "ab"}]},
        "anything-but": {"s": [{"anything-but": ["abc", "zzz"]}]},
        "exists-false": {"missing": [{"exists": False}]},
        "ignore-case": {"s": [{"equals-ignore-case": "ABC"}]},
        "or": {"$or": [{"s": ["nope"]}, {"n": [{"numeric": [">", 0, "<=", 5]}]}]},
        "array": {"list": ["b"]},
        "cidr": {"ip": [{"cidr": "10.0.0.0/24"}]},
    }
    urls = {}
    for name, policy in cases.items():
        url, arn = queue(sqs, f"ops-{name}")
        urls[name] = url
        allow_service(sqs, url, "sns.amazonaws.com", topic)
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"FilterPolicy": json.dumps(policy)})
    sns.publish(TopicArn=topic, Message="m", MessageAttributes={
        "s": {"DataType": "String", "StringValue": "abc"}, "n": {"DataType": "Number", "StringValue": "3"},
        "list": {"DataType": "String.Array", "StringValue": '["a","b"]'}, "ip": {"DataType": "String", "StringValue": "10.0.0.77"}})
    got = {name: len(drain(sqs, url, 1, timeout=3)) for name, url in urls.items()}
    assert got == {"prefix": 1, "anything-but": 0, "exists-false": 1, "ignore-case": 1, "or": 1, "array": 1, "cidr": 1}


def test_publish_batch_and_awscli(strict):
    sns, sqs = clients(strict)
    topic = sns.create_topic(Name="batch")["TopicArn"]
    url, arn = queue(sqs, "batch-q")
    allow_service(sqs, url, "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    r = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": f"e{i}", "Message": f"m{i}"} for i in range(5)] +
                          [{"Id": "bad", "Message": ""}])
    assert sorted(e["Id"] for e in r["Successful"]) == [f"e{i}" for i in range(5)]
    assert [(f["Id"], f["Code"]) for f in r["Failed"]] == [("bad", "InvalidParameter")]
    assert sorted(m["Body"] for m in drain(sqs, url, 5)) == [f"m{i}" for i in range(5)]
    for entries, want in [([], "EmptyBatchRequest"), ([{"Id": f"x{i}", "Message": "m"} for i in range(11)], "TooManyEntriesInBatchRequest"),
                          ([{"Id": "a", "Message": "m"}, {"Id": "a", "Message": "n"}], "BatchEntryIdsNotDistinct")]:
        with pytest.raises(ClientError) as e:
            sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
        assert code(e) == want
    r = strict.aws("sns", "publish", "--topic-arn", topic, "--message", "from the cli")
    assert r.returncode == 0, r.stderr
    assert [m["Body"] for m in drain(sqs, url, 1)] == ["from the cli"]
    r = strict.aws("sns", "get-topic-attributes", "--topic-arn", topic + "-nope")
    assert r.returncode != 0 and "NotFound" in r.stderr


def test_publish_is_a_data_event_without_the_message(strict):
    sns, _ = clients(strict)
    topic = sns.create_topic(Name="audited")["TopicArn"]
    sns.publish(TopicArn=topic, Message="confidential words")
    records = strict.audit_records()
    pubs = [r for r in records if r["eventName"] == "Publish"]
    assert pubs and pubs[0]["eventCategory"] == "Data" and pubs[0]["resources"][0] == {
        "type": "AWS::SNS::Topic", "ARN": topic, "accountId": pubs[0]["recipientAccountId"]}
    assert all("confidential words" not in json.dumps(r) for r in records)


@pytest.mark.parametrize("backend", BACKENDS)
def test_kill9_with_publishes_in_flight_delivers_every_acknowledged_one(make_warden, backend):
    w = make_warden(backend)
    sns, sqs = clients(w)
    topic = sns.create_topic(Name="crash")["TopicArn"]
    url, arn = queue(sqs, "crash-q")
    allow_service(sqs, url, "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    acknowledged = []

    def publisher(worker):
        client = clients(w)[0]
        batch = 0
        while True:
            try:
                r = client.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
                    {"Id": f"e{i}", "Message": f"{worker}-{batch}-{i}"} for i in range(10)])
            except Exception:
                return
            acknowledged.extend(f"{worker}-{batch}-{e['Id'][1:]}" for e in r["Successful"])
            batch += 1

    threads = [threading.Thread(target=publisher, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    # Kill -9 with publishes and deliveries in flight, once at least 1,000 publishes were acknowledged.
    deadline = time.time() + 60
    while len(acknowledged) < 1000 and time.time() < deadline:
        time.sleep(0.05)
    w.proc.send_signal(signal.SIGKILL)
    w.proc.wait()
    for t in threads:
        t.join(30)
    w.start()
    sqs = clients(w)[1]
    bodies = set()
    deadline = time.time() + 90
    while not set(acknowledged) <= bodies and time.time() < deadline:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            bodies.add(m["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert len(acknowledged) >= 1000
    assert set(acknowledged) <= bodies, len(set(acknowledged) - bodies)


class Endpoint:
    """A small HTTP server standing in for a subscriber: records every POST; /flaky fails its first 3, /down all."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        self.posts = []
        self.counts = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                outer.posts.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time()))
                kind = self.headers.get("x-amz-sns-message-type")
                n = outer.counts[(self.path, kind)] = outer.counts.get((self.path, kind), 0) + 1
                fail = kind == "Notification" and (self.path == "/down" or (self.path == "/flaky" and n <= 3))
                self.send_response(500 if fail else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of(self, path, kind):
        return [(h, json.loads(b), t) for p, h, b, t in self.posts if p == path and h.get("x-amz-sns-message-type") == kind]

    def close(self):
        self.server.shutdown()


def test_http_subscriptions_handshake_signatures_and_retries(strict):
    sns, _ = clients(strict)
    ep = Endpoint()
    try:
        topic = sns.create_topic(Name="web")["TopicArn"]
        fast = json.dumps({"healthyRetryPolicy": {"minDelayTarget": 1, "maxDelayTarget": 1, "numRetries": 3,
                                                  "numNoDelayRetries": 0, "numMinDelayRetries": 0, "numMaxDelayRetries": 0,
                                                  "backoffFunction": "linear"}})
        subs = {}
        sqs = clients(strict)[1]
        dlq_url, dlq_arn = queue(sqs, "web-dlq")
        for path in ("/ok", "/flaky", "/down"):
            attrs = {"DeliveryPolicy": fast} if path != "/ok" else {}
            if path == "/down":
                attrs["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dlq_arn})
            r = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=ep.url + path, Attributes=attrs)
            assert r["SubscriptionArn"] == "pending confirmation"
        listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        assert [s["SubscriptionArn"] for s in listed] == ["PendingConfirmation"] * 3
        # The handshake: a signed SubscriptionConfirmation, confirmed through its unsigned SubscribeURL.
        for path in ("/ok", "/flaky", "/down"):
            conf = None
            deadline = time.time() + 10
            while not conf and time.time() < deadline:
                conf = ep.of(path, "SubscriptionConfirmation")
                time.sleep(0.1)
            headers, body, _ = conf[0]
            assert body["Type"] == "SubscriptionConfirmation" and body["TopicArn"] == topic and body["Token"]
            assert headers["x-amz-sns-topic-arn"] == topic and "x-amz-sns-subscription-arn" not in headers
            assert headers["user-agent"] == "Amazon Simple Notification Service Agent"
            pem = requests.get(body["SigningCertURL"]).content
            keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
            text = "".join(f"{k}\n{body[k]}\n" for k in keys).encode()
            x509.load_pem_x509_certificate(pem).public_key().verify(base64.b64decode(body["Signature"]), text,
                                                                      padding.PKCS1v15(), hashes.SHA1())
            r = requests.get(body["SubscribeURL"])
            assert r.status_code == 200 and "<SubscriptionArn>" in r.text, r.text
            subs[path] = r.text.split("<SubscriptionArn>")[1].split("<")[0]
        with pytest.raises(ClientError) as e:
            sns.confirm_subscription(TopicArn=topic, Token="not-the-token")
        assert code(e) == "InvalidParameter"
        assert sns.get_subscription_attributes(SubscriptionArn=subs["/ok"])["Attributes"]["PendingConfirmation"] == "false"
        mid = sns.publish(TopicArn=topic, Message="to the web", Subject="Hi")["MessageId"]
        deadline = time.time() + 20
        while time.time() < deadline and (not ep.of("/ok", "Notification") or not ep.of("/flaky", "Notification")
                                          or len(ep.of("/flaky", "Notification")) < 4 or len(ep.of("/down", "Notification")) < 4):
            time.sleep(0.2)
        headers, note, _ = ep.of("/ok", "Notification")[0]
        assert note["MessageId"] == mid and note["Message"] == "to the web" and note["Subject"] == "Hi"
        assert headers["x-amz-sns-subscription-arn"] == subs["/ok"] and headers["x-amz-sns-message-id"] == mid
        verify(note)
        # 3 failures, then the 4th attempt succeeds, about a second apart as the policy says.
        flaky = ep.of("/flaky", "Notification")
        assert len(flaky) == 4 and all(b["MessageId"] == mid for _, b, _ in flaky)
        gaps = [b[2] - a[2] for a, b in zip(flaky, flaky[1:])]
        assert all(g >= 0.8 for g in gaps), gaps
        # An endpoint that always fails gets numRetries + 1 attempts; then the message goes to its dead-letter queue.
        time.sleep(2.5)
        assert len(ep.of("/down", "Notification")) == 4
        dead = drain(sqs, dlq_url, 1)
        assert len(dead) == 1 and json.loads(dead[0]["Body"])["MessageId"] == mid
        # The UnsubscribeURL works without a signature.
        r = requests.get(note["UnsubscribeURL"])
        assert r.status_code == 200
        with pytest.raises(ClientError) as e:
            sns.get_subscription_attributes(SubscriptionArn=subs["/ok"])
        assert code(e) == "NotFound"
    finally:
        ep.close()


def test_email_subscriptions_through_a_real_smtp_server(make_warden):
    from aiosmtpd.controller import Controller
    from email import message_from_bytes

    class Inbox:
        def __init__(self):
            self.mail = []

        async def handle_DATA(self, server, session, envelope):
            self.mail.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
            return "250 OK"

    inbox = Inbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        w = make_warden("sqlite", extra_args=["--smtp-url", f"smtp://127.0.0.1:{port}"])
        sns, _ = clients(w)
        topic = sns.create_topic(Name="mail")["TopicArn"]
        assert sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="ops@example.com")["SubscriptionArn"] == "pending confirmation"
        sns.subscribe(TopicArn=topic, Protocol="email-json", Endpoint="robot@example.com")
        with pytest.raises(ClientError) as e:
            sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="not an address")
        assert code(e) == "InvalidParameter"

        def wait_mail(n):
            deadline = time.time() + 15
            while len(inbox.mail) < n and time.time() < deadline:
                time.sleep(0.1)
            assert len(inbox.mail) >= n, inbox.mail

        wait_mail(2)
        by_rcpt = {m[0][0]: m[1] for m in inbox.mail}
        text = by_rcpt["ops@example.com"]
        assert text["Subject"] == "AWS Notification - Subscription Confirmation" and text["From"] == "no-reply@sns.amazonaws.com"
        link = [line for line in text.get_payload(decode=True).decode().splitlines() if "Action=ConfirmSubscription" in line][0].strip()
        assert requests.get(link).status_code == 200
        confirmation = json.loads(by_rcpt["robot@example.com"].get_payload(decode=True))
        assert confirmation["Type"] == "SubscriptionConfirmation"
        assert requests.get(confirmation["SubscribeURL"]).status_code == 200
        inbox.mail.clear()
        mid = sns.publish(TopicArn=topic, Message="the disk is full", Subject="Alarm")["MessageId"]
        wait_mail(2)
        by_rcpt = {m[0][0]: m[1] for m in inbox.mail}
        assert by_rcpt["ops@example.com"]["Subject"] == "Alarm"
        body = by_rcpt["ops@example.com"].get_payload(decode=True).decode()
        assert body.startswith("the disk is full") and "Action=Unsubscribe" in body
        note = json.loads(by_rcpt["robot@example.com"].get_payload(decode=True))
        assert note["MessageId"] == mid and note["Message"] == "the disk is full"
        verify(note)
    finally:
        smtp.stop()


def test_sms_through_a_gateway_with_opt_outs(make_warden):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    texts = []

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            texts.append(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            # A number that answers STOP: the gateway says so, and Warden records the opt-out.
            self.wfile.write(json.dumps({"optedOut": body["phoneNumber"] == "+15550000002"}).encode())

        def log_message(self, *args):
            pass

    gateway = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=gateway.serve_forever, daemon=True).start()
    try:
        w = make_warden("sqlite", extra_args=["--sms-gateway-url", f"http://127.0.0.1:{gateway.server_address[1]}/send"])
        sns, _ = clients(w)
        sns.set_sms_attributes(attributes={"DefaultSMSType": "Transactional", "DefaultSenderID": "Warden"})
        assert sns.get_sms_attributes()["attributes"] == {"DefaultSMSType": "Transactional", "DefaultSenderID": "Warden"}
        with pytest.raises(ClientError) as e:
            sns.set_sms_attributes(attributes={"DefaultSMSType": "Loud"})
        assert code(e) == "InvalidParameter"
        mid = sns.publish(PhoneNumber="+15550000001", Message="your code is 123456")["MessageId"]
        topic = sns.create_topic(Name="texts")["TopicArn"]
        sub = sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15550000002")["SubscriptionArn"]
        assert sub.startswith(topic + ":")
        sns.publish(TopicArn=topic, Message="first")
        deadline = time.time() + 10
        while len(texts) < 2 and time.time() < deadline:
            time.sleep(0.1)
        direct = [t for t in texts if t["phoneNumber"] == "+15550000001"][0]
        assert direct == {"messageId": mid, "phoneNumber": "+15550000001", "message": "your code is 123456",
                          "smsType": "Transactional", "senderId": "Warden"}
        # Warden records the opt-out once it has read the gateway's answer, just after the gateway saw the text.
        deadline = time.time() + 10
        while not sns.check_if_phone_number_is_opted_out(phoneNumber="+15550000002")["isOptedOut"] and time.time() < deadline:
            time.sleep(0.1)
        assert sns.check_if_phone_number_is_opted_out(phoneNumber="+15550000002")["isOptedOut"] is True
        assert sns.list_phone_numbers_opted_out()["phoneNumbers"] == ["+15550000002"]
        # Opted out: nothing more is sent to it until it opts in again.
        sns.publish(TopicArn=topic, Message="second")
        time.sleep(1.0)
        assert [t["message"] for t in texts if t["phoneNumber"] == "+15550000002"] == ["first"]
        sns.opt_in_phone_number(phoneNumber="+15550000002")
        assert sns.check_if_phone_number_is_opted_out(phoneNumber="+15550000002")["isOptedOut"] is False
        for bad in ["5550000001", "+0123", "+1555abc"]:
            with pytest.raises(ClientError) as e:
                sns.publish(PhoneNumber=bad, Message="x")
            assert code(e) == "InvalidParameter", bad
    finally:
        gateway.shutdown()


def test_lambda_subscription_to_a_missing_function_is_dead_lettered(strict):
    sns, sqs = clients(strict)
    topic = sns.create_topic(Name="to-functions")["TopicArn"]
    account = topic.split(":")[4]
    dlq_url, dlq_arn = queue(sqs, "lambda-dlq")
    sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=f"arn:aws:lambda:us-east-1:{account}:function:handler",
                        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})["SubscriptionArn"]
    assert sub.startswith(topic + ":")
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint="not-an-arn")
    assert code(e) == "InvalidParameter"
    for i in range(3):
        sns.publish(TopicArn=topic, Message=f"event {i}")
    # No such function: a client-side error, so no retries; each copy goes to the subscription's dead-letter queue.
    dead = drain(sqs, dlq_url, 3)
    assert sorted(json.loads(m["Body"])["Message"] for m in dead) == ["event 0", "event 1", "event 2"]
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["Protocol"] == "lambda" and "PendingDeliveries" not in attrs


def test_fifo_topics_keep_order_and_deduplicate(strict):
    sns, sqs = clients(strict)
    with pytest.raises(ClientError) as e:
        sns.create_topic(Name="orders.fifo")
    assert code(e) == "InvalidParameter"
    topic = sns.create_topic(Name="orders.fifo", Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    qurl = sqs.create_queue(QueueName="orders.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=qurl, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    allow_service(sqs, qurl, "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint="http://127.0.0.1:9/x")
    assert code(e) == "InvalidParameter"
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=topic, Message="no group")
    assert code(e) == "InvalidParameter"
    seqs = []
    for i in range(5):
        r = sns.publish(TopicArn=topic, Message=f"step {i}", MessageGroupId="order-1")
        seqs.append(int(r["SequenceNumber"]))
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    # Same body within 5 minutes (content-based deduplication): same message id, nothing delivered again.
    first = sns.publish(TopicArn=topic, Message="step 0", MessageGroupId="order-1")
    assert int(first["SequenceNumber"]) == seqs[0]
    r = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": f"b{i}", "Message": f"batch {i}", "MessageGroupId": "order-2", "MessageDeduplicationId": f"d{i}"} for i in range(3)])
    assert [e["Id"] for e in r["Successful"]] == ["b0", "b1", "b2"]
    got = []
    deadline = time.time() + 15
    while len(got) < 8 and time.time() < deadline:
        for m in sqs.receive_message(QueueUrl=qurl, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                     MessageSystemAttributeNames=["MessageGroupId"]).get("Messages", []):
            got.append((m["Attributes"]["MessageGroupId"], m["Body"]))
            sqs.delete_message(QueueUrl=qurl, ReceiptHandle=m["ReceiptHandle"])
    assert [b for g, b in got if g == "order-1"] == [f"step {i}" for i in range(5)]
    assert [b for g, b in got if g == "order-2"] == [f"batch {i}" for i in range(3)]


def test_fan_out_to_queues_http_and_email_from_one_publish(make_warden):
    """The issue's fan-out: 3 SQS queues (one filters the message out), an HTTP endpoint, an email address."""
    from aiosmtpd.controller import Controller
    from email import message_from_bytes

    class Inbox:
        def __init__(self):
            self.mail = []

        async def handle_DATA(self, server, session, envelope):
            self.mail.append(message_from_bytes(envelope.content))
            return "250 OK"

    inbox, port, ep = Inbox(), free_port(), Endpoint()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        w = make_warden("sqlite", extra_args=["--smtp-url", f"smtp://127.0.0.1:{port}"])
        sns, sqs = clients(w)
        topic = sns.create_topic(Name="fanout", Attributes={"SignatureVersion": "2"})["TopicArn"]
        queues = {}
        for name, policy in [("q1", None), ("q2", None), ("q3", {"kind": ["refund"]})]:
            url, arn = queue(sqs, f"fanout-{name}")
            queues[name] = url
            allow_service(sqs, url, "sns.amazonaws.com", topic)
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                          Attributes={"FilterPolicy": json.dumps(policy)} if policy else {})
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=ep.url + "/ok")
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="team@example.com")
        deadline = time.time() + 10
        while (not ep.of("/ok", "SubscriptionConfirmation") or not inbox.mail) and time.time() < deadline:
            time.sleep(0.1)
        requests.get(ep.of("/ok", "SubscriptionConfirmation")[0][1]["SubscribeURL"])
        link = [ln for ln in inbox.mail[0].get_payload(decode=True).decode().splitlines() if "ConfirmSubscription" in ln][0].strip()
        requests.get(link)
        inbox.mail.clear()
        mid = sns.publish(TopicArn=topic, Message="order shipped",
                          MessageAttributes={"kind": {"DataType": "String", "StringValue": "shipment"}})["MessageId"]
        for name in ("q1", "q2"):
            env = json.loads(drain(sqs, queues[name], 1)[0]["Body"])
            assert env["MessageId"] == mid
            verify(env)
        assert drain(sqs, queues["q3"], 1, timeout=2) == []
        deadline = time.time() + 10
        while (not ep.of("/ok", "Notification") or not inbox.mail) and time.time() < deadline:
            time.sleep(0.1)
        note = ep.of("/ok", "Notification")[0][1]
        assert note["MessageId"] == mid and note["SignatureVersion"] == "2"
        verify(note)
        assert inbox.mail[0].get_payload(decode=True).decode().startswith("order shipped")
    finally:
        smtp.stop()
        ep.close()
