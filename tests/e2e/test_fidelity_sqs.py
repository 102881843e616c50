"""Golden responses for SQS (JSON and Query) and the JSON error envelope, compared as whole wire documents.

Sources named per case:
- "LS-SQS": responses recorded from AWS in LocalStack's tests/aws/services/sqs/test_sqs.snapshot.json (and the
  AWS-validated tests beside it), keys as given.
- "SDK-CPP": the AWS SDK for C++'s SQS unit test of a QueueDoesNotExist response (body and x-amzn-query-error).
"""
import time
import xml.etree.ElementTree as ET

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import BACKENDS, code
from golden import _mismatch, golden

NS = "{http://queue.amazonaws.com/doc/2012-11-05/}"


def test_matcher_tells_apart_what_clients_tell_apart():
    """The comparator itself: each pair differs on the wire and must fail."""
    assert _mismatch({"a": 45.0}, {"a": 45}, "$")
    assert _mismatch({"a": []}, {}, "$")
    assert _mismatch({}, {"a": 1}, "$")
    assert _mismatch("$uuid", "not-a-uuid", "$")
    assert _mismatch("re:arn:aws:kms:.*", "arn:aws:sqs:x", "$")
    assert _mismatch({"a": True}, {"a": 1}, "$")
    assert _mismatch(["x", "y"], ["y", "x"], "$")
    assert _mismatch({"Threshold": 45.0, "T": "$timestamp"}, {"Threshold": 45.0, "T": 1.7e9}, "$") is None


@pytest.fixture(params=BACKENDS)
def sqs(request, make_warden):
    w = make_warden(request.param)
    return w, w.client("sqs", validate=False)


def account(w):
    return w.client("sts").get_caller_identity()["Account"]


def test_missing_queue_json_error_document(sqs):
    w, c = sqs
    golden(c, "get_queue_url", {"QueueName": "nope"},
           {"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "The specified queue does not exist."},
           "SDK-CPP SQSUnitTest CanParseCodeField; LS-SQS test_non_existent_queue",
           status=400, headers={"x-amzn-query-error": "AWS.SimpleQueueService.NonExistentQueue;Sender"})


def test_invalid_parameter_value_is_named_as_sqs_names_it_over_json(sqs):
    w, c = sqs
    url = c.create_queue(QueueName="q")["QueueUrl"]
    golden(c, "receive_message", {"QueueUrl": url, "MaxNumberOfMessages": 11},
           {"__type": "com.amazonaws.sqs#InvalidParameterValueException",
            "message": "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."},
           "LS-SQS test_receive_message_with_invalid_max_number_of_messages (Code InvalidParameterValue, QueryErrorCode "
           "InvalidParameterValueException)", status=400, headers={"x-amzn-query-error": "InvalidParameterValue;Sender"})
    golden(c, "send_message", {"QueueUrl": url, "MessageBody": ""},
           {"__type": "com.amazonaws.sqs#MissingRequiredParameterException",
            "message": "The request must contain the parameter MessageBody."},
           "LS-SQS test_send_empty_message (Code MissingParameter, QueryErrorCode MissingRequiredParameterException)",
           status=400, headers={"x-amzn-query-error": "MissingParameter;Sender"})


def test_fresh_queue_attributes(sqs):
    w, c = sqs
    acct = account(w)
    url = c.create_queue(QueueName="fresh")["QueueUrl"]
    golden(c, "get_queue_attributes", {"QueueUrl": url, "AttributeNames": ["All"]}, {"Attributes": {
        "ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesDelayed": "0",
        "ApproximateNumberOfMessagesNotVisible": "0", "CreatedTimestamp": "re:\\d{10}", "DelaySeconds": "0",
        "LastModifiedTimestamp": "re:\\d{10}", "MaximumMessageSize": "1048576", "MessageRetentionPeriod": "345600",
        "QueueArn": f"arn:aws:sqs:us-east-1:{acct}:fresh", "ReceiveMessageWaitTimeSeconds": "0",
        "SqsManagedSseEnabled": "true", "VisibilityTimeout": "30"}},
        "LS-SQS test_set_queue_attributes_default_values (2025-12-10)")
    # Booleans in any letter case, as SQS reads them.
    fifo = c.create_queue(QueueName="fresh.fifo", Attributes={"FifoQueue": "True", "ContentBasedDeduplication": "True"})["QueueUrl"]
    golden(c, "get_queue_attributes", {"QueueUrl": fifo, "AttributeNames": ["All"]}, {"Attributes": {
        "ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesDelayed": "0",
        "ApproximateNumberOfMessagesNotVisible": "0", "ContentBasedDeduplication": "true", "CreatedTimestamp": "re:\\d{10}",
        "DeduplicationScope": "queue", "DelaySeconds": "0", "FifoQueue": "true", "FifoThroughputLimit": "perQueue",
        "LastModifiedTimestamp": "re:\\d{10}", "MaximumMessageSize": "1048576", "MessageRetentionPeriod": "345600",
        "QueueArn": f"arn:aws:sqs:us-east-1:{acct}:fresh.fifo", "ReceiveMessageWaitTimeSeconds": "0",
        "SqsManagedSseEnabled": "true", "VisibilityTimeout": "30"}},
        "LS-SQS test_fifo_queue_attributes / test_fifo_approximate_number_of_messages_not_visible (FifoQueue 'True')")
    golden(c, "list_queue_tags", {"QueueUrl": url}, {}, "LS-SQS test_tag_untag_queue get-tag-after-untag (no Tags key)")
    golden(c, "receive_message", {"QueueUrl": url}, {}, "LS-SQS get-messages-duplicate (an empty receive has no Messages)")


def test_queue_attribute_errors(sqs):
    w, c = sqs
    c.create_queue(QueueName="dup", Attributes={"DelaySeconds": "1"})
    golden(c, "create_queue", {"QueueName": "dup", "Attributes": {"DelaySeconds": "2"}},
           {"__type": "com.amazonaws.sqs#QueueNameExists",
            "message": "A queue already exists with the same name and a different value for attribute DelaySeconds"},
           "LS-SQS test_create_queue_with_different_attributes_raises_exception", status=400,
           headers={"x-amzn-query-error": "QueueAlreadyExists;Sender"})
    std = c.create_queue(QueueName="std")["QueueUrl"]
    golden(c, "set_queue_attributes", {"QueueUrl": std, "Attributes": {"FifoQueue": "true"}},
           {"__type": "com.amazonaws.sqs#InvalidAttributeName", "message": "Unknown Attribute FifoQueue."},
           "LS-SQS test_set_queue_attribute_fifo (standard queue)", status=400)
    golden(c, "create_queue", {"QueueName": "std2", "Attributes": {"DeduplicationScope": "queue"}},
           {"__type": "com.amazonaws.sqs#InvalidAttributeName",
            "message": "You can specify the DeduplicationScope only when FifoQueue is set to true."},
           "LS-SQS test_create_standard_queue_with_fifo_attributes", status=400)
    fifo = c.create_queue(QueueName="f.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    golden(c, "set_queue_attributes", {"QueueUrl": fifo, "Attributes": {"FifoQueue": "false"}},
           {"__type": "com.amazonaws.sqs#InvalidAttributeValue",
            "message": "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."},
           "LS-SQS test_set_queue_attribute_fifo (FIFO queue)", status=400)
    golden(c, "create_queue", {"QueueName": "sse", "Attributes": {"KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": "true"}},
           {"__type": "com.amazonaws.sqs#InvalidAttributeName",
            "message": "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE."},
           "LS-SQS test_sse_kms_and_sqs_are_mutually_exclusive", status=400)


def test_messages_as_sqs_answers(sqs):
    w, c = sqs
    url = c.create_queue(QueueName="m")["QueueUrl"]
    # A bare queue name works as QueueUrl (AWS-validated test_posting_to_queue_via_queue_name).
    c.send_message(QueueUrl="m", MessageBody="by name")
    # Fair queues: a standard queue takes a MessageGroupId and returns it as an attribute, with no FIFO fields.
    sent = c.send_message(QueueUrl=url, MessageBody="fair", MessageGroupId="test")
    assert set(sent) - {"ResponseMetadata"} == {"MD5OfMessageBody", "MessageId"}
    got = []
    deadline = time.time() + 10
    while len(got) < 2 and time.time() < deadline:
        got += c.receive_message(QueueUrl=url, AttributeNames=["All"], MaxNumberOfMessages=10)["Messages"]
    fair = next(m for m in got if m["Body"] == "fair")
    assert set(fair["Attributes"]) == {"ApproximateFirstReceiveTimestamp", "ApproximateReceiveCount", "SenderId",
                                       "SentTimestamp", "MessageGroupId"}, "LS-SQS test_send_message_with_message_group_id_standard_queue"
    assert fair["Attributes"]["MessageGroupId"] == "test"
    golden(c, "send_message", {"QueueUrl": url, "MessageBody": "x", "MessageGroupId": "group 123"},
           {"__type": "com.amazonaws.sqs#InvalidParameterValueException",
            "message": "Value group 123 for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include "
                       "alphanumeric and punctuation characters. 1 to 128 in length."},
           "LS-SQS test_send_message_with_invalid_message_group_id (2025-07-30)", status=400)
    # A deleted message's receipt: DeleteMessage succeeds again, ChangeMessageVisibility names the handle.
    handle = fair["ReceiptHandle"]
    c.delete_message(QueueUrl=url, ReceiptHandle=handle)
    c.delete_message(QueueUrl=url, ReceiptHandle=handle)
    golden(c, "change_message_visibility", {"QueueUrl": url, "ReceiptHandle": handle, "VisibilityTimeout": 1},
           {"__type": "com.amazonaws.sqs#InvalidParameterValueException",
            "message": f"Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not "
                       "available for visibility timeout change."},
           "LS-SQS test_change_visibility_on_deleted_message_raises_invalid_parameter_value", status=400)
    golden(c, "delete_message", {"QueueUrl": url, "ReceiptHandle": "garbage"},
           {"__type": "com.amazonaws.sqs#ReceiptHandleIsInvalid",
            "message": 'The input receipt handle "garbage" is not a valid receipt handle.'},
           "LS-SQS test_delete_message_with_illegal_receipt_handle (__type not recorded; SQS's JSON shape name)", status=400)
    # A standard queue's receipt still works after its visibility timeout, while nobody received the message since.
    c.send_message(QueueUrl=url, MessageBody="late")
    m = c.receive_message(QueueUrl=url, VisibilityTimeout=1, WaitTimeSeconds=5)["Messages"][0]
    time.sleep(1.5)
    c.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=30)
    c.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert "Messages" not in c.receive_message(QueueUrl=url, VisibilityTimeout=0)


def test_receive_message_attribute_name_filters(sqs):
    w, c = sqs
    url = c.create_queue(QueueName="attrs")["QueueUrl"]
    attrs = {n: {"DataType": "String", "StringValue": n} for n in ("Hello", "Help.Me", "General")}
    c.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attrs)
    for names, want in [(["All"], {"Hello", "Help.Me", "General"}), (["*"], {"Hello", "Help.Me", "General"}),
                        ([".*"], {"Hello", "Help.Me", "General"}), (["Hel.*"], {"Hello", "Help.Me"}),
                        (["Hello", "General"], {"Hello", "General"}), (["Foo"], set()), (["AWS."], set())]:
        m = c.receive_message(QueueUrl=url, MessageAttributeNames=names, VisibilityTimeout=0, WaitTimeSeconds=5)["Messages"][0]
        assert set(m.get("MessageAttributes", {})) == want, (names, "LS-SQS test_receive_message_message_attribute_names_filters")
        assert ("MD5OfMessageAttributes" in m) == bool(want)


def test_fifo_batches_fail_whole_for_missing_ids(sqs):
    w, c = sqs
    url = c.create_queue(QueueName="b.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    golden(c, "send_message_batch", {"QueueUrl": url, "Entries": [{"Id": "1", "MessageBody": "a", "MessageDeduplicationId": "d"}]},
           {"__type": "com.amazonaws.sqs#InvalidParameterValueException",
            "message": "The request must contain the parameter MessageGroupId."},
           "LS-SQS test_posting_to_fifo_requires_deduplicationid_group_id (batch)", status=400,
           headers={"x-amzn-query-error": "InvalidParameterValue;Sender"})
    golden(c, "send_message_batch", {"QueueUrl": url, "Entries": [{"Id": "1", "MessageBody": "a", "MessageGroupId": "g"}]},
           {"__type": "com.amazonaws.sqs#InvalidParameterValueException",
            "message": "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"},
           "LS-SQS test_posting_to_fifo_requires_deduplicationid_group_id (batch)", status=400)
    golden(c, "send_message", {"QueueUrl": url, "MessageBody": "a", "MessageDeduplicationId": "d"},
           {"__type": "com.amazonaws.sqs#MissingRequiredParameterException",
            "message": "The request must contain the parameter MessageGroupId."},
           "LS-SQS test_posting_to_fifo_requires_deduplicationid_group_id (single)", status=400,
           headers={"x-amzn-query-error": "MissingParameter;Sender"})
    small = c.create_queue(QueueName="small", Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    r = c.send_message_batch(QueueUrl=small, Entries=[{"Id": "ok", "MessageBody": "a"}, {"Id": "big", "MessageBody": "x" * 1025}])
    assert r["Failed"] == [{"Id": "big", "SenderFault": True, "Code": "InvalidParameterValue",
                            "Message": "One or more parameters cannot be validated. Reason: Message must be shorter than 1024 bytes."}], \
        "LS-SQS test_send_batch_message_size"


def signed_get(w, path, params):
    key, secret = w.credentials()
    url = w.endpoint + path + "?" + "&".join(f"{k}={v}" for k, v in params.items())
    req = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(key, secret), "sqs", "us-east-1").add_auth(req)
    return requests.get(req.url, headers=dict(req.headers), timeout=30)


@pytest.mark.parametrize("backend", BACKENDS)
def test_query_api_over_get(make_warden, backend):
    """SQS's Query API answers signed GETs to the queue URL (LS-SQS TestSqsQueryApi, AWS-validated)."""
    w = make_warden(backend)
    c = w.client("sqs")
    url = c.create_queue(QueueName="get-me")["QueueUrl"]
    path = url[len(w.endpoint):]
    r = signed_get(w, path, {"Action": "GetQueueAttributes", "AttributeName.1": "QueueArn"})
    assert r.status_code == 200, r.text
    attrs = ET.fromstring(r.content).findall(f"{NS}GetQueueAttributesResult/{NS}Attribute")
    assert [(a.find(f"{NS}Name").text, a.find(f"{NS}Value").text) for a in attrs] == [
        ("QueueArn", f"arn:aws:sqs:us-east-1:{account(w)}:get-me")]
    r = signed_get(w, path, {"Action": "SendMessage", "MessageBody": "foobar"})
    assert r.status_code == 200, r.text
    r = signed_get(w, path, {"Action": "ReceiveMessage"})
    assert ET.fromstring(r.content).find(f"{NS}ReceiveMessageResult/{NS}Message/{NS}Body").text == "foobar"
    r = signed_get(w, path, {"Action": "FooBar", "Version": "2012-11-05"})
    err = ET.fromstring(r.content).find(f"{NS}Error")
    assert r.status_code == 400
    assert [(e.tag[len(NS):], e.text) for e in err] == [
        ("Type", "Sender"), ("Code", "InvalidAction"), ("Message", "The action FooBar is not valid for this endpoint."),
        ("Detail", None)]
    r = signed_get(w, path, {"Action": "SendMessage"})
    assert [(e.tag[len(NS):], e.text) for e in ET.fromstring(r.content).find(f"{NS}Error")] == [
        ("Type", "Sender"), ("Code", "MissingParameter"), ("Message", "The request must contain the parameter MessageBody."),
        ("Detail", None)]
    c.delete_queue(QueueUrl=url)
    r = signed_get(w, path, {"Action": "SendMessage", "MessageBody": "x"})
    assert r.status_code == 400
    assert [(e.tag[len(NS):], e.text) for e in ET.fromstring(r.content).find(f"{NS}Error")] == [
        ("Type", "Sender"), ("Code", "AWS.SimpleQueueService.NonExistentQueue"),
        ("Message", "The specified queue does not exist for this wsdl version."), ("Detail", None)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_json_error_message_keys_follow_each_service(make_warden, backend):
    """Secrets Manager spells the key `Message` (a raw AWS body recorded in LocalStack's
    test_secretsmanager.py::test_http_put_secret_value_with_duplicate_client_request_token); KMS `message`."""
    w = make_warden(backend)
    golden(w.client("secretsmanager"), "get_secret_value", {"SecretId": "missing"},
           {"__type": "ResourceNotFoundException", "Message": "Secrets Manager can't find the specified secret."},
           "LocalStack test_secretsmanager.snapshot.json test_secret_not_found", status=400)
    raw = golden(w.client("kms"), "describe_key", {"KeyId": "alias/missing"},
                 {"__type": "NotFoundException", "message": "$string"}, "KMS model: NotFoundException.message", status=400)
    assert raw["message"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_list_trails_honours_next_token(make_warden, backend):
    w = make_warden(backend)
    ct = w.client("cloudtrail")
    s3 = w.client("s3")
    s3.create_bucket(Bucket="trail-bucket")
    acct = account(w)
    s3.put_bucket_policy(Bucket="trail-bucket", Policy=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},'
        '"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::trail-bucket"},{"Effect":"Allow","Principal":{"Service":'
        '"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::trail-bucket/AWSLogs/' + acct + '/*"}]}'))
    for n in ("b-trail", "a-trail"):
        ct.create_trail(Name=n, S3BucketName="trail-bucket")
    golden(ct, "list_trails", {}, {"Trails": [
        {"TrailARN": f"arn:aws:cloudtrail:us-east-1:{acct}:trail/a-trail", "Name": "a-trail", "HomeRegion": "us-east-1"},
        {"TrailARN": f"arn:aws:cloudtrail:us-east-1:{acct}:trail/b-trail", "Name": "b-trail", "HomeRegion": "us-east-1"}]},
        "CloudTrail API reference, ListTrails response syntax (order: Warden's, by ARN; AWS does not document one)")
    with pytest.raises(ClientError) as e:
        ct.list_trails(NextToken="not-a-token")
    assert code(e) == "InvalidNextTokenException"


def test_fifo_receive_returns_a_group_together(sqs):
    """"SQS returns as many messages with the same message group ID as possible. The ReceiveMessage API call can also
    return messages from other available message groups." (AWS knowledge center, sqs-fifo-messages-not-returned)."""
    w, c = sqs
    url = c.create_queue(QueueName="g.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    for body, group in [("a1", "a"), ("b1", "b"), ("a2", "a"), ("b2", "b"), ("a3", "a")]:
        c.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
    got = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["a1", "a2", "a3", "b1", "b2"]
    # In flight, both groups are held back until their messages are deleted.
    assert "Messages" not in c.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    for m in got[:3]:
        c.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    c.send_message(QueueUrl=url, MessageBody="a4", MessageGroupId="a")
    c.change_message_visibility(QueueUrl=url, ReceiptHandle=got[3]["ReceiptHandle"], VisibilityTimeout=0)
    # b1 is visible again but b2 is still in flight: group b stays blocked, group a goes on.
    assert [m["Body"] for m in c.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == ["a4"]


def test_dead_letter_source_arn(sqs):
    """A message moved to a dead-letter queue keeps its MessageId and names its source queue
    (LS-SQS test_dead_letter_queue_message_attributes: DeadLetterQueueSourceArn)."""
    w, c = sqs
    acct = account(w)
    dlq = c.create_queue(QueueName="dead")["QueueUrl"]
    src = c.create_queue(QueueName="src", Attributes={"RedrivePolicy": (
        '{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:%s:dead", "maxReceiveCount": 1}' % acct)})["QueueUrl"]
    mid = c.send_message(QueueUrl=src, MessageBody="poison")["MessageId"]
    c.receive_message(QueueUrl=src, VisibilityTimeout=0, WaitTimeSeconds=5)
    assert "Messages" not in c.receive_message(QueueUrl=src, VisibilityTimeout=0)
    m = c.receive_message(QueueUrl=dlq, AttributeNames=["All"], WaitTimeSeconds=5)["Messages"][0]
    assert m["MessageId"] == mid
    assert m["Attributes"]["DeadLetterQueueSourceArn"] == f"arn:aws:sqs:us-east-1:{acct}:src"
    assert set(m["Attributes"]) == {"ApproximateFirstReceiveTimestamp", "ApproximateReceiveCount", "SenderId",
                                    "SentTimestamp", "DeadLetterQueueSourceArn"}
