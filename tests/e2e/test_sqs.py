"""SQS standard queues with boto3 and awscli on both backends: queues, attributes, tags, messages, MD5s, visibility,
long polling, batches, dead-letter redrive, purge, durability, audit."""
import json
import threading
import time

import pytest
from botocore.exceptions import ClientError

from conftest import BACKENDS, code
from stored import stored_values


def sqs(w, region="us-east-1"):
    return w.client("sqs", region=region, validate=False)


def test_queue_lifecycle_attributes_and_tags(strict):
    c = sqs(strict)
    url = c.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "45"}, tags={"team": "a"})["QueueUrl"]
    account = strict.client("sts").get_caller_identity()["Account"]
    assert url == f"{strict.endpoint}/{account}/orders"
    # Idempotent for the same attributes; a different value is a conflict.
    assert c.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "45"})["QueueUrl"] == url
    with pytest.raises(ClientError) as e:
        c.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "10"})
    assert code(e) == "QueueAlreadyExists"
    assert c.get_queue_url(QueueName="orders")["QueueUrl"] == url
    with pytest.raises(ClientError) as e:
        c.get_queue_url(QueueName="missing")
    assert code(e) == "AWS.SimpleQueueService.NonExistentQueue"
    attrs = c.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "45" and attrs["DelaySeconds"] == "0" and attrs["MaximumMessageSize"] == "1048576"
    assert attrs["QueueArn"] == f"arn:aws:sqs:us-east-1:{account}:orders" and attrs["SqsManagedSseEnabled"] == "true"
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert c.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"] == {"QueueArn": attrs["QueueArn"]}
    c.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "5", "ReceiveMessageWaitTimeSeconds": "1",
                                                     "Policy": json.dumps({"Version": "2012-10-17", "Statement": []})})
    attrs = c.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["DelaySeconds"] == "5" and attrs["ReceiveMessageWaitTimeSeconds"] == "1" and "Policy" in attrs
    for bad, want in [({"VisibilityTimeout": "43201"}, "InvalidAttributeValue"), ({"DelaySeconds": "x"}, "InvalidAttributeValue"),
                      ({"NoSuchThing": "1"}, "InvalidAttributeName"), ({"Policy": "not json"}, "InvalidAttributeValue"),
                      ({"RedrivePolicy": json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:nope",
                                                     "maxReceiveCount": 3})}, "InvalidAttributeValue")]:
        with pytest.raises(ClientError) as e:
            c.set_queue_attributes(QueueUrl=url, Attributes=bad)
        assert code(e) == want, bad
    with pytest.raises(ClientError) as e:
        c.get_queue_attributes(QueueUrl=url, AttributeNames=["Bogus"])
    assert code(e) == "InvalidAttributeName"
    c.tag_queue(QueueUrl=url, Tags={"env": "test"})
    assert c.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a", "env": "test"}
    c.untag_queue(QueueUrl=url, TagKeys=["team"])
    assert c.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "test"}
    for bad in ["", "x" * 81, "has space", "dot.name"]:
        with pytest.raises(ClientError) as e:
            c.create_queue(QueueName=bad)
        assert code(e) == "InvalidParameterValue", bad
    with pytest.raises(ClientError) as e:
        c.create_queue(QueueName="fifo.fifo")
    assert code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        c.create_queue(QueueName="plain", Attributes={"ContentBasedDeduplication": "true"})
    assert code(e) == "InvalidAttributeName"
    for i in range(5):
        c.create_queue(QueueName=f"batch-{i}")
    assert len(c.list_queues()["QueueUrls"]) == 6
    assert [u.rsplit("/", 1)[1] for u in c.list_queues(QueueNamePrefix="batch-")["QueueUrls"]] == [f"batch-{i}" for i in range(5)]
    pages = list(c.get_paginator("list_queues").paginate(PaginationConfig={"PageSize": 2}))
    assert [u.rsplit("/", 1)[1] for p in pages for u in p["QueueUrls"]] == [f"batch-{i}" for i in range(5)] + ["orders"]
    assert "QueueUrls" not in c.list_queues(QueueNamePrefix="zzz")
    c.delete_queue(QueueUrl=url)
    with pytest.raises(ClientError) as e:
        c.send_message(QueueUrl=url, MessageBody="x")
    assert code(e) == "AWS.SimpleQueueService.NonExistentQueue"


def test_send_receive_delete_md5_and_visibility(strict):
    c = sqs(strict)
    url = c.create_queue(QueueName="work")["QueueUrl"]
    r = c.send_message(QueueUrl=url, MessageBody="hi", MessageAttributes={
        "k": {"DataType": "String", "StringValue": "v"}, "b": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
        "n": {"DataType": "Number", "StringValue": "42"}})
    # The vector from the MD5 algorithm the Java/.NET/Go/JS SDKs check.
    assert r["MD5OfMessageBody"] == "49f68a5c8493ec2c0bf489821c21fc3b"
    assert r["MD5OfMessageAttributes"] == "70365af2d0c804f26166bb6794ee77e4"
    got = c.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"],
                            VisibilityTimeout=1)["Messages"]
    assert len(got) == 1 and got[0]["Body"] == "hi" and got[0]["MessageId"] == r["MessageId"]
    m = got[0]
    assert m["MD5OfBody"] == r["MD5OfMessageBody"] and m["MD5OfMessageAttributes"] == r["MD5OfMessageAttributes"]
    assert m["MessageAttributes"]["b"]["BinaryValue"] == b"\x01\x02" and m["Attributes"]["ApproximateReceiveCount"] == "1"
    assert "Messages" not in c.receive_message(QueueUrl=url)  # in flight
    time.sleep(1.2)
    again = c.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"], MessageAttributeNames=["k", "n"])["Messages"][0]
    assert again["Attributes"] == {"ApproximateReceiveCount": "2"} and set(again["MessageAttributes"]) == {"k", "n"}
    assert again["ReceiptHandle"] != m["ReceiptHandle"]
    # The old receipt no longer deletes (success, nothing deleted); a malformed one is refused.
    c.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    c.change_message_visibility(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=0)
    third = c.receive_message(QueueUrl=url)["Messages"][0]
    with pytest.raises(ClientError) as e:
        c.change_message_visibility(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=10)
    assert code(e) == "AWS.SimpleQueueService.MessageNotInflight"
    with pytest.raises(ClientError) as e:
        c.delete_message(QueueUrl=url, ReceiptHandle="garbage")
    assert code(e) == "ReceiptHandleIsInvalid"
    c.delete_message(QueueUrl=url, ReceiptHandle=third["ReceiptHandle"])
    assert "Messages" not in c.receive_message(QueueUrl=url, VisibilityTimeout=0)
    # Delays hold messages back.
    c.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    assert c.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])["Attributes"] == {
        "ApproximateNumberOfMessagesDelayed": "1"}
    assert "Messages" not in c.receive_message(QueueUrl=url)
    time.sleep(1.1)
    assert c.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "later"
    # Bad input.
    for kw, want in [({"MessageBody": "bad \x00 char"}, "InvalidMessageContents"),
                     ({"MessageBody": "x" * (1024 * 1024 + 1)}, "InvalidParameterValue"),
                     ({"MessageBody": "x", "DelaySeconds": 901}, "InvalidParameterValue"),
                     ({"MessageBody": "x", "MessageAttributes": {"AWS.x": {"DataType": "String", "StringValue": "v"}}}, "InvalidParameterValue"),
                     ({"MessageBody": "x", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "abc"}}}, "InvalidParameterValue"),
                     ({"MessageBody": "x", "MessageAttributes": {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)}}, "InvalidParameterValue"),
                     ({"MessageBody": "x", "MessageDeduplicationId": "d"}, "InvalidParameterValue"),
                     ({"MessageBody": "x", "MessageGroupId": "group 1"}, "InvalidParameterValue")]:
        with pytest.raises(ClientError) as e:
            c.send_message(QueueUrl=url, **kw)
        assert code(e) == want, kw
    with pytest.raises(ClientError) as e:
        c.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert code(e) == "InvalidParameterValue"


def test_batches(strict):
    c = sqs(strict)
    url = c.create_queue(QueueName="batches")["QueueUrl"]
    r = c.send_message_batch(QueueUrl=url, Entries=[{"Id": f"m{i}", "MessageBody": f"body {i}"} for i in range(9)] +
                             [{"Id": "bad", "MessageBody": "\x01"}])
    assert sorted(e["Id"] for e in r["Successful"]) == sorted(f"m{i}" for i in range(9))
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in r["Failed"]] == [("bad", "InvalidMessageContents", True)]
    for entries, want in [([], "AWS.SimpleQueueService.EmptyBatchRequest"),
                          ([{"Id": f"x{i}", "MessageBody": "b"} for i in range(11)], "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"),
                          ([{"Id": "same", "MessageBody": "a"}, {"Id": "same", "MessageBody": "b"}], "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"),
                          ([{"Id": "bad id!", "MessageBody": "a"}], "AWS.SimpleQueueService.InvalidBatchEntryId")]:
        with pytest.raises(ClientError) as e:
            c.send_message_batch(QueueUrl=url, Entries=entries)
        assert code(e) == want
    received = []
    while len(received) < 9:
        got = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        assert got
        received += got
    assert sorted(m["Body"] for m in received) == sorted(f"body {i}" for i in range(9))
    v = c.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "a", "ReceiptHandle": received[0]["ReceiptHandle"], "VisibilityTimeout": 100},
        {"Id": "b", "ReceiptHandle": "garbage", "VisibilityTimeout": 100}])
    assert [e["Id"] for e in v["Successful"]] == ["a"] and v["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    d = c.delete_message_batch(QueueUrl=url, Entries=[{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)])
    assert len(d["Successful"]) == 9 and not d.get("Failed")
    counts = c.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == "0" and counts["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_long_polling_returns_when_a_message_arrives(strict):
    c = sqs(strict)
    url = c.create_queue(QueueName="poll")["QueueUrl"]
    start = time.time()
    assert "Messages" not in c.receive_message(QueueUrl=url, WaitTimeSeconds=2)
    assert 1.9 <= time.time() - start < 4
    result = {}

    def receive():
        t = time.time()
        result["messages"] = sqs(strict).receive_message(QueueUrl=url, WaitTimeSeconds=10).get("Messages", [])
        result["took"] = time.time() - t

    th = threading.Thread(target=receive)
    th.start()
    time.sleep(0.5)
    c.send_message(QueueUrl=url, MessageBody="wake up")
    th.join(15)
    assert [m["Body"] for m in result["messages"]] == ["wake up"]
    assert result["took"] < 2.0, result["took"]


def test_concurrent_receivers_never_share_a_message(strict):
    c = sqs(strict)
    url = c.create_queue(QueueName="shared")["QueueUrl"]
    for i in range(5):
        c.send_message_batch(QueueUrl=url, Entries=[{"Id": f"e{j}", "MessageBody": f"{i}-{j}"} for j in range(10)])
    seen, lock = [], threading.Lock()

    def worker():
        client = sqs(strict)
        while True:
            got = client.receive_message(QueueUrl=url, MaxNumberOfMessages=3, VisibilityTimeout=60).get("Messages", [])
            if not got:
                return
            with lock:
                seen.extend(m["Body"] for m in got)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(seen) == sorted(f"{i}-{j}" for i in range(5) for j in range(10))


def test_dead_letter_redrive_and_purge(strict):
    c = sqs(strict)
    dlq = c.create_queue(QueueName="dead")["QueueUrl"]
    dlq_arn = c.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    src = c.create_queue(QueueName="source", Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})})["QueueUrl"]
    sent = c.send_message(QueueUrl=src, MessageBody="poison")["MessageId"]
    for _ in range(2):
        assert c.receive_message(QueueUrl=src, VisibilityTimeout=0)["Messages"][0]["MessageId"] == sent
    # The third receive would exceed maxReceiveCount: the message moves to the dead-letter queue instead.
    assert "Messages" not in c.receive_message(QueueUrl=src, VisibilityTimeout=0)
    moved = c.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["ApproximateReceiveCount"])["Messages"]
    assert [(m["MessageId"], m["Body"], m["Attributes"]["ApproximateReceiveCount"]) for m in moved] == [(sent, "poison", "1")]
    c.send_message(QueueUrl=src, MessageBody="a")
    c.purge_queue(QueueUrl=src)
    assert "Messages" not in c.receive_message(QueueUrl=src)
    with pytest.raises(ClientError) as e:
        c.purge_queue(QueueUrl=src)
    assert code(e) == "AWS.SimpleQueueService.PurgeQueueInProgress"


@pytest.mark.parametrize("backend", BACKENDS)
def test_messages_survive_restart_sealed_and_audited_as_data_events(make_warden, backend):
    w = make_warden(backend)
    c = sqs(w)
    url = c.create_queue(QueueName="durable")["QueueUrl"]
    c.send_message(QueueUrl=url, MessageBody="top secret payload")
    w.stop()
    raw = stored_values(w, "sqs_messages", "body")
    assert len(raw) == 1 and all(b"top secret payload" not in r for r in raw)
    w.start()
    c = sqs(w)
    assert c.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "top secret payload"
    records = w.audit_records()
    sends = [r for r in records if r["eventName"] == "SendMessage"]
    assert sends and sends[0]["eventCategory"] == "Data" and sends[0]["resources"][0]["type"] == "AWS::SQS::Queue"
    assert all("top secret" not in json.dumps(r) for r in records)
    history = {e["EventName"] for e in w.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "sqs.amazonaws.com"}])["Events"]}
    assert "CreateQueue" in history and not history & {"SendMessage", "ReceiveMessage"}


def test_awscli(strict):
    r = strict.aws("sqs", "create-queue", "--queue-name", "cli-queue")
    assert r.returncode == 0, r.stderr
    url = json.loads(r.stdout)["QueueUrl"]
    assert strict.aws("sqs", "send-message", "--queue-url", url, "--message-body", "from the cli").returncode == 0
    r = strict.aws("sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "1")
    assert json.loads(r.stdout)["Messages"][0]["Body"] == "from the cli"
    r = strict.aws("sqs", "get-queue-url", "--queue-name", "nope")
    assert r.returncode != 0 and "AWS.SimpleQueueService.NonExistentQueue" in r.stderr


def test_fifo_queues_order_groups_and_deduplicate(strict):
    c = sqs(strict)
    url = c.create_queue(QueueName="jobs.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    attrs = c.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["FifoQueue"] == "true" and attrs["ContentBasedDeduplication"] == "false" and attrs["DeduplicationScope"] == "queue"
    for kw, want in [({"MessageBody": "x", "MessageDeduplicationId": "d"}, "MissingParameter"),
                     ({"MessageBody": "x", "MessageGroupId": "g"}, "InvalidParameterValue"),
                     ({"MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d", "DelaySeconds": 5}, "InvalidParameterValue")]:
        with pytest.raises(ClientError) as e:
            c.send_message(QueueUrl=url, **kw)
        assert code(e) == want, kw
    sent = {}
    for group, bodies in [("g1", ["a1", "a2", "a3"]), ("g2", ["b1", "b2"])]:
        for b in bodies:
            r = c.send_message(QueueUrl=url, MessageBody=b, MessageGroupId=group, MessageDeduplicationId=b)
            sent[b] = r
    assert [len(sent[b]["SequenceNumber"]) for b in sent] == [20] * 5
    assert int(sent["a1"]["SequenceNumber"]) < int(sent["a2"]["SequenceNumber"]) < int(sent["b2"]["SequenceNumber"])
    # A duplicate within 5 minutes is accepted but not enqueued again: same message id and sequence number.
    dup = c.send_message(QueueUrl=url, MessageBody="a1 again", MessageGroupId="g1", MessageDeduplicationId="a1")
    assert dup["MessageId"] == sent["a1"]["MessageId"] and dup["SequenceNumber"] == sent["a1"]["SequenceNumber"]
    first = c.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])["Messages"][0]
    assert first["Body"] == "a1" and first["Attributes"]["MessageGroupId"] == "g1"
    assert first["Attributes"]["MessageDeduplicationId"] == "a1" and first["Attributes"]["SequenceNumber"] == sent["a1"]["SequenceNumber"]
    # While a1 is in flight, group g1 is held back; g2 is not.
    second = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in second] == ["b1", "b2"]
    assert "Messages" not in c.receive_message(QueueUrl=url)
    c.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    assert [m["Body"] for m in c.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["a2", "a3"]
    # Content-based deduplication hashes the body.
    cbd = c.create_queue(QueueName="cbd.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    one = c.send_message(QueueUrl=cbd, MessageBody="same", MessageGroupId="g")
    two = c.send_message(QueueUrl=cbd, MessageBody="same", MessageGroupId="g")
    assert one["MessageId"] == two["MessageId"]
    assert len(c.receive_message(QueueUrl=cbd, MaxNumberOfMessages=10)["Messages"]) == 1
    b = c.send_message_batch(QueueUrl=cbd, Entries=[{"Id": f"e{i}", "MessageBody": f"m{i}", "MessageGroupId": "h"} for i in range(3)])
    assert [e["Id"] for e in b["Successful"]] == ["e0", "e1", "e2"] and all(len(e["SequenceNumber"]) == 20 for e in b["Successful"])
    # A FIFO queue's dead-letter queue must be FIFO too; a standard topic cannot feed it.
    std_arn = c.get_queue_attributes(QueueUrl=c.create_queue(QueueName="std-dlq")["QueueUrl"], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    with pytest.raises(ClientError) as e:
        c.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": std_arn, "maxReceiveCount": 2})})
    assert code(e) == "InvalidAttributeValue"
    sns = strict.client("sns", validate=False)
    topic = sns.create_topic(Name="std")["TopicArn"]
    fifo_arn = c.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=fifo_arn)
    assert code(e) == "InvalidParameter"


def test_fifo_receive_request_attempt_id(strict):
    """A retried FIFO receive with the same ReceiveRequestAttemptId gets the same messages and receipt handles."""
    c = sqs(strict)
    url = c.create_queue(QueueName="attempts.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    for b in ["one", "two", "three"]:
        c.send_message(QueueUrl=url, MessageBody=b, MessageGroupId="g")
    first = c.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-1", VisibilityTimeout=30)["Messages"]
    again = c.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-1", VisibilityTimeout=30)["Messages"]
    assert [m["Body"] for m in first] == ["one", "two"]
    assert [(m["MessageId"], m["ReceiptHandle"]) for m in again] == [(m["MessageId"], m["ReceiptHandle"]) for m in first]
    # Another attempt id is a new receive: the group is in flight, so nothing.
    assert "Messages" not in c.receive_message(QueueUrl=url, ReceiveRequestAttemptId="attempt-2")
    # Once a message of the attempt is deleted, a retry is a new receive.
    c.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    c.change_message_visibility(QueueUrl=url, ReceiptHandle=first[1]["ReceiptHandle"], VisibilityTimeout=0)
    fresh = c.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-1")["Messages"]
    assert [m["Body"] for m in fresh] == ["two", "three"] and fresh[0]["ReceiptHandle"] != first[1]["ReceiptHandle"]
    with pytest.raises(ClientError) as e:
        c.receive_message(QueueUrl=url, ReceiveRequestAttemptId="has space")
    assert code(e) == "InvalidParameterValue"


@pytest.mark.parametrize("backend", BACKENDS)
def test_sse_kms_queues(make_warden, backend):
    w = make_warden(backend)
    c = sqs(w)
    kms = w.client("kms")
    key = kms.create_key()["KeyMetadata"]
    url = c.create_queue(QueueName="sealed", Attributes={"KmsMasterKeyId": key["KeyId"], "KmsDataKeyReusePeriodSeconds": "60"})["QueueUrl"]
    attrs = c.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["KmsMasterKeyId"] == key["KeyId"] and attrs["SqsManagedSseEnabled"] == "false" and attrs["KmsDataKeyReusePeriodSeconds"] == "60"
    c.send_message(QueueUrl=url, MessageBody="kms protected body")
    c.send_message(QueueUrl=url, MessageBody="second")
    assert sorted(m["Body"] for m in c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]) == [
        "kms protected body", "second"]
    # The data key came from KMS. Within the reuse period it is cached (as SQS does); after a restart, with the key
    # disabled, the messages cannot be read until it is enabled again.
    kms.disable_key(KeyId=key["KeyId"])
    w.stop()
    w.start()
    c, kms = sqs(w), w.client("kms")
    with pytest.raises(ClientError) as e:
        c.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    assert code(e) == "KMS.DisabledException"
    with pytest.raises(ClientError) as e:
        c.send_message(QueueUrl=url, MessageBody="x")
    assert code(e) == "KMS.DisabledException"
    kms.enable_key(KeyId=key["KeyId"])
    assert len(c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]) == 2
    raw = stored_values(w, "sqs_messages", "doc")
    assert len(raw) == 2 and all(json.loads(r)["kmsDataKey"] for r in raw)
    assert all(b"kms protected body" not in r for r in stored_values(w, "sqs_messages", "body"))
    bad = c.create_queue(QueueName="bad-key", Attributes={"KmsMasterKeyId": "alias/missing"})["QueueUrl"]
    with pytest.raises(ClientError) as e:
        c.send_message(QueueUrl=bad, MessageBody="x")
    assert code(e) == "KMS.NotFoundException"
