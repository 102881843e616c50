"""SQS event source mappings driven by boto3: functions fed by standard and FIFO queues through Lambda's pollers (batches,
group order, partial batch responses, redrive to a dead-letter queue, filters), the mapping API with its states and
errors, and golden responses. Sources named in the cases:
  LS-SQS  = localstack/localstack tests/aws/services/lambda_/event_source_mapping/test_lambda_integration_sqs.snapshot.json,
            recorded against AWS (create responses 202 "Creating"/"USER_INITIATED", the duplicate-mapping conflict,
            the batch-window and filter errors, events with and without message attributes)
  LS-API  = the same project's event_source_mapping/test_api.snapshot.json (StartingPosition on SQS, recorded 2025)
  CLI     = AWS CLI output of create-event-source-mapping on SQS queues published from real accounts (2024-12 and
            2025-11: EventSourceMappingArn present, FilterCriteria and ScalingConfig absent when unset)
  DG      = AWS Lambda Developer Guide, "Using Lambda with Amazon SQS" (example events, partial batch responses)"""
import json
import re
import time

import pytest
from botocore.exceptions import ClientError

from conftest import BACKENDS, code
from golden import assert_document, golden
from test_lambda import ROLE, lam, zipped
from test_sns import queue

ACCT = r"\d{12}"
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ESM_ARN = f"re:arn:aws:lambda:us-east-1:{ACCT}:event-source-mapping:{UUID_RE}"


@pytest.fixture(params=BACKENDS)
def fw(request, make_warden):
    return make_warden(request.param, extra_args=["--enable-functions"])


def wait_for(what, check, timeout=60, interval=0.25):
    deadline = time.time() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(interval)


def create_function(c, name, source, timeout=5, env=None):
    return c.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler",
                             Code={"ZipFile": zipped({"app.py": source})}, Timeout=timeout,
                             Environment={"Variables": env or {}})


def fifo_queue(sqs, name, **attributes):
    attrs = {"FifoQueue": "true", **{k: str(v) for k, v in attributes.items()}}
    url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def drain_all(sqs, url, want, timeout=120):
    """Receives (and deletes) until `want` messages came or the time is up; returns them in receive order."""
    got, deadline = [], time.time() + timeout
    while len(got) < want and time.time() < deadline:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                    AttributeNames=["All"]).get("Messages", [])
        if batch:
            sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                            for i, m in enumerate(batch)])
        got += batch
    return got


def queue_empty(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"]) == 0


# A FIFO consumer that follows the Developer Guide's rule for FIFO partial batch responses: stop at the first failure
# and report it with every message after it. What it handles goes to an output FIFO queue in the same group, so the
# output shows the order the function saw; each copy is deduplicated per receive, so a redelivery would show too.
FIFO_CONSUMER = '''
import boto3, json, os
sqs = boto3.client("sqs")
def handler(event, context):
    failures, out, failed = [], [], False
    for r in event["Records"]:
        if failed:
            failures.append({"itemIdentifier": r["messageId"]})
            continue
        body = json.loads(r["body"])
        count = int(r["attributes"]["ApproximateReceiveCount"])
        if body.get("poison") or count <= body.get("fail", 0):
            failed = True
            failures.append({"itemIdentifier": r["messageId"]})
            continue
        group = r["attributes"]["MessageGroupId"]
        out.append({"Id": str(len(out)), "MessageGroupId": group, "MessageDeduplicationId": r["messageId"] + "-" + str(count),
                    "MessageBody": json.dumps({"g": group, "n": body["n"], "count": count, "batch": context.aws_request_id})})
    if out:
        resp = sqs.send_message_batch(QueueUrl=os.environ["OUT"], Entries=out)
        assert not resp.get("Failed"), resp
    return {"batchItemFailures": failures}
'''


def test_fifo_queue_keeps_group_order_with_partial_failures_and_dead_letters(fw):
    c, sqs = lam(fw), fw.client("sqs")
    out_url, _ = fifo_queue(sqs, "out.fifo")
    dlq_url, dlq_arn = fifo_queue(sqs, "dead.fifo")
    # Timeout and visibility leave a loaded machine room: a batch that timed out would run again (a higher count below).
    in_url, in_arn = fifo_queue(sqs, "in.fifo", VisibilityTimeout=12,
                                RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}))
    create_function(c, "fifo-consumer", FIFO_CONSUMER, timeout=12, env={"OUT": out_url})
    m = c.create_event_source_mapping(EventSourceArn=in_arn, FunctionName="fifo-consumer", BatchSize=10,
                                      FunctionResponseTypes=["ReportBatchItemFailures"])
    assert m["State"] == "Creating" and m["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    groups, per_group = [f"g{i}" for i in range(5)], 200
    # g1's message 50 fails once and g2's 77 twice (they succeed on their 2nd and 3rd receive); g4's last message always
    # fails, so after maxReceiveCount receives SQS moves it to the dead-letter queue.
    special = {("g1", 50): {"fail": 1}, ("g2", 77): {"fail": 2}, ("g4", per_group - 1): {"poison": True}}
    # Sent in chunks of ten per group, so each receive takes one group's chunk and the groups run side by side.
    for start in range(0, per_group, 10):
        for g in groups:
            entries = []
            for n in range(start, start + 10):
                body = {"n": n, **special.get((g, n), {})}
                entries.append({"Id": str(n - start), "MessageBody": json.dumps(body), "MessageGroupId": g,
                                "MessageDeduplicationId": f"{g}-{n}"})
            assert not sqs.send_message_batch(QueueUrl=in_url, Entries=entries).get("Failed")
    handled = drain_all(sqs, out_url, len(groups) * per_group - 1, timeout=240)
    seen = {g: [] for g in groups}
    for msg in handled:
        body = json.loads(msg["Body"])
        seen[body["g"]].append(body)
    for g in groups:
        expected = list(range(per_group - 1 if g == "g4" else per_group))
        assert [b["n"] for b in seen[g]] == expected, f"{g} out of order or repeated"
    # The retried messages came back on later receives; the messages of their batch before them were deleted after the
    # partial failure, so they ran once (a redelivery would show a higher count, and a repeated n above).
    counts = {(g, b["n"]): b["count"] for g in groups for b in seen[g]}
    assert counts[("g1", 50)] == 2 and counts[("g2", 77)] == 3
    for g, first_failure in (("g0", per_group), ("g1", 50), ("g2", 77), ("g3", per_group), ("g4", per_group - 1)):
        assert all(counts[(g, n)] == 1 for n in range(first_failure)), f"{g}: a message handled before a failure ran twice"
    # One group's batches never overlapped: the output shows each invocation's messages together, never interleaved.
    for g in groups:
        done, current = set(), None
        for b in seen[g]:
            if b["batch"] != current:
                assert b["batch"] not in done, f"{g}: batches interleaved"
                if current:
                    done.add(current)
                current = b["batch"]
    dead = drain_all(sqs, dlq_url, 1, timeout=60)
    assert [json.loads(d["Body"]) for d in dead] == [{"n": per_group - 1, "poison": True}]
    assert dead[0]["Attributes"]["MessageGroupId"] == "g4"
    wait_for("the input queue to empty", lambda: queue_empty(sqs, in_url))
    got = c.get_event_source_mapping(UUID=m["UUID"])
    assert got["State"] == "Enabled" and got["LastProcessingResult"] in ("OK", "PROBLEM: Function call failed")


RECORDER = '''
import boto3, json, os
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["SEEN"], MessageBody=json.dumps(event))
'''


def test_standard_queue_filter_and_record_shape(fw):
    c, sqs = lam(fw), fw.client("sqs")
    seen_url, _ = queue(sqs, "seen")
    in_url, in_arn = queue(sqs, "orders")
    create_function(c, "recorder", RECORDER, env={"SEEN": seen_url})
    pattern = json.dumps({"body": {"kind": ["keep"]}})
    m = c.create_event_source_mapping(EventSourceArn=in_arn, FunctionName="recorder",
                                      FilterCriteria={"Filters": [{"Pattern": pattern}]})
    assert m["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
    sqs.send_message(QueueUrl=in_url, MessageBody=json.dumps({"kind": "drop"}))
    sqs.send_message(QueueUrl=in_url, MessageBody="not json at all")
    body = json.dumps({"kind": "keep", "id": 7})
    sent = sqs.send_message(QueueUrl=in_url, MessageBody=body, MessageAttributes={
        "Author": {"DataType": "String", "StringValue": "John Grisham"}, "WeeksOn": {"DataType": "Number", "StringValue": "6"},
        "Cover": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
    events = drain_all(sqs, seen_url, 1, timeout=60)
    assert len(events) == 1
    event = json.loads(events[0]["Body"])
    record = {"messageId": sent["MessageId"], "receiptHandle": "$string", "body": body,
              "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": r"re:\d{13}", "SenderId": "$string",
                             "ApproximateFirstReceiveTimestamp": r"re:\d{13}"},
              "messageAttributes": {
                  "Author": {"stringValue": "John Grisham", "stringListValues": [], "binaryListValues": [], "dataType": "String"},
                  "Cover": {"binaryValue": "AAE=", "stringListValues": [], "binaryListValues": [], "dataType": "Binary"},
                  "WeeksOn": {"stringValue": "6", "stringListValues": [], "binaryListValues": [], "dataType": "Number"}},
              "md5OfMessageAttributes": sent["MD5OfMessageAttributes"], "md5OfBody": sent["MD5OfMessageBody"],
              "eventSource": "aws:sqs", "eventSourceARN": in_arn, "awsRegion": "us-east-1"}
    assert_document(event, {"Records": [record]}, "DG example standard-queue event; LS-SQS "
                                                  "test_message_body_and_attributes_passed_correctly (attribute shape)")
    # The messages no filter matched were deleted without an invocation, as Lambda does: once they are gone, a later
    # matching message is the only event that comes (an invocation for them would have been recorded before it).
    wait_for("the filtered messages to be deleted", lambda: queue_empty(sqs, in_url))
    sqs.send_message(QueueUrl=in_url, MessageBody=json.dumps({"kind": "keep", "id": 8}))
    later = drain_all(sqs, seen_url, 1, timeout=60)
    assert [[r["body"] for r in json.loads(m["Body"])["Records"]] for m in later] == [[json.dumps({"kind": "keep", "id": 8})]]


def test_a_disabled_mapping_leaves_messages_until_enabled(fw):
    c, sqs = lam(fw), fw.client("sqs")
    seen_url, _ = queue(sqs, "seen")
    in_url, in_arn = queue(sqs, "paused")
    create_function(c, "recorder", RECORDER, env={"SEEN": seen_url})
    m = c.create_event_source_mapping(EventSourceArn=in_arn, FunctionName="recorder", Enabled=False)
    sqs.send_message(QueueUrl=in_url, MessageBody="waiting")
    # An enabled mapping created after it handles a message sent after this one: the pollers have looked at the
    # mappings since, and the disabled one's message is still in its queue, visible.
    control_url, control_arn = queue(sqs, "control")
    c.create_event_source_mapping(EventSourceArn=control_arn, FunctionName="recorder")
    sqs.send_message(QueueUrl=control_url, MessageBody="control")
    event = json.loads(drain_all(sqs, seen_url, 1, timeout=60)[0]["Body"])
    assert [r["body"] for r in event["Records"]] == ["control"]
    a = sqs.get_queue_attributes(QueueUrl=in_url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert a["ApproximateNumberOfMessages"] == "1"
    assert c.update_event_source_mapping(UUID=m["UUID"], Enabled=True)["State"] == "Enabling"
    event = json.loads(drain_all(sqs, seen_url, 1, timeout=60)[0]["Body"])
    assert [r["body"] for r in event["Records"]] == ["waiting"]
    wait_for("the handled message to be deleted", lambda: queue_empty(sqs, in_url))


def test_batching_window_collects_a_larger_batch_and_unreported_failures_fail_the_batch(fw):
    c, sqs = lam(fw), fw.client("sqs")
    seen_url, _ = queue(sqs, "seen")
    in_url, in_arn = queue(sqs, "bulk")
    failing = '''
import boto3, json, os
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["SEEN"], MessageBody=json.dumps(event))
    return {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]}
'''
    create_function(c, "windowed", failing, env={"SEEN": seen_url})
    for i in range(3):
        sqs.send_message_batch(QueueUrl=in_url, Entries=[{"Id": str(j), "MessageBody": f"m{i * 10 + j}"} for j in range(10)])
    c.create_event_source_mapping(EventSourceArn=in_arn, FunctionName="windowed", BatchSize=30,
                                  MaximumBatchingWindowInSeconds=2, FunctionResponseTypes=["ReportBatchItemFailures"])
    first = json.loads(drain_all(sqs, seen_url, 1, timeout=60)[0]["Body"])["Records"]
    assert len(first) == 30 and sorted(r["body"] for r in first) == sorted(f"m{i}" for i in range(30))
    # With a batching window and no message attributes AWS writes md5OfMessageAttributes as null (LS-SQS).
    assert all("md5OfMessageAttributes" in r and r["md5OfMessageAttributes"] is None for r in first)
    # An itemIdentifier that is not in the batch fails the whole batch (DG): all 30 come back after the visibility
    # timeout rather than being deleted.
    a = sqs.get_queue_attributes(QueueUrl=in_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    assert int(a["ApproximateNumberOfMessagesNotVisible"]) == 30


OTHER_ACCOUNT = "111122223333"


def other_account(w, account=OTHER_ACCOUNT):
    """An access key (id, secret) of the root user of another account on the same server."""
    made = w.cli("credentials", "create", "--account-id", account)
    assert made.returncode == 0, made.stderr
    fields = dict(line.split(" = ") for line in made.stdout.splitlines() if " = " in line)
    return fields["aws_access_key_id"], fields["aws_secret_access_key"]


def queue_policy(queue_arn, account, actions):
    """A queue policy letting `account` (its root, so any of its roles) call `actions` on the queue, as the Developer
    Guide's cross-account SQS tutorial writes one for the function's execution role."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": [f"sqs:{a}" for a in actions], "Resource": queue_arn}]})


def test_a_queue_of_another_account_or_region_needs_its_policy(fw):
    """DG "Tutorial: Using a cross-account Amazon SQS queue as an event source": the queue's policy must let the
    function's execution role call ReceiveMessage, DeleteMessage and GetQueueAttributes. AWS's refusal is quoted in
    aws/aws-cdk#6770 (ReceiveMessage) and in CloudFormation output (DeleteMessage)."""
    c, sqs = lam(fw), fw.client("sqs")
    key, secret = other_account(fw)
    theirs = fw.client("sqs", key=key, secret=secret)
    seen_url, _ = queue(sqs, "seen")
    fn = create_function(c, "recorder", RECORDER, env={"SEEN": seen_url})["FunctionArn"]
    mine = fn.split(":")[4]
    their_url, their_arn = queue(theirs, "their-queue")
    assert their_arn.split(":")[4] == OTHER_ACCOUNT

    def refused(arn, action, source):
        golden(c, "create_event_source_mapping", {"EventSourceArn": arn, "FunctionName": "recorder"},
               {"Type": "User", "message": f"The provided execution role does not have permissions to call {action} on SQS"},
               source, status=400)
    # No policy: refused; a queue of that account that is not there gets the same answer (nothing is learnt about it).
    refused(their_arn, "ReceiveMessage", "aws/aws-cdk#6770 (InvalidParameterValueException, HTTP 400)")
    refused(f"arn:aws:sqs:us-east-1:{OTHER_ACCOUNT}:not-there", "ReceiveMessage", "the same answer for a queue that is not there")
    theirs.set_queue_attributes(QueueUrl=their_url, Attributes={"Policy": queue_policy(their_arn, mine, ["ReceiveMessage"])})
    refused(their_arn, "DeleteMessage", "CloudFormation output quoting Lambda for DeleteMessage")
    # A queue of another region is refused whatever its policy.
    west = fw.client("sqs", region="us-west-2")
    _, west_arn = queue(west, "western")
    golden(c, "create_event_source_mapping", {"EventSourceArn": west_arn, "FunctionName": "recorder"},
           {"Type": "User", "message": "Event source region must match Lambda region us-east-1."},
           "pmuens/serverless-kinesis-streams#1 (Lambda's text relayed by CloudFormation for another region's source)",
           status=400)

    # With the tutorial's policy the queue is polled like one of the account's own.
    theirs.set_queue_attributes(QueueUrl=their_url, Attributes={
        "Policy": queue_policy(their_arn, mine, ["ReceiveMessage", "DeleteMessage", "GetQueueAttributes"])})
    m = c.create_event_source_mapping(EventSourceArn=their_arn, FunctionName="recorder")
    theirs.send_message(QueueUrl=their_url, MessageBody="from another account")
    event = json.loads(drain_all(sqs, seen_url, 1, timeout=60)[0]["Body"])
    assert [(r["body"], r["eventSourceARN"]) for r in event["Records"]] == [("from another account", their_arn)]
    wait_for("the handled message to be deleted", lambda: queue_empty(theirs, their_url))
    # The owner takes the policy back: the pollers stop receiving and report why.
    theirs.set_queue_attributes(QueueUrl=their_url, Attributes={"Policy": ""})
    problem = "PROBLEM: The provided execution role does not have permissions to call ReceiveMessage on SQS"
    wait_for("the mapping to report the refusal",
             lambda: c.get_event_source_mapping(UUID=m["UUID"]).get("LastProcessingResult") == problem)
    theirs.send_message(QueueUrl=their_url, MessageBody="kept")
    a = theirs.get_queue_attributes(QueueUrl=their_url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert a["ApproximateNumberOfMessages"] == "1"


def mapping_doc(source_arn, function_arn, state, **over):
    """An SQS mapping as AWS answers it (CLI, LS-SQS)."""
    doc = {"UUID": "$uuid", "BatchSize": 10, "MaximumBatchingWindowInSeconds": 0, "EventSourceArn": source_arn,
           "FunctionArn": function_arn, "LastModified": "$timestamp", "State": state,
           "StateTransitionReason": "USER_INITIATED", "FunctionResponseTypes": [], "EventSourceMappingArn": ESM_ARN}
    doc.update(over)
    return {k: v for k, v in doc.items() if v is not None}


def test_mapping_api_states_paging_and_golden_responses(fw):
    c, sqs = lam(fw), fw.client("sqs")
    fn = create_function(c, "target", "def handler(e, c):\n    return None\n")["FunctionArn"]
    _, arn_a = queue(sqs, "source-a")
    _, arn_b = queue(sqs, "source-b")
    _, arn_c = queue(sqs, "source-c")
    created = golden(c, "create_event_source_mapping", {"EventSourceArn": arn_a, "FunctionName": "target"},
                     mapping_doc(arn_a, fn, "Creating"), "CLI create-event-source-mapping (SQS) / LS-SQS "
                     "test_duplicate_event_source_mappings 'create' (HTTP 202)", status=202)
    uuid = created["UUID"]
    assert created["EventSourceMappingArn"].endswith(":event-source-mapping:" + uuid)
    wait_for("Enabled", lambda: c.get_event_source_mapping(UUID=uuid)["State"] == "Enabled")
    golden(c, "get_event_source_mapping", {"UUID": uuid}, mapping_doc(arn_a, fn, "Enabled", UUID=uuid),
           "LS-SQS test_fifo_message_group_parallelism 'get_esm_enabled' (HTTP 200) + CLI EventSourceMappingArn")
    golden(c, "list_event_source_mappings", {"FunctionName": "target"},
           {"EventSourceMappings": [mapping_doc(arn_a, fn, "Enabled", UUID=uuid)]},
           "API reference ListEventSourceMappings (EventSourceMappings, NextMarker only when there are more)")
    # Created disabled: Disabled at once (LS-SQS create_esm_disabled); enabling answers Enabling.
    disabled = c.create_event_source_mapping(EventSourceArn=arn_b, FunctionName=fn, Enabled=False, BatchSize=5,
                                             ScalingConfig={"MaximumConcurrency": 2})
    assert disabled["State"] == "Disabled" and disabled["ScalingConfig"] == {"MaximumConcurrency": 2}
    assert c.update_event_source_mapping(UUID=disabled["UUID"], Enabled=True)["State"] == "Enabling"
    wait_for("Enabled", lambda: c.get_event_source_mapping(UUID=disabled["UUID"])["State"] == "Enabled")
    updated = c.update_event_source_mapping(UUID=uuid, BatchSize=100, MaximumBatchingWindowInSeconds=5)
    assert updated["State"] == "Updating" and updated["BatchSize"] == 100 and updated["MaximumBatchingWindowInSeconds"] == 5
    assert c.update_event_source_mapping(UUID=uuid, Enabled=False)["State"] == "Disabling"
    wait_for("Disabled", lambda: c.get_event_source_mapping(UUID=uuid)["State"] == "Disabled")
    third = c.create_event_source_mapping(EventSourceArn=arn_c, FunctionName=f"{fn}:$LATEST")
    assert third["FunctionArn"] == fn + ":$LATEST"
    # Paging: every mapping once, two per page.
    page = c.list_event_source_mappings(MaxItems=2)
    assert len(page["EventSourceMappings"]) == 2 and page["NextMarker"]
    rest = c.list_event_source_mappings(MaxItems=2, Marker=page["NextMarker"])
    assert len(rest["EventSourceMappings"]) == 1 and "NextMarker" not in rest
    listed = {m["UUID"] for m in page["EventSourceMappings"] + rest["EventSourceMappings"]}
    assert listed == {uuid, disabled["UUID"], third["UUID"]}
    only_b = c.list_event_source_mappings(EventSourceArn=arn_b)["EventSourceMappings"]
    assert [m["UUID"] for m in only_b] == [disabled["UUID"]]
    # Delete answers Deleting (HTTP 202); the mapping goes away shortly after.
    raw = golden(c, "delete_event_source_mapping", {"UUID": uuid}, mapping_doc(arn_a, fn, "Deleting", UUID=uuid, BatchSize=100,
                                                                               MaximumBatchingWindowInSeconds=5),
                 "API reference DeleteEventSourceMapping (HTTP 202, the mapping in state Deleting)", status=202)
    assert raw["UUID"] == uuid

    def gone():
        try:
            c.get_event_source_mapping(UUID=uuid)
            return False
        except ClientError as e:
            return e.response["Error"]["Code"] == "ResourceNotFoundException"
    wait_for("the deleted mapping to go", gone)


def test_mapping_errors(fw):
    c, sqs = lam(fw), fw.client("sqs")
    unchecked = fw.client("lambda", validate=False)
    fn = create_function(c, "target", "def handler(e, c):\n    return None\n")["FunctionArn"]
    create_function(c, "slow", "def handler(e, c):\n    return None\n", timeout=60)
    _, arn = queue(sqs, "errors")
    _, fifo_arn = fifo_queue(sqs, "errors.fifo")
    first = c.create_event_source_mapping(EventSourceArn=arn, FunctionName="target")
    account = arn.split(":")[4]

    def error(params, status, message, source, client=c, op="create_event_source_mapping", type_="User"):
        golden(client, op, params, {"Type": type_, "message": message}, source, status=status)

    error({"EventSourceArn": arn, "FunctionName": "target"}, 409,
          f'An event source mapping with SQS arn (" {arn} ") and function (" target ") already exists. Please update or '
          f'delete the existing mapping with UUID {first["UUID"]}', "LS-SQS test_duplicate_event_source_mappings 'error' (409)")
    error({"EventSourceArn": arn, "FunctionName": "target", "BatchSize": 11}, 400,
          "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
          "LS-SQS test_event_source_mapping_default_batch_size 'invalid-create-event-source-mapping'")
    error({"UUID": first["UUID"], "BatchSize": 50}, 400,
          "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
          "LS-SQS test_event_source_mapping_default_batch_size 'invalid-update-event-source-mapping'",
          op="update_event_source_mapping")
    error({"EventSourceArn": fifo_arn, "FunctionName": "target", "MaximumBatchingWindowInSeconds": 5}, 400,
          "Batching window is not supported for FIFO queues", "DG SQS parameters table; AWS answer quoted in "
          "aws/aws-lambda-dotnet#1758 (CloudFormation's wrapper text removed)")
    error({"EventSourceArn": fifo_arn, "FunctionName": "target", "BatchSize": 11}, 400,
          "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
          "LS-SQS (FIFO queues take at most 10 a batch: larger needs a window, which FIFO refuses)")
    for bad in ('"simple string"', '{"body": "not a list"', "[1, 2]"):
        error({"EventSourceArn": fifo_arn, "FunctionName": "target", "FilterCriteria": {"Filters": [{"Pattern": bad}]}}, 400,
              "Invalid filter pattern definition.", "LS-SQS test_sqs_invalid_event_filter")
    error({"EventSourceArn": arn, "FunctionName": "target", "StartingPosition": "LATEST"}, 400,
          "StartingPosition is not valid for SQS event sources.", "LS-API test_create_starting_position_validation_exceptions[sqs]")
    error({"EventSourceArn": fifo_arn, "FunctionName": "slow"}, 400,
          "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds",
          "AWS answer quoted in public issues (terraform-provider-aws users; CreateEventSourceMapping)")
    golden(c, "create_event_source_mapping", {"EventSourceArn": arn, "FunctionName": "missing"},
           {"Type": "User", "Message": f"Function not found: arn:aws:lambda:us-east-1:{account}:function:missing"},
           "Lambda's ResourceNotFoundException for functions (capital Message, as the model spells it)", status=404)
    with pytest.raises(ClientError) as e:
        c.create_event_source_mapping(EventSourceArn=f"arn:aws:sqs:us-east-1:{account}:nowhere", FunctionName="target")
    assert code(e) == "InvalidParameterValueException" and "NonExistentQueue" in str(e.value)
    golden(c, "get_event_source_mapping", {"UUID": "00000000-0000-0000-0000-000000000000"},
           {"Type": "User", "Message": "The resource you requested does not exist."},
           "Lambda's ResourceNotFoundException text for a resource it does not have", status=404)
    with pytest.raises(ClientError) as e:
        unchecked.create_event_source_mapping(EventSourceArn=arn, FunctionName="slow", ScalingConfig={"MaximumConcurrency": 1})
    assert code(e) == "ValidationException" and "scalingConfig.maximumConcurrency" in str(e.value)
    assert re.search("greater than or equal to 2", str(e.value))
    # A version or alias must exist; the mapping keeps the qualified ARN.
    golden(c, "create_event_source_mapping", {"EventSourceArn": arn, "FunctionName": "target:1"},
           {"Type": "User", "Message": f"Function not found: arn:aws:lambda:us-east-1:{account}:function:target:1"},
           "Lambda's ResourceNotFoundException for a version it does not have", status=404)
    c.publish_version(FunctionName="target")
    versioned = c.create_event_source_mapping(EventSourceArn=arn, FunctionName="target:1")
    assert versioned["FunctionArn"] == fn + ":1"
    # A mapping of the same queue to another function is allowed; moving it onto a taken pair is not.
    other = c.create_event_source_mapping(EventSourceArn=arn, FunctionName=fn + ":$LATEST")
    with pytest.raises(ClientError) as e:
        c.update_event_source_mapping(UUID=other["UUID"], FunctionName="target")
    assert code(e) == "ResourceConflictException"


def test_iam_decides_on_the_mapping_arn_and_lambda_function_arn(fw):
    """Developer Guide, "Fine-tuning the Resources and Conditions sections of policies": mapping actions act on
    event-source-mapping ARNs and can be limited to a function with the lambda:FunctionArn condition key."""
    from test_iam_enforcement import as_user, denied, make_user, policy, allow
    c, sqs = lam(fw), fw.client("sqs")
    mine = create_function(c, "mine", "def handler(e, c):\n    return None\n")["FunctionArn"]
    create_function(c, "theirs", "def handler(e, c):\n    return None\n")
    _, arn = queue(sqs, "iam-source")
    condition = {"ArnLike": {"lambda:FunctionArn": mine}}
    creds = make_user(fw, "esm-user", inline=policy(
        allow(["lambda:CreateEventSourceMapping", "lambda:UpdateEventSourceMapping", "lambda:GetEventSourceMapping"],
              "arn:aws:lambda:us-east-1:*:event-source-mapping:*", Condition=condition),
        allow("lambda:ListEventSourceMappings")))
    user = as_user(fw, creds, "lambda")
    created = user.create_event_source_mapping(EventSourceArn=arn, FunctionName="mine")
    assert user.get_event_source_mapping(UUID=created["UUID"])["FunctionArn"] == mine
    assert [m["UUID"] for m in user.list_event_source_mappings()["EventSourceMappings"]] == [created["UUID"]]
    denied(lambda: user.create_event_source_mapping(EventSourceArn=arn, FunctionName="theirs"))
    denied(lambda: user.update_event_source_mapping(UUID=created["UUID"], FunctionName="theirs"))
    denied(lambda: user.delete_event_source_mapping(UUID=created["UUID"]))
