"""SNS topics with SSE-KMS (KmsMasterKeyId) and FIFO topics that archive (ArchivePolicy) and replay (ReplayPolicy)."""
import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from conftest import BACKENDS, allow_service, code
import requests

from stored import stored_values
from test_sns import drain, queue, verify
from test_sns_endpoints import Recorder


def iso(t):
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@pytest.mark.parametrize("backend", BACKENDS)
def test_sse_kms_topics_encrypt_the_outbox_and_answer_kms_errors(make_warden, backend):
    w = make_warden(backend)
    sns, sqs, kms = w.client("sns"), w.client("sqs"), w.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    topic = sns.create_topic(Name="sealed", Attributes={"KmsMasterKeyId": key})["TopicArn"]
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["KmsMasterKeyId"] == key
    url, arn = queue(sqs, "sealed-q")
    allow_service(sqs, url, "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    # A slow HTTP endpoint keeps its copy in the outbox for a few seconds, so the stored row can be inspected.
    ep = Recorder(slow=4.0)
    try:
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=ep.url + "/slow")
        assert requests.get(ep.wait("/slow", "SubscriptionConfirmation")[0][0]["SubscribeURL"]).status_code == 200
        mid = sns.publish(TopicArn=topic, Message="kms protected payload")["MessageId"]
        got = drain(sqs, url, 1)
        envelope = json.loads(got[0]["Body"])
        assert envelope["MessageId"] == mid and envelope["Message"] == "kms protected payload"
        verify(envelope)
        docs, bodies = stored_values(w, "sns_deliveries", "doc"), stored_values(w, "sns_deliveries", "body")
        assert docs and all(json.loads(doc)["kmsDataKey"] for doc in docs)
        assert bodies and all(b"kms protected payload" not in body for body in bodies)
        # The endpoint still gets the plaintext once the copy is opened for delivery.
        assert ep.wait("/slow", "Notification", timeout=20)[0][0]["Message"] == "kms protected payload"
    finally:
        ep.close()
    # A disabled key: publishing fails with SNS's KMS error; enabled again, it works. (A data key already in use is
    # reused for up to 5 minutes, as SNS does, so this topic gets its first data key while its key is disabled.)
    off = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=off)
    guarded = sns.create_topic(Name="guarded", Attributes={"KmsMasterKeyId": off})["TopicArn"]
    allow_service(sqs, url, "sns.amazonaws.com", guarded)
    sns.subscribe(TopicArn=guarded, Protocol="sqs", Endpoint=arn)
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=guarded, Message="while disabled")
    assert code(e) == "KMSDisabled" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    kms.enable_key(KeyId=off)
    sns.publish(TopicArn=guarded, Message="enabled again")
    assert json.loads(drain(sqs, url, 1)[0]["Body"])["Message"] == "enabled again"
    # A missing key, and the AWS managed key (created on first use).
    missing = sns.create_topic(Name="missing-key", Attributes={"KmsMasterKeyId": "alias/does-not-exist"})["TopicArn"]
    allow_service(sqs, url, "sns.amazonaws.com", missing)
    sns.subscribe(TopicArn=missing, Protocol="sqs", Endpoint=arn)
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=missing, Message="x")
    assert code(e) == "KMSNotFound"
    managed = sns.create_topic(Name="managed", Attributes={"KmsMasterKeyId": "alias/aws/sns"})["TopicArn"]
    allow_service(sqs, url, "sns.amazonaws.com", managed)
    sns.subscribe(TopicArn=managed, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=managed, Message="under alias/aws/sns")
    assert json.loads(drain(sqs, url, 1)[0]["Body"])["Message"] == "under alias/aws/sns"
    aliases = [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
    assert "alias/aws/sns" in aliases
    # Clearing the attribute turns SSE-KMS off.
    sns.set_topic_attributes(TopicArn=missing, AttributeName="KmsMasterKeyId", AttributeValue="")
    sns.publish(TopicArn=missing, Message="plain again")
    assert json.loads(drain(sqs, url, 1)[0]["Body"])["Message"] == "plain again"


def fifo_queue(sqs, name):
    url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"})["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def test_fifo_archive_and_replay(strict):
    sns, sqs, kms = strict.client("sns"), strict.client("sqs"), strict.client("kms")
    # Archiving is for FIFO topics, with a retention of 1 to 365 days.
    with pytest.raises(ClientError) as e:
        sns.create_topic(Name="std", Attributes={"ArchivePolicy": json.dumps({"MessageRetentionPeriod": "7"})})
    assert code(e) == "InvalidParameter"
    for bad in ['{"MessageRetentionPeriod":"0"}', '{"MessageRetentionPeriod":"366"}', "not json", '{"Other":"1"}']:
        with pytest.raises(ClientError) as e:
            sns.create_topic(Name="bad.fifo", Attributes={"FifoTopic": "true", "ArchivePolicy": bad})
        assert code(e) == "InvalidParameter", bad
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    topic = sns.create_topic(Name="ledger.fifo", Attributes={
        "FifoTopic": "true", "ContentBasedDeduplication": "true", "KmsMasterKeyId": key,
        "ArchivePolicy": json.dumps({"MessageRetentionPeriod": "30"})})["TopicArn"]
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert json.loads(attrs["ArchivePolicy"]) == {"MessageRetentionPeriod": "30"}
    began = datetime.strptime(attrs["BeginningArchiveTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert abs((datetime.now(timezone.utc) - began).total_seconds()) < 30
    live_url, live_arn = fifo_queue(sqs, "live.fifo")
    allow_service(sqs, live_url, "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=live_arn, Attributes={"RawMessageDelivery": "false"})
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    ids = []
    for i in range(5):
        ids.append(sns.publish(TopicArn=topic, Message=f"entry {i}", MessageGroupId="g" if i != 2 else "h",
                               MessageAttributes={"n": {"DataType": "Number", "StringValue": str(i)}})["MessageId"])
    live = drain(sqs, live_url, 5)
    assert len(live) == 5
    time.sleep(1.1)
    between = datetime.now(timezone.utc)
    time.sleep(1.1)
    sns.publish(TopicArn=topic, Message="entry 5", MessageGroupId="g")
    drain(sqs, live_url, 1)
    # A new subscriber replays the archive from a point in time: same MessageIds and Timestamps, marked Replayed,
    # in order per group, filtered by its filter policy, and only up to EndingPoint.
    replay_url, replay_arn = fifo_queue(sqs, "replay.fifo")
    allow_service(sqs, replay_url, "sns.amazonaws.com", topic)
    with pytest.raises(ClientError) as e:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=replay_arn,
                      Attributes={"ReplayPolicy": json.dumps({"PointType": "Timestamp", "StartingPoint": iso(before + timedelta(days=1))})})
    assert code(e) == "InvalidParameter"
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=replay_arn, ReturnSubscriptionArn=True, Attributes={
        "FilterPolicy": json.dumps({"n": [{"numeric": ["<", 4]}]}),
        "ReplayPolicy": json.dumps({"PointType": "Timestamp", "StartingPoint": iso(before), "EndingPoint": iso(between)})})["SubscriptionArn"]
    replayed = drain(sqs, replay_url, 4)
    bodies = [json.loads(m["Body"]) for m in replayed]
    assert sorted(b["Message"] for b in bodies) == ["entry 0", "entry 1", "entry 2", "entry 3"]
    assert [b["Message"] for b in bodies if b["Message"] != "entry 2"] == ["entry 0", "entry 1", "entry 3"]
    originals = {json.loads(m["Body"])["MessageId"]: json.loads(m["Body"]) for m in live}
    for b in bodies:
        assert b["Replayed"] is True
        assert b["MessageId"] in ids and b["Timestamp"] == originals[b["MessageId"]]["Timestamp"]
        assert "Signature" not in b  # FIFO topics' notifications are not signed (recorded from AWS)
    deadline = time.time() + 10
    while sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"].get("ReplayStatus") != "Completed" and time.time() < deadline:
        time.sleep(0.2)
    a = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert a["ReplayStatus"] == "Completed" and json.loads(a["ReplayPolicy"])["PointType"] == "Timestamp"
    assert drain(sqs, replay_url, 1, timeout=2) == []
    # New messages reach the replaying subscriber too; a second replay (SetSubscriptionAttributes) starts over.
    sns.publish(TopicArn=topic, Message="entry 6", MessageGroupId="g", MessageAttributes={"n": {"DataType": "Number", "StringValue": "1"}})
    assert json.loads(drain(sqs, replay_url, 1)[0]["Body"])["Message"] == "entry 6"
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue="")
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="ReplayPolicy",
                                    AttributeValue=json.dumps({"PointType": "Timestamp", "StartingPoint": iso(between)}))
    again = [json.loads(m["Body"]) for m in drain(sqs, replay_url, 2)]
    assert [b["Message"] for b in again] == ["entry 5", "entry 6"] and all(b["Replayed"] for b in again)
    # Turning archiving off drops the archive: a replay then finds nothing.
    sns.set_topic_attributes(TopicArn=topic, AttributeName="ArchivePolicy", AttributeValue="{}")
    assert "BeginningArchiveTime" not in sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    with pytest.raises(ClientError) as e:
        sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="ReplayPolicy",
                                        AttributeValue=json.dumps({"PointType": "Timestamp", "StartingPoint": iso(before)}))
    assert code(e) == "InvalidParameter"
    # Malformed replay policies.
    for bad in ['{"PointType":"Sequence","StartingPoint":"2024-01-01T00:00:00Z"}', '{"PointType":"Timestamp"}',
                '{"PointType":"Timestamp","StartingPoint":"2024-01-02T00:00:00Z","EndingPoint":"2024-01-01T00:00:00Z"}']:
        with pytest.raises(ClientError) as e:
            sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="ReplayPolicy", AttributeValue=bad)
        assert code(e) == "InvalidParameter", bad
