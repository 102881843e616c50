"""Golden responses for every SQS operation Warden serves, each success compared as a whole raw JSON document.

SQS is spoken over the JSON protocol (awsJson1_0), so the raw body is compared (golden.golden). Sources, named per case:
- "LE": responses recorded from AWS, `localemu/localemu` tests/aws/services/sqs/test_sqs.snapshot.json (commit 3098669,
  a copy of LocalStack's SQS snapshot, recorded 2024-04 .. 2025-12); the `[sqs]` variants are the JSON protocol.
  botocore's JSON parser keeps only the members present on the wire, so a key missing from a recorded response was
  missing from AWS's body.
- "API": the Amazon SQS API Reference (response syntax of each action) and the SQS Developer Guide page "Interpreting
  Amazon SQS JSON API responses" (CreateQueue example `{"QueueUrl": "https://sqs.us-east-1.amazonaws.com/111122223333/MyQueue"}`).
Queue URLs are Warden's own endpoint followed by /<account>/<name>, as AWS's are its endpoint followed by the same path.

Operations covered: CreateQueue, GetQueueUrl, ListQueues, DeleteQueue, GetQueueAttributes, SetQueueAttributes,
PurgeQueue, TagQueue, UntagQueue, ListQueueTags, SendMessage, SendMessageBatch, ReceiveMessage, DeleteMessage,
DeleteMessageBatch, ChangeMessageVisibility, ChangeMessageVisibilityBatch.
"""
import base64
import hashlib
import re
import time

from test_fidelity_sqs import account, sqs  # noqa: F401 (fixture)
from golden import Raw, assert_document, golden, no_output

LE = "recorded AWS response, localemu/localemu tests/aws/services/sqs/test_sqs.snapshot.json"
API = "Amazon SQS API Reference"


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def url_of(w, name):
    return "re:" + re.escape(f"{w.endpoint}/{account(w)}/{name}")



def receive(c, url, **kw):
    """One message, waiting for it; the raw document of the receive that returned it."""
    raw = Raw(c)
    deadline = time.time() + 10
    while time.time() < deadline:
        if c.receive_message(QueueUrl=url, WaitTimeSeconds=1, **kw).get("Messages"):
            return raw.json()
    raise AssertionError("no message arrived")


# 1. Queues: create, find, list, attributes, tags, purge, delete.

def test_queue_documents(sqs):
    w, c = sqs
    acct = account(w)
    url = golden(c, "create_queue", {"QueueName": "golden-a", "Attributes": {
        "MessageRetentionPeriod": "604800", "ReceiveMessageWaitTimeSeconds": "10", "VisibilityTimeout": "20"}},
        {"QueueUrl": url_of(w, "golden-a")}, API + " CreateQueue; SQS Developer Guide, JSON API responses")["QueueUrl"]
    # The same name with the same attributes (or none) is the same queue (LE test_create_queue_with_different_attributes...).
    golden(c, "create_queue", {"QueueName": "golden-a"}, {"QueueUrl": url}, API + " CreateQueue (idempotent)")
    golden(c, "get_queue_url", {"QueueName": "golden-a"}, {"QueueUrl": url}, API + " GetQueueUrl response syntax")

    source = LE + " TestSqsProvider::test_create_and_update_queue_attributes[sqs] (19-08-2025)"
    attrs = {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesDelayed": "0",
             "ApproximateNumberOfMessagesNotVisible": "0", "CreatedTimestamp": "re:\\d{10}", "DelaySeconds": "0",
             "LastModifiedTimestamp": "re:\\d{10}", "MaximumMessageSize": "1048576", "MessageRetentionPeriod": "604800",
             "QueueArn": f"arn:aws:sqs:us-east-1:{acct}:golden-a", "ReceiveMessageWaitTimeSeconds": "10",
             "SqsManagedSseEnabled": "true", "VisibilityTimeout": "20"}
    golden(c, "get_queue_attributes", {"QueueUrl": url, "AttributeNames": ["All"]}, {"Attributes": attrs},
           source + " -> get_queue_attributes")
    no_output(c, "set_queue_attributes", {"QueueUrl": url, "Attributes": {"DelaySeconds": "420", "MaximumMessageSize": "2048",
                                                                       "VisibilityTimeout": "69"}}, API + " SetQueueAttributes")
    golden(c, "get_queue_attributes", {"QueueUrl": url, "AttributeNames": ["All"]},
           {"Attributes": dict(attrs, DelaySeconds="420", MaximumMessageSize="2048", VisibilityTimeout="69")},
           source + " -> get_updated_queue_attributes")
    # A named attribute the queue does not have: no Attributes member at all.
    golden(c, "get_queue_attributes", {"QueueUrl": url, "AttributeNames": ["Policy"]}, {},
           LE + " TestSqsProvider::test_sqs_permission_lifecycle[sqs] -> get-queue-policy-attribute-after-removal")

    b = c.create_queue(QueueName="golden-b")["QueueUrl"]

    # FIFO queues switched to high throughput.
    f = c.create_queue(QueueName="golden-c.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    c.set_queue_attributes(QueueUrl=f, Attributes={"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})
    golden(c, "get_queue_attributes", {"QueueUrl": f, "AttributeNames": ["All"]}, {"Attributes": dict(
        attrs, MessageRetentionPeriod="345600", QueueArn=f"arn:aws:sqs:us-east-1:{acct}:golden-c.fifo",
        ReceiveMessageWaitTimeSeconds="0", VisibilityTimeout="30", ContentBasedDeduplication="false",
        DeduplicationScope="messageGroup", FifoQueue="true", FifoThroughputLimit="perMessageGroupId")},
        LE + " TestSqsProvider::test_fifo_change_to_high_throughput_after_creation[sqs] -> set-to-high-throughput")

    # Listing: everything, a page at a time, and a prefix that matches nothing (no QueueUrls member).
    urls = [url, b, f]
    golden(c, "list_queues", {}, {"QueueUrls": urls}, API + " ListQueues; " + LE + " test_list_queues_pagination -> list_all")
    page = golden(c, "list_queues", {"MaxResults": 2}, {"QueueUrls": urls[:2], "NextToken": "$string"},
                  LE + " test_list_queues_pagination -> list_two_max")
    golden(c, "list_queues", {"MaxResults": 2, "NextToken": page["NextToken"]}, {"QueueUrls": urls[2:]},
           LE + " test_list_queues_pagination -> list_remaining (the last page has no NextToken)")
    golden(c, "list_queues", {"QueueNamePrefix": "nothing-like-this"}, {}, LE + " (fact sheet: a prefix with no match has no QueueUrls)")

    # Tags: created with the queue, added, removed; an untagged queue has no Tags member.
    t = c.create_queue(QueueName="golden-tags", tags={"tag1": "value1"})["QueueUrl"]
    no_output(c, "tag_queue", {"QueueUrl": t, "Tags": {"tag2": "value2", "tag3": ""}}, API + " TagQueue")
    source = LE + " TestSqsProvider::test_tag_untag_queue[sqs]"
    golden(c, "list_queue_tags", {"QueueUrl": t}, {"Tags": {"tag1": "value1", "tag2": "value2", "tag3": ""}}, source + " -> get-tag-1")
    no_output(c, "untag_queue", {"QueueUrl": t, "TagKeys": ["tag1", "tag3"]}, API + " UntagQueue")
    golden(c, "list_queue_tags", {"QueueUrl": t}, {"Tags": {"tag2": "value2"}}, source + " -> get-tag-2")
    c.untag_queue(QueueUrl=t, TagKeys=["tag2"])
    golden(c, "list_queue_tags", {"QueueUrl": t}, {}, source + " -> get-tag-after-untag")

    # Purge, and a second purge within 60 seconds.
    c.send_message(QueueUrl=t, MessageBody="gone")
    no_output(c, "purge_queue", {"QueueUrl": t}, API + " PurgeQueue")
    golden(c, "purge_queue", {"QueueUrl": t},
           {"__type": "com.amazonaws.sqs#PurgeQueueInProgress",
            "message": "Only one PurgeQueue operation on golden-tags is allowed every 60 seconds."},
           LE + " TestSqsProvider::test_successive_purge_calls_fail[sqs] (Code AWS.SimpleQueueService.PurgeQueueInProgress, "
                "QueryErrorCode PurgeQueueInProgress, HTTP 403)", status=403,
           headers={"x-amzn-query-error": "AWS.SimpleQueueService.PurgeQueueInProgress;Sender"})
    golden(c, "get_queue_attributes", {"QueueUrl": t, "AttributeNames": ["ApproximateNumberOfMessages"]},
           {"Attributes": {"ApproximateNumberOfMessages": "0"}}, API + " GetQueueAttributes after PurgeQueue")

    for u in urls + [t]:
        no_output(c, "delete_queue", {"QueueUrl": u}, API + " DeleteQueue")
    golden(c, "list_queues", {}, {}, API + " ListQueues (no queues: no QueueUrls member, as for a prefix without match)")


def test_kms_encryption_attributes(sqs):
    w, c = sqs
    b = c.create_queue(QueueName="golden-sse")["QueueUrl"]
    no_output(c, "set_queue_attributes", {"QueueUrl": b, "Attributes": {"KmsMasterKeyId": "testKeyId",
                                                                     "KmsDataKeyReusePeriodSeconds": "6000"}},
          API + " SetQueueAttributes")
    golden(c, "get_queue_attributes", {"QueueUrl": b, "AttributeNames": ["KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds",
                                                                         "SqsManagedSseEnabled"]},
           {"Attributes": {"KmsDataKeyReusePeriodSeconds": "6000", "KmsMasterKeyId": "testKeyId", "SqsManagedSseEnabled": "false"}},
           LE + " TestSqsProvider::test_sse_queue_attributes[sqs] -> sse_kms_attributes")


def test_kms_encryption_set_back_to_defaults(sqs):
    w, c = sqs
    acct = account(w)
    b = c.create_queue(QueueName="golden-sse")["QueueUrl"]
    c.set_queue_attributes(QueueUrl=b, Attributes={"KmsMasterKeyId": "testKeyId", "KmsDataKeyReusePeriodSeconds": "6000"})
    c.set_queue_attributes(QueueUrl=b, Attributes={"KmsMasterKeyId": "", "KmsDataKeyReusePeriodSeconds": "300"})
    golden(c, "get_queue_attributes", {"QueueUrl": b, "AttributeNames": ["All"]}, {"Attributes": {
        "ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesDelayed": "0",
        "ApproximateNumberOfMessagesNotVisible": "0", "CreatedTimestamp": "re:\\d{10}", "DelaySeconds": "0",
        "LastModifiedTimestamp": "re:\\d{10}", "MaximumMessageSize": "1048576", "MessageRetentionPeriod": "345600",
        "QueueArn": f"arn:aws:sqs:us-east-1:{acct}:golden-sse", "ReceiveMessageWaitTimeSeconds": "0",
        "SqsManagedSseEnabled": "false", "VisibilityTimeout": "30"}},
        LE + " TestSqsProvider::test_set_queue_attributes_default_values[sqs] (10-12-2025) -> get-queue-attributes-after-set-to-defaults")


# 2. Messages: send, receive (attribute filters, MD5s), visibility, delete; FIFO and fair queues.

def test_message_documents(sqs):
    w, c = sqs
    url = c.create_queue(QueueName="golden-msgs")["QueueUrl"]
    source = LE + " TestSqsProvider::test_receive_message_message_attribute_names_filters[sqs]"
    attrs = {"Hello": {"DataType": "String", "StringValue": "There"}, "General": {"DataType": "String", "StringValue": "Kenobi"},
             "Help.Me": {"DataType": "String", "StringValue": "Me"}}
    golden(c, "send_message", {"QueueUrl": url, "MessageBody": "msg", "MessageAttributes": attrs},
           {"MD5OfMessageAttributes": "4c360f3fdafd970e05fae2f149d997f5", "MD5OfMessageBody": "6e2baaf3b97dbeef01c0043275f9a0e7",
            "MessageId": "$uuid"}, source + " -> send_message_response")

    def message(**extra):
        return {"Body": "msg", "MD5OfBody": "6e2baaf3b97dbeef01c0043275f9a0e7", "MessageId": "$uuid", "ReceiptHandle": "$string", **extra}

    assert_document(receive(c, url, VisibilityTimeout=0), {"Messages": [message()]}, source + " -> empty_filter")
    assert_document(receive(c, url, VisibilityTimeout=0, MessageAttributeNames=["All"]),
                    {"Messages": [message(MD5OfMessageAttributes="4c360f3fdafd970e05fae2f149d997f5", MessageAttributes=attrs)]},
                    source + " -> all_name")
    assert_document(receive(c, url, VisibilityTimeout=0, MessageAttributeNames=["Hello", "General"]),
                    {"Messages": [message(MD5OfMessageAttributes="fca026605781cb4126a1e9044df24232",
                                          MessageAttributes={k: attrs[k] for k in ("General", "Hello")})]},
                    source + " -> only_existing")
    assert_document(receive(c, url, VisibilityTimeout=0, MessageAttributeNames=["Hello", "Foo"]),
                    {"Messages": [message(MD5OfMessageAttributes="a311262e065454b75da111d535b8dacd",
                                          MessageAttributes={"Hello": attrs["Hello"]})]},
                    source + " -> existing_and_non_existing")
    assert_document(receive(c, url, VisibilityTimeout=0, MessageAttributeNames=["Hel.*"]),
                    {"Messages": [message(MD5OfMessageAttributes="83fee93c1bcd8b9a5a923ffacdc636c7",
                                          MessageAttributes={k: attrs[k] for k in ("Hello", "Help.Me")})]},
                    source + " -> prefix_filter")
    source = LE + " TestSqsProvider::test_receive_message_attribute_names_filters[sqs] (04-06-2024)"
    assert_document(receive(c, url, VisibilityTimeout=0, MessageSystemAttributeNames=["SenderId"]),
                    {"Messages": [message(Attributes={"SenderId": "$string"})]}, source + " -> single_attribute")
    got = receive(c, url, VisibilityTimeout=30, MessageSystemAttributeNames=["All"])
    assert_document(got, {"Messages": [message(Attributes={
        "ApproximateFirstReceiveTimestamp": "re:\\d{13}", "ApproximateReceiveCount": "7", "SenderId": "$string",
        "SentTimestamp": "re:\\d{13}"})]}, source + " -> all_attributes (the 7th receive of this message)")
    handle = got["Messages"][0]["ReceiptHandle"]
    no_output(c, "change_message_visibility", {"QueueUrl": url, "ReceiptHandle": handle, "VisibilityTimeout": 0},
          API + " ChangeMessageVisibility")
    handle = receive(c, url)["Messages"][0]["ReceiptHandle"]
    no_output(c, "delete_message", {"QueueUrl": url, "ReceiptHandle": handle}, API + " DeleteMessage")
    no_output(c, "delete_message", {"QueueUrl": url, "ReceiptHandle": handle}, "fact sheet: deleting a deleted message succeeds (LE)")
    golden(c, "receive_message", {"QueueUrl": url}, {}, LE + " test_receive_empty_queue[sqs] -> empty_short_poll_resp_no_param")

    # One attribute; a binary attribute; a system attribute (the X-Ray trace header).
    golden(c, "send_message", {"QueueUrl": url, "MessageBody": "msg", "MessageAttributes": {"Foo": {"DataType": "String", "StringValue": "Bar"}}},
           {"MD5OfMessageAttributes": "ae7155c6026991b6d54b11589678bf9c", "MD5OfMessageBody": "6e2baaf3b97dbeef01c0043275f9a0e7",
            "MessageId": "$uuid"}, LE + " test_receive_message_attribute_names_filters[sqs] -> all_system_and_message_attributes")
    c.delete_message(QueueUrl=url, ReceiptHandle=receive(c, url)["Messages"][0]["ReceiptHandle"])
    binary = b"traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01"
    c.send_message(QueueUrl=url, MessageBody="test", MessageAttributes={"attr1": {"DataType": "Binary", "BinaryValue": binary}})
    got = receive(c, url, MessageAttributeNames=["All"])
    assert_document(got, {"Messages": [{"Body": "test", "MD5OfBody": "098f6bcd4621d373cade4e832627b4f6",
                                        "MD5OfMessageAttributes": "8cbe4db156db8a94db8b801b7addb984",
                                        "MessageAttributes": {"attr1": {"BinaryValue": base64.b64encode(binary).decode(), "DataType": "Binary"}},
                                        "MessageId": "$uuid", "ReceiptHandle": "$string"}]},
                    LE + " TestSqsProvider::test_send_message_with_binary_attributes[sqs] -> binary-attrs-msg (JSON carries blobs as base64)")
    c.delete_message(QueueUrl=url, ReceiptHandle=got["Messages"][0]["ReceiptHandle"])

    # Per-entry failures in a batch; the successful entries alongside.
    small = c.create_queue(QueueName="golden-small", Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    golden(c, "send_message_batch", {"QueueUrl": small, "Entries": [{"Id": "big", "MessageBody": "x" * 1025},
                                                                    {"Id": "ok", "MessageBody": "a"}]},
           {"Failed": [{"Code": "InvalidParameterValue", "Id": "big", "SenderFault": True,
                        "Message": "One or more parameters cannot be validated. Reason: Message must be shorter than 1024 bytes."}],
            "Successful": [{"Id": "ok", "MD5OfMessageBody": "0cc175b9c0f1b6a831c399e269772661", "MessageId": "$uuid"}]},
           LE + " TestSqsProvider::test_send_batch_message_size -> send-message-batch-result")

    # FIFO: a sequence number on send, the FIFO system attributes on receive.
    fifo = c.create_queue(QueueName="golden-msgs.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    sent = golden(c, "send_message", {"QueueUrl": fifo, "MessageBody": "message-body-1", "MessageGroupId": "group-1",
                                      "MessageDeduplicationId": "dedup-1"},
                  {"MD5OfMessageBody": "19c9e282d65f9733bc6b35d50062c7ee", "MessageId": "$uuid", "SequenceNumber": "re:\\d+"},
                  LE + " TestSqsProvider::test_fifo_message_attributes[sqs] -> send_message")
    assert_document(receive(c, fifo, AttributeNames=["All"]), {"Messages": [{
        "Attributes": {"ApproximateFirstReceiveTimestamp": "re:\\d{13}", "ApproximateReceiveCount": "1",
                       "MessageDeduplicationId": "dedup-1", "MessageGroupId": "group-1", "SenderId": "$string",
                       "SentTimestamp": "re:\\d{13}", "SequenceNumber": sent["SequenceNumber"]},
        "Body": "message-body-1", "MD5OfBody": "19c9e282d65f9733bc6b35d50062c7ee", "MessageId": sent["MessageId"],
        "ReceiptHandle": "$string"}]}, LE + " TestSqsProvider::test_fifo_message_attributes[sqs] -> receive_message_0")

    # Fair queues: a standard queue with a MessageGroupId.
    golden(c, "send_message", {"QueueUrl": url, "MessageBody": "message", "MessageGroupId": "test"},
           {"MD5OfMessageBody": "78e731027d8fd50ed642340b7c9a63b3", "MessageId": "$uuid"},
           LE + " TestSqsProvider::test_fair_queue_with_message_group_id[sqs] (18-08-2025) -> send_message")
    assert_document(receive(c, url, AttributeNames=["All"]), {"Messages": [{
        "Attributes": {"ApproximateFirstReceiveTimestamp": "re:\\d{13}", "ApproximateReceiveCount": "1", "MessageGroupId": "test",
                       "SenderId": "$string", "SentTimestamp": "re:\\d{13}"},
        "Body": "message", "MD5OfBody": "78e731027d8fd50ed642340b7c9a63b3", "MessageId": "$uuid", "ReceiptHandle": "$string"}]},
        LE + " TestSqsProvider::test_fair_queue_with_message_group_id[sqs] -> get-message-with-deduplication-id")


def test_trace_header_system_attribute(sqs):
    w, c = sqs
    url = c.create_queue(QueueName="golden-trace")["QueueUrl"]
    header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    golden(c, "send_message", {"QueueUrl": url, "MessageBody": "message-1", "MessageSystemAttributes": {
        "AWSTraceHeader": {"DataType": "String", "StringValue": header}}},
        {"MD5OfMessageBody": "3d6b824fd8c1520e9a047d21fee6fb1f", "MD5OfMessageSystemAttributes": "5ae4d5d7636402d80f4eb6d213245a88",
         "MessageId": "$uuid"}, LE + " test_dead_letter_queue_message_attributes (body MD5) and fact sheet (system attribute MD5)")
    assert_document(receive(c, url, MessageSystemAttributeNames=["AWSTraceHeader"]), {"Messages": [{
        "Attributes": {"AWSTraceHeader": header}, "Body": "message-1", "MD5OfBody": "3d6b824fd8c1520e9a047d21fee6fb1f",
        "MessageId": "$uuid", "ReceiptHandle": "$string"}]}, LE + " TestSqsProvider::test_dead_letter_queue_message_attributes -> rec-pre-dlq")


# 3. Batches that all succeed: AWS sends no "Failed" member. Recorded for SendMessageBatch; DeleteMessageBatch and
# ChangeMessageVisibilityBatch are the same awsJson serializer (an absent empty list, as for Messages, QueueUrls and Tags).

def batch_queue(c, name):
    url = c.create_queue(QueueName=name)["QueueUrl"]
    c.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "a"}, {"Id": "2", "MessageBody": "b"}])
    handles, deadline = [], time.time() + 10
    while len(handles) < 2 and time.time() < deadline:
        handles += [m["ReceiptHandle"] for m in c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])]
    return url, handles


def test_send_message_batch_all_successful(sqs):
    w, c = sqs
    url = c.create_queue(QueueName="golden-batch")["QueueUrl"]
    golden(c, "send_message_batch", {"QueueUrl": url, "Entries": [
        {"Id": "1", "MessageBody": "msg", "MessageAttributes": {"Foo": {"DataType": "String", "StringValue": "Bar"}}},
        {"Id": "2", "MessageBody": "a"}]},
        {"Successful": [{"Id": "1", "MD5OfMessageAttributes": "ae7155c6026991b6d54b11589678bf9c",
                         "MD5OfMessageBody": "6e2baaf3b97dbeef01c0043275f9a0e7", "MessageId": "$uuid"},
                        {"Id": "2", "MD5OfMessageBody": "0cc175b9c0f1b6a831c399e269772661", "MessageId": "$uuid"}]},
        LE + " TestSqsProvider::test_send_message_batch_with_oversized_contents_with_updated_maximum_message_size[sqs] "
             "-> send_oversized_message_batch (no Failed member)")


def test_fifo_send_message_batch_all_successful(sqs):
    w, c = sqs
    url = c.create_queue(QueueName="golden-batch.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    golden(c, "send_message_batch", {"QueueUrl": url, "Entries": [{"Id": "1", "MessageBody": "a", "MessageGroupId": "g"}]},
           {"Successful": [{"Id": "1", "MD5OfMessageBody": "0cc175b9c0f1b6a831c399e269772661", "MessageId": "$uuid",
                            "SequenceNumber": "re:\\d+"}]},
           API + " SendMessageBatch (SequenceNumber for FIFO queues); " + LE + " (no Failed member when none failed)")


def test_delete_message_batch_all_successful(sqs):
    w, c = sqs
    url, handles = batch_queue(c, "golden-delete-batch")
    golden(c, "delete_message_batch", {"QueueUrl": url, "Entries": [{"Id": f"e{i}", "ReceiptHandle": h} for i, h in enumerate(handles)]},
           {"Successful": [{"Id": "e0"}, {"Id": "e1"}]},
           API + " DeleteMessageBatch response syntax; " + LE + " (no Failed member when none failed)")


def test_change_message_visibility_batch_all_successful(sqs):
    w, c = sqs
    url, handles = batch_queue(c, "golden-cmv-batch")
    golden(c, "change_message_visibility_batch", {"QueueUrl": url, "Entries": [
        {"Id": f"e{i}", "ReceiptHandle": h, "VisibilityTimeout": 0} for i, h in enumerate(handles)]},
        {"Successful": [{"Id": "e0"}, {"Id": "e1"}]},
        API + " ChangeMessageVisibilityBatch response syntax; " + LE + " (no Failed member when none failed)")


# 4. Errors recorded from AWS: the raw JSON error document and its x-amzn-query-error header.

def test_error_documents(sqs):
    w, c = sqs
    url = c.create_queue(QueueName="golden-errors")["QueueUrl"]
    fifo = c.create_queue(QueueName="golden-errors.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    ipv = ("com.amazonaws.sqs#InvalidParameterValueException", "InvalidParameterValue;Sender")
    cases = [
        ("send_message", {"QueueUrl": fifo, "MessageBody": "x", "MessageGroupId": "g", "DelaySeconds": 2}, ipv,
         "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.",
         "test_fifo_queue_send_message_with_delay_seconds_fails[sqs]"),
        ("send_message", {"QueueUrl": fifo, "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "group 123"}, ipv,
         "Value group 123 for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only include "
         "alphanumeric and punctuation characters. 1 to 128 in length.", "test_message_deduplication_id_invalid[spaces]"),
        ("send_message", {"QueueUrl": url, "MessageBody": "x", "MessageGroupId": ""}, ipv,
         "Value  for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation "
         "characters. 1 to 128 in length.", "test_send_message_to_standard_queue_with_invalid_message_group_id[empty]"),
        ("receive_message", {"QueueUrl": url, "WaitTimeSeconds": 21}, ipv,
         "Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.",
         "test_send_receive_wait_time_seconds[sqs] -> recieve_message_error_too_large"),
        ("receive_message", {"QueueUrl": url, "WaitTimeSeconds": -1}, ipv,
         "Value -1 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.",
         "test_send_receive_wait_time_seconds[sqs] -> recieve_message_error_too_small"),
        ("send_message", {"QueueUrl": url, "MessageBody": "x", "MessageAttributes": {"ErrorDetails": {"DataType": "String", "StringValue": ""}}},
         ipv, "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'.",
         "test_send_message_with_empty_string_attribute[sqs]"),
        ("send_message", {"QueueUrl": url, "MessageBody": "x" * 1048577}, ipv,
         "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.", "test_send_oversized_message[sqs] (19-08-2025)"),
        ("send_message_batch", {"QueueUrl": url, "Entries": [{"Id": str(i), "MessageBody": "x"} for i in range(20)]},
         ("com.amazonaws.sqs#TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest;Sender"),
         "Maximum number of entries per request are 10. You have sent 20.", "test_too_many_entries_in_batch_request[sqs]"),
        ("change_message_visibility_batch", {"QueueUrl": url, "Entries": [{"Id": str(i), "ReceiptHandle": "x", "VisibilityTimeout": 1}
                                                                          for i in range(20)]},
         ("com.amazonaws.sqs#TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest;Sender"),
         "Maximum number of entries per request are 10. You have sent 20.", "test_change_message_visibility_batch_with_too_large_batch[sqs]"),
        ("delete_message_batch", {"QueueUrl": url, "Entries": [{"Id": "invalid:id", "ReceiptHandle": "x"}]},
         ("com.amazonaws.sqs#InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId;Sender"),
         "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
         "test_delete_message_batch_invalid_msg_id[sqs-invalid:id]"),
        ("send_message_batch", {"QueueUrl": url, "Entries": [{"Id": "1", "MessageBody": "x" * 524288}, {"Id": "2", "MessageBody": "y" * 524289}]},
         ("com.amazonaws.sqs#BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong;Sender"),
         "Batch requests cannot be longer than 1048576 bytes. You have sent 1048577 bytes.", "test_send_message_batch_with_oversized_contents[sqs]"),
        ("create_queue", {"QueueName": "golden-errors.fifo", "Attributes": {"FifoQueue": "true", "ContentBasedDeduplication": "false"}},
         ("com.amazonaws.sqs#QueueNameExists", "QueueAlreadyExists;Sender"),
         "A queue already exists with the same name and a different value for attribute ContentBasedDeduplication",
         "test_create_fifo_queue_with_different_attributes_raises_error[sqs]"),
        ("create_queue", {"QueueName": "golden-std", "Attributes": {"ContentBasedDeduplication": "true"}},
         ("com.amazonaws.sqs#InvalidAttributeName", "InvalidAttributeName;Sender"), "Unknown Attribute ContentBasedDeduplication.",
         "test_create_standard_queue_with_fifo_attribute_raises_error[sqs] -> invalid-attribute-content-based-deduplication"),
        ("create_queue", {"QueueName": "golden-std", "Attributes": {"FifoThroughputLimit": "perQueue"}},
         ("com.amazonaws.sqs#InvalidAttributeName", "InvalidAttributeName;Sender"),
         "You can specify the FifoThroughputLimit only when FifoQueue is set to true.",
         "test_create_standard_queue_with_fifo_attribute_raises_error[sqs] -> invalid-attribute-throughput-limit"),
    ]
    for op, params, (etype, header), message, source in cases:
        golden(c, op, params, {"__type": etype, "message": message}, f"{LE} TestSqsProvider::{source}", status=400,
               headers={"x-amzn-query-error": header})
