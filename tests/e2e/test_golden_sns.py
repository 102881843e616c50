"""Golden responses for every SNS operation Warden serves, each success compared as a whole document.

SNS speaks the Query protocol (XML): botocore's parsed response, less ResponseMetadata, is compared with
golden.assert_document (a missing list, an extra member or a different value fails). Sources, named per case:
- "LS": responses recorded from AWS, `localstack/localstack` tests/aws/services/sns/test_sns.snapshot.json (commit
  02b6f1855221634efcf40f7f15d93b1a6665ab8a, recordings 2023 .. 2025-10). Key order in snapshots is sorted; JSON-valued
  attributes (Policy, EffectiveDeliveryPolicy) are shown parsed, so they are compared parsed here too.
- "API": the Amazon SNS API Reference (response syntax / elements of each action).
- "moto": moto's tests/test_sns/test_topics_boto3.py (AddPermission/RemovePermission; no AWS recording exists).

Operations covered: CreateTopic, DeleteTopic, ListTopics, GetTopicAttributes, SetTopicAttributes,
CheckIfPhoneNumberIsOptedOut, ListPhoneNumbersOptedOut, OptInPhoneNumber, GetSMSAttributes, SetSMSAttributes,
AddPermission, RemovePermission, TagResource, UntagResource, ListTagsForResource, Subscribe, Unsubscribe,
ConfirmSubscription, ListSubscriptions, ListSubscriptionsByTopic, GetSubscriptionAttributes, SetSubscriptionAttributes,
Publish, PublishBatch.
"""
import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ClientError

from conftest import BACKENDS, allow_service
from test_fidelity_sns import default_policy
from golden import Raw, assert_document

LS = "recorded AWS response, LocalStack tests/aws/services/sns/test_sns.snapshot.json"
API = "Amazon SNS API Reference"
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

DEFAULT_DELIVERY = {"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": 20, "maxDelayTarget": 20, "numRetries": 3,
                                                           "numMaxDelayRetries": 0, "numNoDelayRetries": 0,
                                                           "numMinDelayRetries": 0, "backoffFunction": "linear"},
                             "disableSubscriptionOverrides": False,
                             "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"}}}


@pytest.fixture(params=BACKENDS)
def w(request, make_warden):
    return make_warden(request.param)


def clients(w):
    return w.client("sns", validate=False), w.client("sqs", validate=False)


def account_of(w):
    return w.client("sts").get_caller_identity()["Account"]


def call(client, operation, params, expected, source):
    """Calls `operation`; its parsed response without ResponseMetadata must be `expected`. Returns the response."""
    r = getattr(client, operation)(**params)
    r.pop("ResponseMetadata")
    assert_document(r, expected, source)
    return r


def sub_arn(topic):
    return "re:" + re.escape(topic) + ":" + UUID



def topic_attributes(sns, arn):
    """GetTopicAttributes with its JSON-valued attributes parsed, as the recordings show them."""
    r = sns.get_topic_attributes(TopicArn=arn)
    r.pop("ResponseMetadata")
    for k in ("Policy", "EffectiveDeliveryPolicy"):
        if k in r["Attributes"]:
            r["Attributes"][k] = json.loads(r["Attributes"][k])
    return r


def queue(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


# 1. Topics: create, list, attributes, permissions, tags, delete.

def test_topic_documents(w):
    sns, _ = clients(w)
    acct = account_of(w)
    arn = call(sns, "create_topic", {"Name": "golden-topic"}, {"TopicArn": f"arn:aws:sns:us-east-1:{acct}:golden-topic"},
               LS + " TestSNSTopicCrud::test_create_topic_test_arn -> create-topic")["TopicArn"]
    call(sns, "create_topic", {"Name": "golden-topic"}, {"TopicArn": arn},
         LS + " TestSNSTopicCrud::test_create_duplicate_topic_check_idempotency -> response-same-arn-0")
    call(sns, "list_topics", {}, {"Topics": [{"TopicArn": arn}]}, LS + " TestSNSTopicCrudV2::test_create_topic_in_multiple_regions -> list-east")
    standard = {"DisplayName": "", "EffectiveDeliveryPolicy": DEFAULT_DELIVERY, "Owner": acct,
                "Policy": default_policy(arn, acct), "SubscriptionsConfirmed": "0", "SubscriptionsDeleted": "0",
                "SubscriptionsPending": "0", "TopicArn": arn}
    assert_document(topic_attributes(sns, arn), {"Attributes": standard},
                    LS + " TestSNSTopicCrud::test_create_topic_test_arn -> get-topic-attrs (29-09-2025)")
    call(sns, "set_topic_attributes", {"TopicArn": arn, "AttributeName": "DisplayName", "AttributeValue": "Golden"}, {},
         API + " SetTopicAttributes (no response elements)")
    assert_document(topic_attributes(sns, arn), {"Attributes": dict(standard, DisplayName="Golden")},
                    LS + " get-topic-attrs, with the DisplayName set")

    fifo = sns.create_topic(Name="golden-topic.fifo", Attributes={"FifoTopic": "true", "SignatureVersion": "2",
                                                                   "DisplayName": "TestTopic"})["TopicArn"]
    assert_document(topic_attributes(sns, fifo), {"Attributes": dict(
        standard, ContentBasedDeduplication="false", DisplayName="TestTopic", FifoTopic="true",
        Policy=default_policy(fifo, acct), SignatureVersion="2", TopicArn=fifo)},
        LS + " TestSNSTopicCrud::test_create_topic_with_attributes -> get-topic-attrs")

    # Permissions: a labelled statement added after the default one, and removed again.
    call(sns, "add_permission", {"TopicArn": arn, "Label": "one", "AWSAccountId": ["111122223333"], "ActionName": ["Publish"]},
         {}, API + " AddPermission (no response elements)")
    policy = topic_attributes(sns, arn)["Attributes"]["Policy"]
    assert_document(policy, dict(default_policy(arn, acct), Statement=default_policy(arn, acct)["Statement"] + [
        {"Sid": "one", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "SNS:Publish",
         "Resource": arn}]), "moto test_add_remove_permissions (no AWS recording)")
    call(sns, "remove_permission", {"TopicArn": arn, "Label": "one"}, {}, API + " RemovePermission (no response elements)")
    assert_document(topic_attributes(sns, arn)["Attributes"]["Policy"], default_policy(arn, acct),
                    "moto test_add_remove_permissions: the policy is the default again")

    # Tags.
    source = LS + " TestSNSTopicCrud::test_tags"
    call(sns, "tag_resource", {"ResourceArn": arn, "Tags": [{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}]}, {},
         API + " TagResource (no response elements)")
    call(sns, "list_tags_for_resource", {"ResourceArn": arn},
         {"Tags": [{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}]}, source + " -> list-created-tags")
    call(sns, "untag_resource", {"ResourceArn": arn, "TagKeys": ["k1"]}, {}, API + " UntagResource (no response elements)")
    call(sns, "list_tags_for_resource", {"ResourceArn": arn}, {"Tags": [{"Key": "k2", "Value": "v2"}]}, source + " -> list-after-delete-tags")
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "k2", "Value": "v2b"}])
    call(sns, "list_tags_for_resource", {"ResourceArn": arn}, {"Tags": [{"Key": "k2", "Value": "v2b"}]}, source + " -> list-after-update-tags")

    call(sns, "delete_topic", {"TopicArn": fifo}, {}, LS + " TestSNSTopicCrud::test_create_topic_test_arn -> delete-topic")
    call(sns, "delete_topic", {"TopicArn": fifo}, {}, LS + " TestSNSTopicCrud::test_delete_topic_idempotency")
    call(sns, "list_topics", {}, {"Topics": [{"TopicArn": arn}]}, LS + " list-east, after the other topic's deletion")


# 2. Subscriptions: subscribe, list, attributes, unsubscribe; paging.

def test_subscription_documents(w):
    sns, sqs = clients(w)
    acct = account_of(w)
    caller = w.client("sts").get_caller_identity()["Arn"]
    topic = sns.create_topic(Name="golden-subs")["TopicArn"]
    _, qarn = queue(sqs, "golden-subs-q")
    sub = call(sns, "subscribe", {"TopicArn": topic, "Protocol": "sqs", "Endpoint": qarn}, {"SubscriptionArn": sub_arn(topic)},
               LS + " TestSNSSubscriptionCrud::test_not_found_error_on_set_subscription_attributes -> sub")["SubscriptionArn"]
    call(sns, "subscribe", {"TopicArn": topic, "Protocol": "sqs", "Endpoint": qarn}, {"SubscriptionArn": sub},
         LS + " TestSNSSubscriptionCrudV2::test_double_subscription -> double-subscription-second")
    call(sns, "subscribe", {"TopicArn": topic, "Protocol": "email", "Endpoint": "test@example.com"},
         {"SubscriptionArn": "pending confirmation"}, LS + " TestSNSSubscriptionCrudV2::test_creating_subscription -> create-subscription")
    call(sns, "subscribe", {"TopicArn": topic, "Protocol": "sms", "Endpoint": "+15555550100"}, {"SubscriptionArn": sub_arn(topic)},
         LS + " TestSNSSubscriptionCrudV2::test_subscribe_sms -> subscribe-sms-1")

    # AWS does not keep listings in creation order (LS test_list_subscriptions sorts them): compared sorted by Endpoint.
    listed = [{"Endpoint": "+15555550100", "Owner": acct, "Protocol": "sms", "SubscriptionArn": sub_arn(topic), "TopicArn": topic},
              {"Endpoint": qarn, "Owner": acct, "Protocol": "sqs", "SubscriptionArn": sub, "TopicArn": topic},
              {"Endpoint": "test@example.com", "Owner": acct, "Protocol": "email", "SubscriptionArn": "PendingConfirmation",
               "TopicArn": topic}]
    for op, params in [("list_subscriptions_by_topic", {"TopicArn": topic}), ("list_subscriptions", {})]:
        r = sns.__getattribute__(op)(**params)
        r.pop("ResponseMetadata")
        r["Subscriptions"].sort(key=lambda s: s["Endpoint"])
        assert_document(r, {"Subscriptions": listed},
                        LS + " TestSNSSubscriptionCrud::test_not_found_error_on_set_subscription_attributes -> "
                             "subscriptions-for-topic-before-unsub; TestSNSSubscriptionCrudV2::test_getting_subscriptions_by_topic")

    expected = {"ConfirmationWasAuthenticated": "true", "Endpoint": qarn, "Owner": acct, "PendingConfirmation": "false",
                "Protocol": "sqs", "RawMessageDelivery": "false", "SubscriptionArn": sub, "SubscriptionPrincipal": caller,
                "TopicArn": topic}
    call(sns, "get_subscription_attributes", {"SubscriptionArn": sub}, {"Attributes": expected},
         LS + " TestSNSSubscriptionCrud::test_not_found_error_on_set_subscription_attributes -> sub-attrs")
    call(sns, "set_subscription_attributes", {"SubscriptionArn": sub, "AttributeName": "RawMessageDelivery", "AttributeValue": "true"},
         {}, API + " SetSubscriptionAttributes (no response elements)")
    call(sns, "get_subscription_attributes", {"SubscriptionArn": sub}, {"Attributes": dict(expected, RawMessageDelivery="true")},
         LS + " TestSNSSubscriptionSQS::test_attribute_raw_subscribe -> subscription-attributes")
    policy = json.dumps({"attr1": [{"numeric": [">", 0, "<=", 100]}]})
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=policy)
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="false")
    call(sns, "get_subscription_attributes", {"SubscriptionArn": sub},
         {"Attributes": dict(expected, FilterPolicy=policy, FilterPolicyScope="MessageAttributes")},
         LS + " TestSNSSubscriptionSQS::test_subscribe_sqs_queue -> subscription-attributes")

    # A topic whose only subscription goes: an empty list, present.
    other = sns.create_topic(Name="golden-subs-2")["TopicArn"]
    gone = sns.subscribe(TopicArn=other, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
    call(sns, "unsubscribe", {"SubscriptionArn": gone}, {}, LS + " TestSNSSubscriptionCrud::test_unsubscribe_from_non_existing_subscription")
    call(sns, "list_subscriptions_by_topic", {"TopicArn": other}, {"Subscriptions": []},
         LS + " TestSNSSubscriptionCrud::test_not_found_error_on_set_subscription_attributes -> subscriptions-for-topic-after-unsub")

    # Paging: 100 a page, a NextToken on all but the last.
    many = sns.create_topic(Name="golden-subs-many")["TopicArn"]
    for i in range(101):
        sns.subscribe(TopicArn=many, Protocol="email", Endpoint=f"user{i}@example.com")
    item = {"Endpoint": "re:user\\d+@example\\.com", "Owner": acct, "Protocol": "email", "SubscriptionArn": "PendingConfirmation",
            "TopicArn": many}
    first = call(sns, "list_subscriptions_by_topic", {"TopicArn": many}, {"NextToken": "$string", "Subscriptions": [item] * 100},
                 LS + " TestSNSSubscriptionCrudV2::test_subscription_paging -> subscription-paging-first-page")
    call(sns, "list_subscriptions_by_topic", {"TopicArn": many, "NextToken": first["NextToken"]}, {"Subscriptions": [item]},
         LS + " test_subscription_paging -> subscription-paging-second-page; test_list_subscriptions_by_topic_pagination (101 -> 100 + 1)")


class Endpoint:
    """An HTTP subscriber that records what SNS posts to it."""

    def __init__(self):
        self.posts = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                outer.posts.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0)))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def confirmation(self, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for p in self.posts:
                if p.get("Type") == "SubscriptionConfirmation":
                    return p
            time.sleep(0.05)
        raise AssertionError("no SubscriptionConfirmation arrived")

    def close(self):
        self.server.shutdown()


def test_confirm_subscription_document(w):
    sns, _ = clients(w)
    topic = sns.create_topic(Name="golden-http")["TopicArn"]
    ep = Endpoint()
    try:
        call(sns, "subscribe", {"TopicArn": topic, "Protocol": "http", "Endpoint": ep.url}, {"SubscriptionArn": "pending confirmation"},
             LS + " TestSNSSubscriptionHttp::test_http_subscription_response")
        token = ep.confirmation()["Token"]
        with pytest.raises(ClientError) as e:
            sns.confirm_subscription(TopicArn=topic, Token="not-a-token")
        r = e.value.response
        assert (r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"]) == \
            (400, "InvalidParameter", "Invalid parameter: Token"), LS + " TestSNSSubscriptionCrud::test_sns_confirm_subscription_wrong_token"
        confirmed = call(sns, "confirm_subscription", {"TopicArn": topic, "Token": token}, {"SubscriptionArn": sub_arn(topic)},
                         API + " ConfirmSubscription response syntax (SubscriptionArn: the ARN of the created subscription)")
        r = sns.list_subscriptions_by_topic(TopicArn=topic)
        assert [s["SubscriptionArn"] for s in r["Subscriptions"]] == [confirmed["SubscriptionArn"]], API + " ListSubscriptionsByTopic"
        call(sns, "unsubscribe", {"SubscriptionArn": confirmed["SubscriptionArn"]}, {}, API + " Unsubscribe (no response elements)")
    finally:
        ep.close()


# 3. Publishing: Publish, PublishBatch (standard and FIFO), and what a raw SQS subscriber receives.

def test_publish_documents(w):
    sns, sqs = clients(w)
    topic = sns.create_topic(Name="golden-pub")["TopicArn"]
    url, qarn = queue(sqs, "golden-pub-q")
    allow_service(sqs, url, "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    call(sns, "publish", {"TopicArn": topic, "Message": "Test msg",
                          "MessageAttributes": {"attr1": {"DataType": "Number", "StringValue": "99.12"}}},
         {"MessageId": "$uuid"}, LS + " TestSNSPublishCrud::test_publish_message_before_subscribe_topic -> publish-after-subscribing")
    # The raw delivery, as SQS hands it out (raw JSON body).
    raw = Raw(sqs)
    deadline = time.time() + 10
    while time.time() < deadline and not sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], WaitTimeSeconds=1).get("Messages"):
        pass
    assert_document(raw.json(), {"Messages": [{
        "Body": "Test msg", "MD5OfBody": hashlib.md5(b"Test msg").hexdigest(), "MD5OfMessageAttributes": "d302007e9aa062660afc85fd0a482472",
        "MessageAttributes": {"attr1": {"DataType": "Number", "StringValue": "99.12"}}, "MessageId": "$uuid", "ReceiptHandle": "$string"}]},
        LS + " TestSNSSubscriptionSQS::test_publish_sqs_from_sns -> message-raw-true")
    sqs.delete_message(QueueUrl=url, ReceiptHandle=raw.json()["Messages"][0]["ReceiptHandle"])

    call(sns, "publish_batch", {"TopicArn": topic, "PublishBatchRequestEntries": [
        {"Id": "1", "Message": "a"}, {"Id": "2", "Message": "b"}]},
        {"Failed": [], "Successful": [{"Id": "1", "MessageId": "$uuid"}, {"Id": "2", "MessageId": "$uuid"}]},
        LS + " TestSNSSubscriptionSQS::test_publish_batch_messages_from_sns_to_sqs -> publish-batch")

    fifo = sns.create_topic(Name="golden-pub.fifo", Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
    call(sns, "publish", {"TopicArn": fifo, "Message": "m", "MessageGroupId": "g"}, {"MessageId": "$uuid", "SequenceNumber": "re:\\d+"},
         LS + " TestSNSSubscriptionSQSFifo::test_publish_fifo_messages_to_dlq -> publish-response-fifo")
    call(sns, "publish_batch", {"TopicArn": fifo, "PublishBatchRequestEntries": [
        {"Id": str(i), "Message": f"m{i}", "MessageGroupId": "complexMessageGroupId"} for i in (1, 2, 3)]},
        {"Failed": [], "Successful": [{"Id": str(i), "MessageId": "$uuid", "SequenceNumber": "re:\\d+"} for i in (1, 2, 3)]},
        LS + " TestSNSSubscriptionSQSFifo::test_publish_batch_messages_from_fifo_topic_to_fifo_queue -> publish-batch-response-fifo")


# 4. SMS settings and opt-outs (no gateway needed to read or change them).

def test_sms_documents(w):
    sns, _ = clients(w)
    call(sns, "check_if_phone_number_is_opted_out", {"phoneNumber": "+15555550100"}, {"isOptedOut": False},
         API + " CheckIfPhoneNumberIsOptedOut; LS TestSNSSubscriptionCrudV2::test_check_not_opted_out")
    call(sns, "list_phone_numbers_opted_out", {}, {"phoneNumbers": []}, LS + " TestSNSSubscriptionCrudV2::test_list_opted_out -> list-opted-out")
    call(sns, "opt_in_phone_number", {"phoneNumber": "+15555550100"}, {}, API + " OptInPhoneNumber (no response elements)")
    call(sns, "set_sms_attributes", {"attributes": {"DefaultSMSType": "Transactional", "DefaultSenderID": "Golden"}}, {},
         API + " SetSMSAttributes (no response elements)")
    call(sns, "get_sms_attributes", {"attributes": ["DefaultSMSType"]}, {"attributes": {"DefaultSMSType": "Transactional"}},
         API + " GetSMSAttributes: the attributes asked for, as a map")


# 5. Errors recorded from AWS (status, code and message as botocore reads them from the XML error document).

def error(fn, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    r = e.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"]


def test_error_documents(w):
    sns, sqs = clients(w)
    acct = account_of(w)
    topic = sns.create_topic(Name="golden-errors")["TopicArn"]
    _, qarn = queue(sqs, "golden-errors-q")
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)["SubscriptionArn"]
    cases = [
        (sns.subscribe, {"TopicArn": topic, "Protocol": "test-protocol", "Endpoint": "x"},
         "Invalid parameter: Amazon SNS does not support this protocol string: test-protocol",
         "TestSNSSubscriptionCrud::test_subscribe_with_invalid_protocol (06-10-2025)"),
        (sns.subscribe, {"TopicArn": topic, "Protocol": "sqs", "Endpoint": f"https://sqs.us-east-1.amazonaws.com/{acct}/q"},
         "Invalid parameter: SQS endpoint ARN", "TestSNSSubscriptionCrudV2::test_subscribe_sqs_queue_url"),
        (sns.subscribe, {"TopicArn": topic, "Protocol": "sms", "Endpoint": "invalid-number"},
         "Invalid SMS endpoint: invalid-number", "TestSNSSubscriptionCrudV2::test_subscribe_bad_sms"),
        (sns.publish, {"TopicArn": topic, "Subject": "", "Message": json.dumps({"message": "test_publish"})},
         "Invalid parameter: Subject", "TestSNSPublishCrud::test_publish_with_empty_subject"),
        (sns.publish, {"TopicArn": topic, "Message": ""}, "Invalid parameter: Empty message", "TestSNSPublishCrud::test_empty_sns_message"),
        (sns.publish, {"TopicArn": topic, "Message": "x" * (256 * 1024 + 1)}, "Invalid parameter: Message too long",
         "TestSNSPublishCrud::test_publish_too_long_message"),
        (sns.publish, {"TopicArn": topic, "Message": "{", "MessageStructure": "json"},
         "Invalid parameter: Message Structure - JSON message body failed to parse", "TestSNSPublishCrud::test_message_structure_json_exc"),
        (sns.set_subscription_attributes, {"SubscriptionArn": sub, "AttributeName": "RedrivePolicy",
                                           "AttributeValue": json.dumps({"deadLetterTargetArn": "fake-arn"})},
         "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn",
         "TestSNSSubscriptionCrud::test_validate_set_sub_attributes -> fake-arn-redrive-policy"),
    ]
    for fn, kw, message, source in cases:
        assert error(fn, **kw) == (400, "InvalidParameter", message), f"per {LS} {source}"


def test_tag_resource_duplicate_keys(w):
    sns, _ = clients(w)
    topic = sns.create_topic(Name="golden-dup-tags")["TopicArn"]
    assert error(sns.tag_resource, ResourceArn=topic, Tags=[{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"},
                                                            {"Key": "k2", "Value": "v2"}]) == \
        (400, "InvalidParameter", "Invalid parameter: Duplicated keys are not allowed."), LS + " TestSNSTopicCrud::test_tags -> duplicate-key-error"


def test_create_existing_topic_with_more_tags(w):
    sns, _ = clients(w)
    sns.create_topic(Name="test-duplicated-topic-more-tags")
    assert error(sns.create_topic, Name="test-duplicated-topic-more-tags", Tags=[{"Key": "key1", "Value": "value1"}]) == \
        (400, "InvalidParameter", "Invalid parameter: Tags Reason: Topic already exists with different tags"), \
        LS + " TestSNSTopicCrud::test_create_duplicate_topic_with_more_tags -> exception-duplicate"


def test_publish_to_missing_platform_endpoint(w):
    sns, _ = clients(w)
    acct = account_of(w)
    assert error(sns.publish, TargetArn=f"arn:aws:sns:us-east-1:{acct}:endpoint/APNS/abcdef/0f7d5971-aa8b-4bd5-b585-0826e9f93a66",
                 Message="This is a push notification") == \
        (400, "InvalidParameter", "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified"), \
        LS + " TestSNSPublishCrud::test_publish_non_existent_target -> non-existent-endpoint"


JACKSON_REDACTED = "\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: {}]"


def test_redrive_policy_that_is_not_json(w):
    sns, sqs = clients(w)
    topic = sns.create_topic(Name="golden-bad-json")["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue(sqs, "golden-bad-json-q")[1])["SubscriptionArn"]
    assert error(sns.set_subscription_attributes, SubscriptionArn=sub, AttributeName="RedrivePolicy", AttributeValue="{invalidjson}") == \
        (400, "InvalidParameter", "Invalid parameter: RedrivePolicy: failed to parse JSON. Unexpected character ('i' (code 105)): "
                                  "was expecting double-quote to start field name" + JACKSON_REDACTED.format(2)), \
        LS + " TestSNSSubscriptionCrud::test_validate_set_sub_attributes -> invalid-json-redrive-policy (06-10-2025)"


def test_filter_policy_that_is_not_json(w):
    sns, sqs = clients(w)
    topic = sns.create_topic(Name="golden-bad-filter")["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue(sqs, "golden-bad-filter-q")[1])["SubscriptionArn"]
    assert error(sns.set_subscription_attributes, SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue="{invalidjson}") == \
        (400, "InvalidParameter", "Invalid parameter: FilterPolicy: failed to parse JSON. Unexpected character ('i' (code 105)): "
                                  "was expecting double-quote to start field name" + JACKSON_REDACTED.format(2)), \
        LS + " TestSNSSubscriptionCrud::test_validate_set_sub_attributes -> invalid-json-filter-policy (06-10-2025)"


def test_subscribe_filter_policy_that_is_not_json(w):
    sns, sqs = clients(w)
    topic = sns.create_topic(Name="golden-bad-filter-sub")["TopicArn"]
    assert error(sns.subscribe, TopicArn=topic, Protocol="sqs", Endpoint=queue(sqs, "golden-bad-filter-sub-q")[1],
                 Attributes={"FilterPolicy": "invalid"}) == \
        (400, "InvalidParameter", "Invalid parameter: Attributes Reason: FilterPolicy: failed to parse JSON. Unrecognized token "
                                  "'invalid': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
                                  + JACKSON_REDACTED.format(8)), \
        LS + " TestSNSSubscriptionCrudV2::test_subscribe_invalid_filter_policy -> subscribe-invalid-filter-policy (06-10-2025)"
