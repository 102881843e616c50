"""SNS's SMS sandbox, origination numbers and message data protection, driven by boto3 and awscli on both backends.

Sandbox: the operator puts accounts in the sandbox with the `warden_settings` row `sns.sms_sandbox`; codes reach the
test SMS gateway; verification, listing, deletion after 24 hours (dev mode moves the clock), SNS's documented limits.
Data protection: policies round-trip; a card number is masked in what an SQS subscriber receives; a message carrying
an AWS secret access key is refused with AuthorizationError; audit findings reach the named log group; malformed
policies get SNS's error. Golden responses name their source: "API" is the Amazon SNS API Reference (response
elements), "WSO2" responses recorded from AWS in the ballerina-aws-sns connector's tests.
"""
import json
import re
import sqlite3
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import BACKENDS, allow_service, code
from golden import assert_document
from stored import stored_values

API = "Amazon SNS API Reference"
WSO2 = "recorded AWS response, ballerina-platform/module-ballerinax-aws.sns tests (data protection policy tests)"
ARN_PREFIX = "arn:aws:dataprotection::aws:data-identifier/"
CARD = "4539894458086459"  # The SNS Developer Guide's example (Luhn-valid, not one of the issuers' test numbers).
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def set_setting(w, name, value):
    """An operator's `warden_settings` row, written while the server is stopped (its database then has no writer to
    contend with), and the server started again on the same data."""
    w.stop()
    write_setting(w, name, value)
    w.start()


def write_setting(w, name, value):
    if w.storage == "sqlite":
        db = sqlite3.connect(f"{w.data_dir}/warden.sqlite", timeout=30)
        try:
            db.execute("INSERT INTO warden_settings (name, value) VALUES (?, ?) "
                       "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (name, value))
            db.commit()
        finally:
            db.close()
        return
    quoted = value.replace("'", "''")
    subprocess.run(["psql", w.storage, "-q", "-c", f"INSERT INTO warden_settings (name, value) VALUES ('{name}', '{quoted}') "
                                                   "ON CONFLICT (name) DO UPDATE SET value = excluded.value"],
                   check=True, capture_output=True)


class Gateway:
    """The SMS gateway Warden posts texts to (Warden's gateway protocol: one JSON object per text)."""

    def __init__(self):
        self.texts = []
        texts = self.texts

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                texts.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0)))))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"

    def wait(self, phone, count=1, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = [t for t in self.texts if t["phoneNumber"] == phone]
            if len(got) >= count:
                return got
            time.sleep(0.1)
        return [t for t in self.texts if t["phoneNumber"] == phone]

    def code(self, phone, count=1):
        texts = self.wait(phone, count)
        assert len(texts) >= count, f"no verification code reached {phone}: {self.texts}"
        return re.search(r"\b(\d{6})\b", texts[count - 1]["message"]).group(1)


@pytest.fixture
def gateway():
    g = Gateway()
    yield g
    g.server.shutdown()


def wait_until(condition, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def advance(w, seconds):
    requests.post(f"{w.endpoint}/_warden/clock?advance={seconds}").raise_for_status()


def error(excinfo):
    e = excinfo.value.response
    return e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]["Code"], e["Error"].get("Message")


def parsed(response):
    response.pop("ResponseMetadata")
    return response


@pytest.mark.parametrize("backend", BACKENDS)
def test_sandbox_verification_through_the_gateway(make_warden, gateway, backend):
    w = make_warden(backend, dev=True, extra_args=["--sms-gateway-url", gateway.url])
    sns = w.client("sns", validate=False)
    # Out of the sandbox until the operator puts the account in (API: GetSMSSandboxAccountStatus's one element).
    assert_document(parsed(sns.get_sms_sandbox_account_status()), {"IsInSandbox": False}, API)
    assert_document(parsed(sns.list_sms_sandbox_phone_numbers()), {"PhoneNumbers": []}, API)
    set_setting(w, "sns.sms_sandbox", "true")
    sns = w.client("sns", validate=False)
    assert sns.get_sms_sandbox_account_status()["IsInSandbox"] is True

    phone, other = "+15550001111", "+15550002222"
    with pytest.raises(ClientError) as e:
        sns.publish(PhoneNumber=phone, Message="hello")
    assert error(e)[:2] == (403, "AuthorizationError")

    assert_document(parsed(sns.create_sms_sandbox_phone_number(PhoneNumber=phone, LanguageCode="en-GB")), {}, API)
    text = gateway.wait(phone)[0]
    assert text["smsType"] == "Transactional" and text["languageCode"] == "en-GB"
    otp = gateway.code(phone)
    # The code is kept sealed and hashed: its digits appear nowhere at rest.
    assert all(otp.encode() not in v for v in stored_values(w, "sns_sms_sandbox", "code"))
    assert_document(parsed(sns.list_sms_sandbox_phone_numbers()),
                    {"PhoneNumbers": [{"PhoneNumber": phone, "Status": "Pending"}]}, API)

    wrong = "000000" if otp != "000000" else "111111"
    with pytest.raises(ClientError) as e:
        sns.verify_sms_sandbox_phone_number(PhoneNumber=phone, OneTimePassword=wrong)
    assert error(e) == (400, "VerificationException", "The one-time password (OTP) used for verification is invalid.")
    assert_document(parsed(sns.verify_sms_sandbox_phone_number(PhoneNumber=phone, OneTimePassword=otp)), {}, API)
    assert sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"] == [{"PhoneNumber": phone, "Status": "Verified"}]

    # Verified: publishing to it works; an `sms` subscription still sends nothing to a number that is not verified.
    sns.publish(PhoneNumber=phone, Message="direct text")
    topic = sns.create_topic(Name="texts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint=phone)
    unverified_sub = sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint=other)["SubscriptionArn"]
    sns.publish(TopicArn=topic, Message="to the topic")
    assert [t["message"] for t in gateway.wait(phone, 3)][1:] == ["direct text", "to the topic"]
    # The unverified number's copy is done with (refused, not retried) once the outbox holds nothing for it: only then
    # does "nothing reached the gateway" mean anything.
    assert wait_until(lambda: unverified_sub.encode() not in stored_values(w, "sns_deliveries", "subscription_arn")), \
        "the copy for the unverified number is still pending"
    assert gateway.wait(other, timeout=0) == []

    # Five codes a day to one number; the sixth is throttled. A code expires (after 24 hours in Warden).
    for n in range(5):
        sns.create_sms_sandbox_phone_number(PhoneNumber=other)
    with pytest.raises(ClientError) as e:
        sns.create_sms_sandbox_phone_number(PhoneNumber=other)
    assert error(e)[:2] == (429, "Throttled")
    stale = gateway.code(other, 5)

    # Deletion waits 24 hours after the verification or the last attempt (SNS Developer Guide, "SMS sandbox").
    with pytest.raises(ClientError) as e:
        sns.delete_sms_sandbox_phone_number(PhoneNumber=phone)
    assert error(e)[:2] == (400, "UserError")
    advance(w, 86_401)
    with pytest.raises(ClientError) as e:
        sns.verify_sms_sandbox_phone_number(PhoneNumber=other, OneTimePassword=stale)
    assert error(e)[:2] == (400, "VerificationException")
    assert_document(parsed(sns.delete_sms_sandbox_phone_number(PhoneNumber=phone)), {}, API)
    assert sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"] == [{"PhoneNumber": other, "Status": "Pending"}]
    for call in (lambda: sns.delete_sms_sandbox_phone_number(PhoneNumber=phone),
                 lambda: sns.verify_sms_sandbox_phone_number(PhoneNumber=phone, OneTimePassword="123456")):
        with pytest.raises(ClientError) as e:
            call()
        assert error(e)[:2] == (404, "ResourceNotFound")

    # Up to 10 destination numbers; paging through them.
    for i in range(9):
        sns.create_sms_sandbox_phone_number(PhoneNumber=f"+1555000300{i}")
    with pytest.raises(ClientError) as e:
        sns.create_sms_sandbox_phone_number(PhoneNumber="+15550009999")
    assert error(e)[:2] == (400, "UserError")
    first = sns.list_sms_sandbox_phone_numbers(MaxResults=4)
    seen, token = [p["PhoneNumber"] for p in first["PhoneNumbers"]], first["NextToken"]
    while token:
        page = sns.list_sms_sandbox_phone_numbers(MaxResults=4, NextToken=token)
        seen += [p["PhoneNumber"] for p in page["PhoneNumbers"]]
        token = page.get("NextToken")
    assert seen == sorted([other] + [f"+1555000300{i}" for i in range(9)])

    # Bad input: the API's constraints, E.164, the LanguageCode enum, the OTP's pattern.
    for params in ({"PhoneNumber": "+0123456789"}, {"PhoneNumber": "12345"}, {"PhoneNumber": "+1555abc"},
                   {"PhoneNumber": "+15550004444", "LanguageCode": "xx-XX"}):
        with pytest.raises(ClientError) as e:
            sns.create_sms_sandbox_phone_number(**params)
        assert error(e)[:2] == (400, "InvalidParameter"), params
    with pytest.raises(ClientError) as e:
        sns.verify_sms_sandbox_phone_number(PhoneNumber=other, OneTimePassword="12ab")
    assert error(e)[:2] == (400, "InvalidParameter")

    # The operator can name accounts one by one.
    set_setting(w, "sns.sms_sandbox", "111111111111, 222222222222")
    assert w.client("sns").get_sms_sandbox_account_status()["IsInSandbox"] is False


@pytest.mark.parametrize("backend", BACKENDS)
def test_origination_numbers(make_warden, backend):
    w = make_warden(backend)
    sns = w.client("sns")
    # Warden has no carrier numbers: an empty list until the operator describes some.
    assert_document(parsed(sns.list_origination_numbers()), {"PhoneNumbers": []}, API)
    numbers = [{"PhoneNumber": f"+1206555010{i}", "Iso2CountryCode": "US", "RouteType": "Transactional",
                "NumberCapabilities": ["SMS"], "Status": "ACTIVE", "CreatedAt": "2024-05-01T00:00:00Z"} for i in range(3)]
    set_setting(w, "sns.origination_numbers", json.dumps(numbers))
    sns = w.client("sns")
    page = parsed(sns.list_origination_numbers(MaxResults=2))
    assert page["NextToken"]
    assert [p["PhoneNumber"] for p in page["PhoneNumbers"]] == ["+12065550100", "+12065550101"]
    assert page["PhoneNumbers"][0]["NumberCapabilities"] == ["SMS"] and page["PhoneNumbers"][0]["RouteType"] == "Transactional"
    rest = sns.list_origination_numbers(MaxResults=2, NextToken=page["NextToken"])
    assert [p["PhoneNumber"] for p in rest["PhoneNumbers"]] == ["+12065550102"] and "NextToken" not in rest
    cli = w.aws("sns", "list-origination-numbers")
    assert cli.returncode == 0, cli.stderr
    assert len(json.loads(cli.stdout)["PhoneNumbers"]) == 3


def dp_policy(*statements, configuration=None):
    doc = {"Name": "basicPII-protection", "Description": "Protect basic types of sensitive data", "Version": "2021-06-01",
           "Statement": list(statements)}
    if configuration:
        doc["Configuration"] = configuration
    return json.dumps(doc)


def statement(identifiers, operation, direction="Inbound", principal="*", sid="s"):
    return {"Sid": sid, "DataDirection": direction, "Principal": [principal],
            "DataIdentifier": [i if i.startswith("Custom") else ARN_PREFIX + i for i in identifiers], "Operation": operation}


def receive(sqs, url, want=1, timeout=15):
    """Bodies of at least `want` messages (or whatever arrived by the deadline), deleted as they are read."""
    deadline, got = time.time() + timeout, []
    while time.time() < deadline and len(got) < want:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            got.append(m["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


@pytest.mark.parametrize("backend", BACKENDS)
def test_data_protection_policies(make_warden, backend):
    w = make_warden(backend)
    sns, sqs, logs = w.client("sns", validate=False), w.client("sqs"), w.client("logs")
    caller = w.client("sts").get_caller_identity()["Arn"]
    group = "/aws/vendedlogs/sns-data-protection"
    logs.create_log_group(logGroupName=group)
    topic = sns.create_topic(Name="pii")["TopicArn"]
    assert_document(parsed(sns.get_data_protection_policy(ResourceArn=topic)), {}, API)

    policy = dp_policy(
        statement(["CreditCardNumber"], {"Audit": {"SampleRate": "99", "FindingsDestination": {"CloudWatchLogs": {"LogGroup": group}}}},
                  sid="audit"),
        statement(["CreditCardNumber"], {"Deidentify": {"MaskConfig": {"MaskWithCharacter": "#"}}}, sid="mask"),
        statement(["AwsSecretKey"], {"Deny": {}}, principal=caller, sid="deny"))
    sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy=policy)
    # The policy comes back as it was put (WSO2: getDataProtectionPolicyTest compares the text).
    assert_document(parsed(sns.get_data_protection_policy(ResourceArn=topic)), {"DataProtectionPolicy": policy}, WSO2)
    assert "DataProtectionPolicy" not in sns.get_topic_attributes(TopicArn=topic)["Attributes"]

    url = sqs.create_queue(QueueName="pii-reader")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    allow_service(sqs, url, "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})

    ids = [sns.publish(TopicArn=topic, Message=f"My credit card number is {CARD}")["MessageId"] for _ in range(3)]
    assert receive(sqs, url, 3) == ["My credit card number is ################"] * 3

    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=topic, Message=f"aws_secret_access_key = {SECRET}")
    assert error(e) == (403, "AuthorizationError", f"The topic's data protection policy prohibits this message from being published to {topic}")
    batch = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "ok", "Message": "nothing to see"}, {"Id": "secret", "Message": f"secret key {SECRET}"}])
    assert [f["Id"] for f in batch["Successful"]] == ["ok"]
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in batch["Failed"]] == [("secret", "AuthorizationError", True)]
    assert receive(sqs, url) == ["nothing to see"]

    # Audit findings in the log group: SNS's findings document (SNS Developer Guide, "Audit destination log example").
    deadline, findings = time.time() + 20, []
    while time.time() < deadline and not findings:
        events = logs.filter_log_events(logGroupName=group)["events"]
        findings = [json.loads(ev["message"]) for ev in events]
        time.sleep(0.2)
    assert findings, "no audit findings reached the log group"
    doc = findings[0]
    assert doc["messageId"] in ids
    assert_document(doc, {"messageId": "$uuid", "auditTimestamp": "re:\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ", "callerPrincipal": caller,
                          "resourceArn": topic, "dataIdentifiers": [{"name": "CreditCardNumber", "count": 1,
                                                                     "detections": [{"start": 25, "end": 41}]}]},
                    "SNS Developer Guide, Data protection policy operations: Audit destination log example")

    # Outbound: a Deny for the subscriber's principal keeps the message from its subscription only.
    out = sns.create_topic(Name="outbound", DataProtectionPolicy=dp_policy(statement(["EmailAddress"], {"Deny": {}}, direction="Outbound",
                                                                                       principal=caller)))["TopicArn"]
    allow_service(sqs, url, "sns.amazonaws.com", out)
    out_sub = sns.subscribe(TopicArn=out, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
    assert sns.publish(TopicArn=out, Message="mail jane@example.com")["MessageId"]
    sns.publish(TopicArn=out, Message="no address here")
    assert receive(sqs, url) == ["no address here"]
    # Nothing is left in the outbox for the subscription, so the denied message is not merely late.
    assert wait_until(lambda: out_sub.encode() not in stored_values(w, "sns_deliveries", "subscription_arn"))
    assert receive(sqs, url, timeout=1) == []

    # An empty policy deletes it (SNS Developer Guide, "Deleting data protection policies").
    sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy="")
    assert "DataProtectionPolicy" not in sns.get_data_protection_policy(ResourceArn=topic)
    sns.publish(TopicArn=topic, Message=f"aws_secret_access_key = {SECRET}")

    # The awscli reads back what CreateTopic stored.
    cli = w.aws("sns", "get-data-protection-policy", "--resource-arn", out)
    assert cli.returncode == 0, cli.stderr
    assert json.loads(json.loads(cli.stdout)["DataProtectionPolicy"])["Statement"][0]["DataDirection"] == "Outbound"


@pytest.mark.parametrize("backend", BACKENDS)
def test_malformed_data_protection_policies(make_warden, backend):
    w = make_warden(backend)
    sns = w.client("sns", validate=False)
    topic = sns.create_topic(Name="strict")["TopicArn"]
    prefix = "Invalid parameter: DataProtectionPolicy Reason: "
    # WSO2 (putDataProtectionPolicyInvalidTest, createTopicWithInvalidDataProtectionPolicy): DataDirection "Inbxound".
    recorded = dp_policy(statement(["Name", "PhoneNumber-US"], {"Deny": {}}, direction="Inbxound"))
    for call in (lambda: sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy=recorded),
                 lambda: sns.create_topic(Name="strict2", DataProtectionPolicy=recorded)):
        with pytest.raises(ClientError) as e:
            call()
        assert error(e) == (400, "InvalidParameter", prefix + "Statement DataDirection must be either Inbound or Outbound")
    # The valid twin of the recorded policy is accepted.
    sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy=dp_policy(statement(["Name", "PhoneNumber-US"], {"Deny": {}})))
    bad = [
        "{not json",
        json.dumps({"Name": "p", "Version": "2012-10-17", "Statement": [statement(["EmailAddress"], {"Deny": {}})]}),
        dp_policy(),
        dp_policy(statement(["NoSuchThing"], {"Deny": {}})),
        dp_policy(statement(["EmailAddress"], {"Deny": {}, "Audit": {}})),
        dp_policy(statement(["EmailAddress"], {"Deidentify": {"RedactConfig": {}}}, direction="Outbound")),
        dp_policy(statement(["EmailAddress"], {"Audit": {"SampleRate": "100", "FindingsDestination": {"S3": {"Bucket": "b"}}}})),
        dp_policy(statement(["EmailAddress"], {"Audit": {"SampleRate": "5", "FindingsDestination": {"CloudWatchLogs": {"LogGroup": "g"}}}})),
        dp_policy(statement(["CustomId"], {"Deny": {}}), configuration={"CustomDataIdentifier": [{"Name": "CustomId", "Regex": "a" * 201}]}),
        # Stacked unbounded quantifiers that backtrack without end on a long run of word characters (Warden's rule).
        dp_policy(statement(["CustomId"], {"Deny": {}}), configuration={"CustomDataIdentifier": [{"Name": "CustomId",
                                                                                                  "Regex": r"\w*\w*\w*\w*\w*x"}]}),
    ]
    for policy in bad:
        with pytest.raises(ClientError) as e:
            sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy=policy)
        status, err, message = error(e)
        assert (status, err) == (400, "InvalidParameter") and message.startswith(prefix), (policy, message)
    with pytest.raises(ClientError) as e:
        sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy=bad[-1])
    assert error(e)[2] == prefix + "CustomDataIdentifier Regex of CustomId must not repeat unbounded quantifiers that can match the same characters"
    # A custom identifier that passes the checks still runs under a time budget; an ordinary message is matched as usual.
    sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy=dp_policy(
        statement(["CustomId"], {"Deny": {}}), configuration={"CustomDataIdentifier": [{"Name": "CustomId", "Regex": r"EMP-\d+"}]}))
    with pytest.raises(ClientError) as e:
        sns.publish(TopicArn=topic, Message="for EMP-12345")
    assert error(e)[:2] == (403, "AuthorizationError")
    sns.publish(TopicArn=topic, Message="a" * 200_000)
    with pytest.raises(ClientError) as e:
        sns.get_data_protection_policy(ResourceArn=topic + "-missing")
    assert error(e)[:2] == (404, "NotFound")
