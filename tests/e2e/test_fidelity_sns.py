"""SNS answers as AWS does: errors (codes, statuses and texts), attribute sets, notification envelopes, batch rules and
filter policies, each compared with what AWS was recorded answering. Every expectation names its source.

SNS speaks the Query protocol (XML), so documents are compared as botocore parses them (ResponseMetadata left out).
Where AWS follows a filter policy reason with its JSON parser's position ("\\n at [Source: ...; line: 1, column: N]"),
Warden leaves that suffix off (it varies between AWS's parser versions); those texts are compared up to it.
"""
import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import BACKENDS, allow_service
from golden import assert_document

LS = "recorded AWS response, LocalStack tests/aws/services/sns/test_sns.snapshot.json"
LSF = "recorded AWS response, LocalStack tests/aws/services/sns/test_sns_filter_policy.snapshot.json"


@pytest.fixture(params=BACKENDS)
def w(request, make_warden):
    return make_warden(request.param)


def clients(w, region="us-east-1"):
    return w.client("sns", region=region, validate=False), w.client("sqs", region=region, validate=False)


def queue(sqs, name, fifo=False):
    attrs = {"FifoQueue": "true"} if fifo else {}
    url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def drain(sqs, url, want, timeout=10):
    got, deadline = [], time.time() + timeout
    while len(got) < want and time.time() < deadline:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"],
                                     MessageSystemAttributeNames=["All"]).get("Messages", []):
            got.append(m)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


def error(fn, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    r = e.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"]


def expect(fn, kw, status, code, message, source):
    got = error(fn, **kw)
    assert got == (status, code, message), f"{got} != {(status, code, message)} (per {source}; call {kw})"


def expect_reason(fn, kw, message, source):
    """An InvalidParameter whose text AWS may follow with its JSON parser's position (which Warden leaves off)."""
    status, code, text = error(fn, **kw)
    assert (status, code) == (400, "InvalidParameter"), (status, code, text, source)
    assert text == message or text.startswith(message + "\n at [Source:"), f"{text!r} != {message!r} (per {source}; {kw})"


def account_of(w):
    return w.client("sts").get_caller_identity()["Account"]


# 1. ARNs: malformed, another region's, unknown.

def test_arn_errors_and_unknown_resources(w):
    sns, _ = clients(w)
    account = account_of(w)
    topic = sns.create_topic(Name="arns")["TopicArn"]
    expect(sns.get_topic_attributes, {"TopicArn": "not-an-arn"}, 400, "InvalidParameter",
           "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1",
           LS + " TestSNSTopicCrud::test_create_topic_with_attributes -> get-attrs-malformed-topic")
    for arn, n in [("randomstring", 1), ("arn:aws", 2), ("", 1)]:
        expect(sns.publish, {"TopicArn": arn, "Message": "x"}, 400, "InvalidParameter",
               f"Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not {n}",
               LS + " TestSNSPublishCrud::test_publish_wrong_arn_format")
    expect(sns.subscribe, {"TopicArn": f"arn:aws:sns:us-east-1:{account}", "Protocol": "sqs",
                           "Endpoint": f"arn:aws:sqs:us-east-1:{account}:q"}, 400, "InvalidParameter",
           "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 5",
           LS + " (2025) TestSNSSubscriptionCrud::test_subscribe_with_invalid_topic")
    missing = f"arn:aws:sns:us-east-1:{account}:no-such-topic"
    for fn, kw in [(sns.get_topic_attributes, {"TopicArn": missing}), (sns.publish, {"TopicArn": missing, "Message": "x"}),
                   (sns.publish_batch, {"TopicArn": missing, "PublishBatchRequestEntries": [{"Id": "1", "Message": "x"}]}),
                   (sns.subscribe, {"TopicArn": missing, "Protocol": "sqs", "Endpoint": f"arn:aws:sqs:us-east-1:{account}:q"})]:
        expect(fn, kw, 404, "NotFound", "Topic does not exist",
               LS + " test_unknown_topic_publish / test_publish_batch_messages_without_topic / test_subscribe_unknown_topic")
    sns.delete_topic(TopicArn=missing)  # 200, LS-snap2 TestSNSTopicCrudV2::test_delete_non_existent_topic

    # The topic exists in us-east-1; a client in another region names it.
    west, _ = clients(w, "us-west-2")
    for fn, kw in [(west.get_topic_attributes, {"TopicArn": topic}),
                   (west.set_topic_attributes, {"TopicArn": topic, "AttributeName": "DisplayName", "AttributeValue": "x"}),
                   (west.publish, {"TopicArn": topic, "Message": "x"}),
                   (west.publish_batch, {"TopicArn": topic, "PublishBatchRequestEntries": [{"Id": "1", "Message": "x"}]}),
                   (west.subscribe, {"TopicArn": topic, "Protocol": "sqs", "Endpoint": f"arn:aws:sqs:us-west-2:{account}:q"}),
                   (west.list_subscriptions_by_topic, {"TopicArn": topic}),
                   (west.delete_topic, {"TopicArn": topic})]:
        expect(fn, kw, 400, "InvalidParameter", "Invalid parameter: TopicArn",
               LS + " TestSNSPublishCrud::test_topic_publish_another_region; (2025) TestSNSMultiRegions::test_cross_region_access")
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["TopicArn"] == topic

    for arn, text in [("PendingConfirmation", "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1"),
                      (f"arn:aws:sns:us-east-1:{account}", "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 5"),
                      (topic, "Invalid parameter: SubscriptionId")]:
        expect(sns.unsubscribe, {"SubscriptionArn": arn}, 400, "InvalidParameter", text,
               LS + " TestSNSSubscriptionCrud::test_unsubscribe_wrong_arn_format")
    expect(sns.get_subscription_attributes, {"SubscriptionArn": "PendingConfirmation"}, 400, "InvalidParameter",
           "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1",
           LS + " (2025) test_delete_subscriptions_on_delete_topic")
    unknown_sub = f"{topic}:{uuid.uuid4()}"
    sns.unsubscribe(SubscriptionArn=unknown_sub)  # 200: LS test_unsubscribe_from_non_existing_subscription
    expect(sns.get_subscription_attributes, {"SubscriptionArn": unknown_sub}, 404, "NotFound", "Subscription does not exist",
           LS + " test_create_subscriptions_with_attributes -> get-attrs-nonexistent-sub")


# 3. Attributes.

DEFAULT_DELIVERY = {"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": 20, "maxDelayTarget": 20, "numRetries": 3,
                                                           "numMaxDelayRetries": 0, "numNoDelayRetries": 0,
                                                           "numMinDelayRetries": 0, "backoffFunction": "linear"},
                             "disableSubscriptionOverrides": False,
                             "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"}}}


def default_policy(arn, account):
    return {"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [{
        "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
                   "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
        "Resource": arn, "Condition": {"StringEquals": {"AWS:SourceOwner": account}}}]}


def test_topic_attributes(w):
    sns, _ = clients(w)
    account = account_of(w)
    for name, attrs in [("plain", {}), ("fifo-false", {"FifoTopic": "false"})]:
        arn = sns.create_topic(Name=name, Attributes=attrs)["TopicArn"]
        got = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        assert_document(got, {"DisplayName": "", "EffectiveDeliveryPolicy": "$string", "Owner": account, "Policy": "$string",
                              "SubscriptionsConfirmed": "0", "SubscriptionsDeleted": "0", "SubscriptionsPending": "0",
                              "TopicArn": arn},
                        LS + " TestSNSTopicCrud::test_create_topic_test_arn -> get-topic-attrs; (2025) "
                             "TestSNSTopicCrudV2::test_topic_get_attributes_with_fifo_false")
        assert json.loads(got["EffectiveDeliveryPolicy"]) == DEFAULT_DELIVERY
        assert json.loads(got["Policy"]) == default_policy(arn, account)
    # FifoTopic=false again is no conflict (LS-snap2 + LocalStack provider notes).
    sns.create_topic(Name="fifo-false", Attributes={"FifoTopic": "false"})
    expect(sns.set_topic_attributes, {"TopicArn": arn, "AttributeName": "FifoTopic", "AttributeValue": "false"}, 400,
           "InvalidParameter", "Invalid parameter: AttributeName",
           LS + " (2025) TestSNSTopicCrudV2::test_topic_get_attributes_with_fifo_false -> set-fifo-false-after-creation")
    sns.set_topic_attributes(TopicArn=arn, AttributeName="SignatureVersion", AttributeValue="2")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["SignatureVersion"] == "2"

    fifo = sns.create_topic(Name="t.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    assert_document(sns.get_topic_attributes(TopicArn=fifo)["Attributes"],
                    {"DisplayName": "", "EffectiveDeliveryPolicy": "$string", "Owner": account, "Policy": "$string",
                     "SubscriptionsConfirmed": "0", "SubscriptionsDeleted": "0", "SubscriptionsPending": "0",
                     "TopicArn": fifo, "ContentBasedDeduplication": "false", "FifoTopic": "true"},
                    LS + " TestSNSSubscriptionSQSFifo::test_publish_fifo_messages_to_dlq[True] -> topic-attrs")
    for name, attrs in [("no-flag.fifo", {}), ("flag-no-suffix", {"FifoTopic": "true"})]:
        expect(sns.create_topic, {"Name": name, "Attributes": attrs}, 400, "InvalidParameter", "Invalid parameter: Topic Name",
               "real AWS exception text (fact sheet, CreateTopic name rules; LocalStack #13714)")


def test_subscription_attributes(w):
    sns, sqs = clients(w)
    account = account_of(w)
    caller = w.client("sts").get_caller_identity()["Arn"]
    topic = sns.create_topic(Name="subs")["TopicArn"]
    _, qarn = queue(sqs, "subs-q")
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
    expected = {"ConfirmationWasAuthenticated": "true", "Endpoint": qarn, "Owner": account, "PendingConfirmation": "false",
                "Protocol": "sqs", "RawMessageDelivery": "false", "SubscriptionArn": sub, "SubscriptionPrincipal": caller,
                "TopicArn": topic}
    source = LS + " TestSNSSubscriptionCrud::test_not_found_error_on_set_subscription_attributes -> sub-attrs"
    assert_document(sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"], expected, source)
    # A scope alone does not show; with a policy both do.
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="MessageBody")
    assert_document(sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"], expected,
                    LSF + " test_set_subscription_filter_policy_scope -> sub-attrs-filter-scope-body")
    policy = json.dumps({"k": ["v"]})
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=policy)
    assert_document(sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"],
                    dict(expected, FilterPolicy=policy, FilterPolicyScope="MessageBody"), LS + " test_subscribe_sqs_queue")
    # FilterPolicy "" with a scope: neither shows.
    _, q2 = queue(sqs, "subs-q2")
    sub2 = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q2, ReturnSubscriptionArn=True,
                         Attributes={"FilterPolicy": "", "FilterPolicyScope": "MessageBody", "RawMessageDelivery": "TrUe"})["SubscriptionArn"]
    assert_document(sns.get_subscription_attributes(SubscriptionArn=sub2)["Attributes"],
                    dict(expected, Endpoint=q2, SubscriptionArn=sub2, RawMessageDelivery="true"),
                    LS + " test_create_subscriptions_with_attributes")

    expect(sns.subscribe, {"TopicArn": topic, "Protocol": "sqs", "Endpoint": f"arn:aws:sqs:us-east-1:{account}:other",
                           "Attributes": {"RawMessageDelivery": "wrongvalue"}}, 400, "InvalidParameter",
           "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [wrongvalue]. Must be true or false.",
           LS + " test_create_subscriptions_with_attributes -> subscribe-wrong-attr")
    for name, value, text in [("RawMessageDelivery", "test-ValUe", "Invalid parameter: RawMessageDelivery: Invalid value [test-ValUe]. Must be true or false."),
                              ("RawMessageDelivery", "", "Invalid parameter: RawMessageDelivery: Invalid value []. Must be true or false."),
                              ("NotAnAttribute", "x", "Invalid parameter: AttributeName"),
                              ("FilterPolicyScope", "RandomValue",
                               "Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. Please use either MessageBody or MessageAttributes")]:
        expect(sns.set_subscription_attributes, {"SubscriptionArn": sub, "AttributeName": name, "AttributeValue": value},
               400, "InvalidParameter", text, LS + " test_validate_set_sub_attributes; " + LSF + " test_set_subscription_filter_policy_scope")
    # Subscribing again: same (or fewer) attributes give the same ARN; different ones are refused.
    assert sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q2, Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"] == sub2
    assert sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q2)["SubscriptionArn"] == sub2
    expect(sns.subscribe, {"TopicArn": topic, "Protocol": "sqs", "Endpoint": q2, "Attributes": {"RawMessageDelivery": "false"}},
           400, "InvalidParameter", "Invalid parameter: Attributes Reason: Subscription already exists with different attributes",
           LS + " TestSNSSubscriptionCrud::test_subscribe_idempotency")


# 5. SMS and email subscriptions need no gateway to be made.

def test_sms_and_email_subscriptions_without_gateways(w):
    sns, _ = clients(w)
    account = account_of(w)
    topic = sns.create_topic(Name="people")["TopicArn"]
    sms = sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+123123123")["SubscriptionArn"]
    assert sms.startswith(topic + ":")
    a = sns.get_subscription_attributes(SubscriptionArn=sms)["Attributes"]
    assert (a["PendingConfirmation"], a["ConfirmationWasAuthenticated"], a["RawMessageDelivery"]) == ("false", "true", "false"), \
        LS + " TestSNSSMS::test_subscribe_sms_endpoint"
    assert "SubscriptionPrincipal" in a
    assert sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="test@example.com")["SubscriptionArn"] == "pending confirmation"
    listed = [s for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] if s["Protocol"] == "email"]
    assert_document(listed, [{"Endpoint": "test@example.com", "Owner": account, "Protocol": "email",
                              "SubscriptionArn": "PendingConfirmation", "TopicArn": topic}],
                    LS + " (2025) test_getting_subscriptions_by_topic")
    for endpoint in ["NAA+15551234567", "invalid-number"]:
        expect(sns.subscribe, {"TopicArn": topic, "Protocol": "sms", "Endpoint": endpoint}, 400, "InvalidParameter",
               f"Invalid SMS endpoint: {endpoint}", LS + " TestSNSSMS::test_publish_wrong_phone_format; (2025) test_subscribe_bad_sms")


# 6. MessageGroupId on standard topics; 4. envelopes.

def test_standard_topic_message_group_id_and_envelope(w):
    sns, sqs = clients(w)
    topic = sns.create_topic(Name="fair")["TopicArn"]
    url, qarn = queue(sqs, "fair-q")
    allow_service(sqs, url, "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    r = sns.publish(TopicArn=topic, Message="hello", Subject="s", MessageGroupId="my-group-id-1",
                    MessageAttributes={"a": {"DataType": "String", "StringValue": "v"}})
    assert set(r) == {"MessageId", "ResponseMetadata"}
    [m] = drain(sqs, url, 1)
    # The SQS message carries the group; the envelope is the standard one, signed, without the group.
    assert m["Attributes"].get("MessageGroupId") == "my-group-id-1", LS + " (2025) TestSNSSubscriptionSQS::test_publish_message_group_id"
    body = json.loads(m["Body"])
    assert list(body) == ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion", "Signature",
                          "SigningCertURL", "UnsubscribeURL", "MessageAttributes"], LS + " test_publish_sqs_from_sns -> message-raw-false"
    expect(sns.publish, {"TopicArn": topic, "Message": "x", "MessageDeduplicationId": "d"}, 400, "InvalidParameter",
           "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
           LS + " TestSNSSubscriptionSQSFifo::test_validations_for_fifo -> no-msg-dedup-regular-topic")


def test_fifo_topic_envelope_is_unsigned(w):
    sns, sqs = clients(w)
    topic = sns.create_topic(Name="env.fifo", Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    url, qarn = queue(sqs, "env.fifo", fifo=True)
    allow_service(sqs, url, "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    r = sns.publish(TopicArn=topic, Message="Test", Subject="s", MessageGroupId="g",
                    MessageAttributes={"a": {"DataType": "String", "StringValue": "v"}})
    [m] = drain(sqs, url, 1)
    body = json.loads(m["Body"])
    source = LS + " TestSNSSubscriptionSQSFifo::test_message_to_fifo_sqs[False] (2023, re-recorded 2025)"
    assert list(body) == ["Type", "MessageId", "SequenceNumber", "TopicArn", "Subject", "Message", "Timestamp",
                          "UnsubscribeURL", "MessageAttributes"], source
    assert body["SequenceNumber"] == r["SequenceNumber"] and body["MessageId"] == r["MessageId"], source
    assert m["Attributes"]["MessageDeduplicationId"] == "532eaabd9574880dbf76b9b8cc00832c20a6ec113d682299550d7a6e0f345e25", source


# 7. PublishBatch.

def test_publish_batch_rules(w):
    sns, sqs = clients(w)
    topic = sns.create_topic(Name="batches")["TopicArn"]
    fifo = sns.create_topic(Name="batches.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    url, qarn = queue(sqs, "batches.fifo", fifo=True)
    allow_service(sqs, url, "sns.amazonaws.com", fifo)
    sns.subscribe(TopicArn=fifo, Protocol="sqs", Endpoint=qarn)
    source = LS + " TestSNSSubscriptionSQS::test_publish_batch_exceptions"
    expect(sns.publish_batch, {"TopicArn": topic, "PublishBatchRequestEntries": [{"Id": str(i), "Message": "m"} for i in range(11)]},
           400, "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.", source)
    expect(sns.publish_batch, {"TopicArn": topic, "PublishBatchRequestEntries": [{"Id": "1", "Message": "m"}, {"Id": "1", "Message": "n"}]},
           400, "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.", source)
    expect(sns.publish_batch, {"TopicArn": topic, "PublishBatchRequestEntries": [{"Id": str(i), "Message": "x" * 100_000} for i in range(3)]},
           400, "BatchRequestTooLong", "The length of all the messages put together is more than the limit.",
           LS + " TestSNSPublishCrud::test_publish_batch_too_long_message")
    # Codes from the SNS API reference; AWS's texts for these two are not recorded, so only the codes are compared.
    assert error(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[])[:2] == (400, "EmptyBatchRequest")
    assert error(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[{"Id": "a.b", "Message": "m"}])[:2] == \
        (400, "InvalidBatchEntryId")
    # One bad FIFO entry fails the whole request; nothing of it is published.
    expect(sns.publish_batch, {"TopicArn": fifo, "PublishBatchRequestEntries": [
        {"Id": "1", "Message": "m", "MessageGroupId": "g", "MessageDeduplicationId": "d"}, {"Id": "2", "Message": "m"}]},
        400, "InvalidParameter", "Invalid parameter: The MessageGroupId parameter is required for FIFO topics", source + " -> no-group-id")
    expect(sns.publish_batch, {"TopicArn": fifo, "PublishBatchRequestEntries": [
        {"Id": "1", "Message": "m", "MessageGroupId": "g", "MessageDeduplicationId": "d"}, {"Id": "2", "Message": "m", "MessageGroupId": "g"}]},
        400, "InvalidParameter",
        "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
        source + " -> no-dedup-id")
    expect(sns.publish_batch, {"TopicArn": topic, "PublishBatchRequestEntries": [
        {"Id": "1", "Message": json.dumps({"sqs": "x"}), "MessageStructure": "json"}]},
        400, "InvalidParameter", "Invalid parameter: Message Structure - No default entry in JSON message body",
        source + " -> no-default-key-json")
    expect(sns.publish_batch, {"TopicArn": topic, "PublishBatchRequestEntries": [
        {"Id": "1", "Message": "m"}, {"Id": "2", "Message": "m", "MessageAttributes": {"attr1": {"DataType": "String", "StringValue": ""}}}]},
        400, "ParameterValueInvalid",
        "The message attribute 'attr1' must contain non-empty message attribute value for message attribute type 'String'.",
        LS + " TestSNSSubscriptionSQS::test_empty_or_wrong_message_attributes -> batch-exception")
    assert drain(sqs, url, 1, timeout=2) == []
    r = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "1", "Message": "a"}, {"Id": "2", "Message": "b"}])
    r.pop("ResponseMetadata")
    assert_document(r, {"Failed": [], "Successful": [{"Id": "1", "MessageId": "$uuid"}, {"Id": "2", "MessageId": "$uuid"}]},
                    LS + " test_publish_batch_messages_from_sns_to_sqs -> publish-batch")
    r = sns.publish_batch(TopicArn=fifo, PublishBatchRequestEntries=[
        {"Id": "1", "Message": "a", "MessageGroupId": "g", "MessageDeduplicationId": "d1"}])
    r.pop("ResponseMetadata")
    assert_document(r, {"Failed": [], "Successful": [{"Id": "1", "MessageId": "$uuid", "SequenceNumber": "re:[0-9]+"}]},
                    LS + " TestSNSSubscriptionSQSFifo::test_publish_fifo_messages_to_dlq[True] -> publish-batch-response-fifo")


# 2. Filter policy validation.

NUMERIC = [([], "Invalid member in numeric match: ]"), (["operator"], "Unrecognized numeric range operator: operator"),
           ([1, "<="], "Invalid member in numeric match: 1"), (["=", "000"], "Value of equals must be numeric"),
           ([">="], "Value of >= must be numeric"), (["<", 100, ">", 10], "Too many elements in numeric expression"),
           ([">=", 1, ">", 2], "Bad numeric range operator: >"), ([">", 3, "<", 1], "Bottom must be less than top"),
           ([">", 20, "<="], "Value of <= must be numeric"), ([">", 20, 30], "Bad value in numeric range: 30"),
           ([">", 20, "test"], "Bad numeric range operator: test"), ([">", "20", "<", "30"], "Value of > must be numeric"),
           ([">", 20, "<", "30"], "Value of < must be numeric"),
           ([">", 20, "<", 30, "<", 50], "Too many terms in numeric range expression")]

POLICIES = [({"key": [["value"]]}, "Match value must be String, number, true, false, or null"),
            ({"key": [{"wrong-operator": True}]}, "Unrecognized match type wrong-operator"),
            ({"key": [{"suffix": "value", "prefix": "value2"}]}, "Only one key allowed in match expression"),
            ({"key": [{"suffix": 100}]}, "suffix match pattern must be a string"),
            ({"key": [{"suffix": None}]}, "suffix match pattern must be a string"),
            ({"key": [{"suffix": ["test", "test2"]}]}, "suffix match pattern must be a string"),
            ({"key": {"suffix": "value"}}, '"suffix" must be an object or an array'),
            ({"key": {"not-an-operator": "value"}}, '"not-an-operator" must be an object or an array'),
            ({"key_a": "value_one"}, '"key_a" must be an object or an array'),
            ({"key": [{"exists": None}]}, "exists match pattern must be either true or false."),
            ({"key": [{"exists": "no"}]}, "exists match pattern must be either true or false."),
            ({"key": [{"anything-but": {"wrong-operator": None}}]}, "Unsupported anything-but pattern: wrong-operator"),
            ({"key": [{"anything-but": {"suffix": "test"}}]}, "Unsupported anything-but pattern: suffix"),
            ({"key": [{"anything-but": {"exists": False}}]}, "Unsupported anything-but pattern: exists"),
            ({"key": [{"anything-but": {"prefix": False}}]}, "prefix match pattern must be a string")] + \
           [({"key": [{"numeric": n}]}, reason) for n, reason in NUMERIC]


def test_filter_policy_reasons(w):
    sns, sqs = clients(w)
    account = account_of(w)
    topic = sns.create_topic(Name="filters")["TopicArn"]
    _, qarn = queue(sqs, "filters-q")
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
    source = LSF + " test_validate_policy / _numeric_operator / _exists_operator / _nested_anything_but_operator"
    for policy, reason in POLICIES:
        expect_reason(sns.set_subscription_attributes, {"SubscriptionArn": sub, "AttributeName": "FilterPolicy",
                                                        "AttributeValue": json.dumps(policy)}, f"Invalid parameter: FilterPolicy: {reason}", source)
    expect_reason(sns.subscribe, {"TopicArn": topic, "Protocol": "sqs", "Endpoint": f"arn:aws:sqs:us-east-1:{account}:other",
                                  "Attributes": {"FilterPolicy": json.dumps({"key": [{"wrong-operator": True}]})}},
                  "Invalid parameter: Attributes Reason: FilterPolicy: Unrecognized match type wrong-operator", source + " (Subscribe)")
    for policy, reason in [({f"key{i}": ["v"] for i in range(6)}, "Filter policy can not have more than 5 keys"),
                           ({"key": [f"v{i}" for i in range(151)]}, "Filter policy is too complex"),
                           ({"key1": [f"v{i}" for i in range(100)], "key2": [f"v{i}" for i in range(51)]}, "Filter policy is too complex")]:
        expect(sns.set_subscription_attributes, {"SubscriptionArn": sub, "AttributeName": "FilterPolicy", "AttributeValue": json.dumps(policy)},
               400, "InvalidParameter", f"Invalid parameter: FilterPolicy: {reason}", LSF + " test_policy_complexity")
    nested = json.dumps({"object": {"key": ["v"]}})
    expect(sns.set_subscription_attributes, {"SubscriptionArn": sub, "AttributeName": "FilterPolicy", "AttributeValue": nested},
           400, "InvalidParameter", "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy",
           LSF + " test_sub_filter_policy_nested_property -> sub-filter-policy-nested-error")
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="MessageBody")
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=nested)
    for ok in [{"key": [{"anything-but": {"prefix": "test-"}}]}, {"key": [{"anything-but": ["test", "test2"]}]},
               {"key": [{"anything-but": "test"}]}]:
        sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=json.dumps(ok))


# 9. Filter matching: five decimal places; message bodies by dotted path and through arrays of objects.

def test_filter_matching(w):
    sns, sqs = clients(w)
    topic = sns.create_topic(Name="matching")["TopicArn"]

    def subscriber(name, policy, scope=None):
        url, qarn = queue(sqs, name)
        allow_service(sqs, url, "sns.amazonaws.com", topic)
        attrs = {"FilterPolicy": json.dumps(policy), "RawMessageDelivery": "true"}
        if scope:
            attrs["FilterPolicyScope"] = scope
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes=attrs)
        return url

    # Numbers are compared to five decimal places (AWS docs, subscription-filter-policy-constraints).
    eq = subscriber("eq", {"n": [{"numeric": ["=", 1.000001]}]})
    gt = subscriber("gt", {"n": [{"numeric": [">", 100]}]})
    for n in ["1.000003", "1.00002", "100.000001", "100.00002"]:
        sns.publish(TopicArn=topic, Message=n, MessageAttributes={"n": {"DataType": "Number", "StringValue": n}})
    assert sorted(m["Body"] for m in drain(sqs, eq, 2, timeout=4)) == ["1.000003"]
    assert sorted(m["Body"] for m in drain(sqs, gt, 2, timeout=4)) == ["100.00002"]

    dotted = subscriber("dotted", {"object.nested": ["string.value"]}, "MessageBody")
    records = subscriber("records", {"Records": {"s3": {"object": {"key": [{"prefix": "auto-"}]}},
                                                 "eventName": [{"prefix": "ObjectCreated:"}]}}, "MessageBody")
    bodies = [{"object": {"nested": "string.value"}}, {"object.nested": "string.value"}, {"object": {"nested": "other"}},
              {"Records": [{"s3": {"object": [[{"key": "auto-insurance-2314.xml"}]]}, "eventName": "ObjectCreated:Put"}]},
              {"Records": [{"s3": {"object": {"key": "auto-insurance-2314.xml"}}, "eventName": "ObjectRemoved:Delete"}]},
              {"Records": [{"s3": {"object": {"key": "home-insurance-2314.xml"}}, "eventName": "ObjectCreated:Put"}]},
              "not json"]
    for b in bodies:
        sns.publish(TopicArn=topic, Message=b if isinstance(b, str) else json.dumps(b))
    source = LSF + " test_filter_policy_on_message_body_dot_attribute / _array_of_object_attributes"
    assert sorted(m["Body"] for m in drain(sqs, dotted, 3, timeout=4)) == sorted(json.dumps(b) for b in bodies[:2]), source
    assert [m["Body"] for m in drain(sqs, records, 2, timeout=4)] == [json.dumps(bodies[3])], source
    # A `$or` nested inside an object of a MessageBody policy (LSF test_filter_policy_on_message_body_or_attribute).
    nested_or = subscriber("nested-or", {"source": ["aws.cloudwatch"], "detail": {"$or": [
        {"metricName": ["CPUUtilization"]}, {"namespace": [{"prefix": "AWS/"}]}]}}, "MessageBody")
    events = [{"source": "aws.cloudwatch", "detail": {"metricName": "CPUUtilization", "namespace": "Custom"}},
              {"source": "aws.cloudwatch", "detail": {"metricName": "Latency", "namespace": "AWS/EC2"}},
              {"source": "aws.cloudwatch", "detail": {"metricName": "Latency", "namespace": "Custom"}},
              {"source": "aws.ec2", "detail": {"metricName": "CPUUtilization"}}]
    for e in events:
        sns.publish(TopicArn=topic, Message=json.dumps(e))
    assert sorted(m["Body"] for m in drain(sqs, nested_or, 3, timeout=4)) == sorted(json.dumps(e) for e in events[:2])


# 8. AddPermission.

def test_add_permission_statements(w):
    sns, _ = clients(w)
    topic = sns.create_topic(Name="perms")["TopicArn"]
    sns.add_permission(TopicArn=topic, Label="one", AWSAccountId=["111122223333"], ActionName=["Publish"])
    sns.add_permission(TopicArn=topic, Label="two", AWSAccountId=["111122223333", "444455556666"], ActionName=["Publish", "Subscribe"])
    statements = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])["Statement"]
    source = "moto tests/test_sns/test_topics_boto3.py test_add_remove_permissions; LocalStack sns provider add_permission (fact sheet)"
    assert [s["Sid"] for s in statements] == ["__default_statement_ID", "one", "two"], source
    assert_document(statements[1], {"Sid": "one", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                                    "Action": "SNS:Publish", "Resource": topic}, source)
    assert_document(statements[2], {"Sid": "two", "Effect": "Allow",
                                    "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root"]},
                                    "Action": ["SNS:Publish", "SNS:Subscribe"], "Resource": topic}, source)
    expect(sns.add_permission, {"TopicArn": topic, "Label": "x", "AWSAccountId": ["111122223333"], "ActionName": ["Fly"]},
           400, "InvalidParameter", "Invalid parameter: Policy statement action out of service scope!",
           "real SNS error text seen in CloudFormation outputs (fact sheet, AddPermission)")
