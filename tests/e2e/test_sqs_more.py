"""The rest of SQS, with boto3 and awscli on both backends: AddPermission/RemovePermission, ListDeadLetterSourceQueues,
and message move tasks (dead-letter queue redrive) — including 10,000 messages redriven back to their source queue at
500 messages a second with the server killed midway, every message arriving exactly once.

Sources, named per case:
- "LS-MOVE": responses recorded from AWS in LocalStack's tests/aws/services/sqs/test_sqs_move_task.snapshot.json
  (recorded 01-2024 over the Query protocol: the codes, texts and HTTP statuses; the JSON bodies are SQS's JSON error
  envelope for them) and the AWS-validated tests beside it (the task handle's format).
- "LE": localemu/localemu tests/aws/services/sqs/test_sqs.snapshot.json (a copy of LocalStack's, recorded from AWS),
  TestSqsProvider::test_sqs_permission_lifecycle (30-04-2024): the policy AddPermission writes, the errors of
  AddPermission and RemovePermission.
- "moto": moto's tests/test_sqs/test_sqs.py test_add_permission_errors (texts and statuses it asserts).
- "API": the Amazon SQS API Reference and Developer Guide.
"""
import base64
import collections
import concurrent.futures
import json
import time

import pytest
from botocore.exceptions import ClientError

from conftest import BACKENDS, code
from golden import golden, no_output
from test_fidelity_sqs import account, sqs  # noqa: F401 (fixture)
from test_malformed import signed

LS_MOVE = "recorded AWS response, LocalStack tests/aws/services/sqs/test_sqs_move_task.snapshot.json"
LE = "recorded AWS response, localemu tests/aws/services/sqs/test_sqs.snapshot.json test_sqs_permission_lifecycle"
MOTO = "moto tests/test_sqs/test_sqs.py::test_add_permission_errors"
API = "Amazon SQS API Reference"


def invalid(message):
    return {"__type": "com.amazonaws.sqs#InvalidParameterValueException", "message": message}


INVALID = {"x-amzn-query-error": "InvalidParameterValue;Sender"}
NOT_FOUND = {"x-amzn-query-error": "ResourceNotFoundException;Sender"}


def arn_of(c, url):
    return c.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def policy_of(c, url):
    text = c.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {}).get("Policy")
    return None if text is None else json.loads(text, object_pairs_hook=collections.OrderedDict)


def counts(c, url):
    a = c.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                            "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])


def wait_for(condition, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def dlq_pipe(c, name, fifo=False, extra=None):
    """(source url, dead-letter queue url, dead-letter queue ARN): `name`'s messages dead-letter on their second receive."""
    suffix = ".fifo" if fifo else ""
    attrs = {"FifoQueue": "true"} if fifo else {}
    dlq = c.create_queue(QueueName=f"{name}-dlq{suffix}", Attributes=attrs)["QueueUrl"]
    dlq_arn = arn_of(c, dlq)
    src = c.create_queue(QueueName=f"{name}{suffix}", Attributes=dict(
        attrs, **(extra or {}), RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})))["QueueUrl"]
    return src, dlq, dlq_arn


def dead_letter_all(c, src, dlq, n, threads=1, fifo=False):
    """Receives the source's messages until all `n` moved to the dead-letter queue (each dead-letters on its second
    receive; a zero visibility timeout makes it receivable again at once)."""
    def pump():
        for _ in range(100000):
            if counts(c, dlq)[0] >= n:
                return
            c.receive_message(QueueUrl=src, MaxNumberOfMessages=10, VisibilityTimeout=0)
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        for f in [pool.submit(pump) for _ in range(threads)]:
            f.result()
    assert counts(c, dlq)[0] == n and counts(c, src) == (0, 0)


def drain(c, url, expected, threads=1, timeout=300):
    """Receives and deletes messages until `expected` arrived; returns their bodies (with repeats, if any)."""
    bodies = []
    deadline = time.time() + timeout

    def worker():
        while len(bodies) < expected and time.time() < deadline:
            got = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
            if got:
                bodies.extend(m["Body"] for m in got)
                c.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                              for i, m in enumerate(got)])
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        for f in [pool.submit(worker) for _ in range(threads)]:
            f.result()
    return bodies


def task_of(c, dlq_arn):
    return c.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]


# 1. AddPermission and RemovePermission.

def test_permissions_round_trip(sqs):
    w, c = sqs
    acct = account(w)
    url = c.create_queue(QueueName="perm")["QueueUrl"]
    arn = arn_of(c, url)
    no_output(c, "add_permission", {"QueueUrl": url, "Label": "crossaccountpermission", "AWSAccountIds": ["668614515564", acct],
                                    "Actions": ["ReceiveMessage"]}, API + " AddPermission")
    statement = {"Sid": "crossaccountpermission", "Effect": "Allow",
                 "Principal": {"AWS": ["arn:aws:iam::668614515564:root", f"arn:aws:iam::{acct}:root"]},
                 "Action": "SQS:ReceiveMessage", "Resource": arn}
    expected = {"Version": "2008-10-17", "Id": f"{arn}/SQSDefaultPolicy", "Statement": [statement]}
    got = policy_of(c, url)
    assert got == expected, LE + " -> get-queue-policy-attribute"
    # Key order as AWS writes it (the recorded document keeps it).
    assert list(got) == ["Version", "Id", "Statement"] and list(got["Statement"][0]) == list(statement)

    no_output(c, "remove_permission", {"QueueUrl": url, "Label": "crossaccountpermission"}, API + " RemovePermission")
    golden(c, "get_queue_attributes", {"QueueUrl": url, "AttributeNames": ["Policy"]}, {},
           LE + " -> get-queue-policy-attribute-after-removal (the last statement gone, no Policy attribute)")

    c.add_permission(QueueUrl=url, Label="crossaccountpermission", AWSAccountIds=[acct], Actions=["ReceiveMessage"])
    golden(c, "add_permission", {"QueueUrl": url, "Label": "crossaccountpermission", "AWSAccountIds": ["668614515564"],
                                 "Actions": ["ReceiveMessage"]},
           invalid("Value crossaccountpermission for parameter Label is invalid. Reason: Already exists."),
           LE + " -> get-queue-policy-attribute-second-account-same-label", status=400, headers=INVALID)
    c.add_permission(QueueUrl=url, Label="crossaccountpermission2", AWSAccountIds=[acct], Actions=["ReceiveMessage"])
    one = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "SQS:ReceiveMessage", "Resource": arn}
    assert policy_of(c, url)["Statement"] == [dict(Sid="crossaccountpermission", **one), dict(Sid="crossaccountpermission2", **one)], \
        LE + " -> get-queue-policy-attribute-second-account-different-label"
    c.remove_permission(QueueUrl=url, Label="crossaccountpermission")
    assert policy_of(c, url)["Statement"] == [dict(Sid="crossaccountpermission2", **one)], LE + " -> delete-first-permission"
    c.remove_permission(QueueUrl=url, Label="crossaccountpermission2")
    assert policy_of(c, url) is None, LE + " -> delete-second-permission"
    golden(c, "remove_permission", {"QueueUrl": url, "Label": "crossaccountpermission2"},
           invalid("Value crossaccountpermission2 for parameter Label is invalid. Reason: can't find label."),
           LE + " -> get-queue-policy-attribute-delete-non-existent-label", status=400, headers=INVALID)

    # Several actions (a list), `*` as SQS:*; a policy the owner wrote keeps its own statements and members.
    own = {"Version": "2012-10-17", "Id": "mine", "Statement": {"Sid": "owner", "Effect": "Allow", "Principal": "*",
                                                                "Action": "sqs:SendMessage", "Resource": arn}}
    c.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(own)})
    c.add_permission(QueueUrl=url, Label="many", AWSAccountIds=[acct], Actions=["SendMessage", "DeleteMessage"])
    c.add_permission(QueueUrl=url, Label="all", AWSAccountIds=[acct], Actions=["*"])
    got = policy_of(c, url)
    assert got["Version"] == "2012-10-17" and got["Id"] == "mine"
    assert [s["Sid"] for s in got["Statement"]] == ["owner", "many", "all"]
    assert got["Statement"][1]["Action"] == ["SQS:SendMessage", "SQS:DeleteMessage"] and got["Statement"][2]["Action"] == "SQS:*"
    c.remove_permission(QueueUrl=url, Label="many")
    assert [s["Sid"] for s in policy_of(c, url)["Statement"]] == ["owner", "all"], "RemovePermission leaves the rest"


def test_permission_errors(sqs):
    w, c = sqs
    acct = account(w)
    url = c.create_queue(QueueName="perm-errors")["QueueUrl"]

    def add(label="p", accounts=(acct,), actions=("SendMessage",)):
        return {"QueueUrl": url, "Label": label, "AWSAccountIds": list(accounts), "Actions": list(actions)}

    golden(c, "add_permission", add(actions=["RemovePermission"]),
           invalid("Value SQS:RemovePermission for parameter ActionName is invalid. Reason: Only the queue owner is allowed to invoke this action."),
           MOTO, status=400, headers=INVALID)
    golden(c, "add_permission", add(actions=["SendMessageBatch"]),
           invalid("Value SQS:SendMessageBatch for parameter ActionName is invalid. Reason: Please refer to the appropriate WSDL for a list of valid actions."),
           "local-aws and Eucalyptus (AWS's text for an action that is not grantable)", status=400, headers=INVALID)
    golden(c, "add_permission", add(actions=[]),
           {"__type": "com.amazonaws.sqs#MissingRequiredParameterException", "message": "The request must contain the parameter Actions."},
           MOTO, status=400, headers={"x-amzn-query-error": "MissingParameter;Sender"})
    golden(c, "add_permission", add(accounts=[]),
           invalid("Value [] for parameter PrincipalId is invalid. Reason: Unable to verify."), MOTO, status=400, headers=INVALID)
    eight = ["ChangeMessageVisibility", "DeleteMessage", "GetQueueAttributes", "GetQueueUrl", "ListDeadLetterSourceQueues",
             "PurgeQueue", "ReceiveMessage", "SendMessage"]
    golden(c, "add_permission", add(actions=eight),
           {"__type": "com.amazonaws.sqs#OverLimit", "message": "8 Actions were found, maximum allowed is 7."},
           MOTO + " (HTTP 403); SQS Developer Guide, policy quotas: 7 actions per statement", status=403,
           headers={"x-amzn-query-error": "OverLimit;Sender"})
    with pytest.raises(ClientError) as e:
        c.add_permission(**add(label="not a label"))
    assert code(e) == "InvalidParameterValue"
    # SQS's quota of 20 statements.
    for i in range(20):
        c.add_permission(**add(label=f"p{i}"))
    with pytest.raises(ClientError) as e:
        c.add_permission(**add(label="p20"))
    assert code(e) == "OverLimit" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError) as e:
        c.add_permission(**dict(add(), QueueUrl=url + "-nope"))
    assert code(e) == "AWS.SimpleQueueService.NonExistentQueue"


def test_permissions_with_awscli_and_query(strict):
    w = strict
    c = w.client("sqs")
    acct = account(w)
    url = c.create_queue(QueueName="perm-cli")["QueueUrl"]
    r = w.aws("sqs", "add-permission", "--queue-url", url, "--label", "cli", "--aws-account-ids", acct,
              "--actions", "SendMessage", "ReceiveMessage")
    assert r.returncode == 0, r.stderr
    assert policy_of(c, url)["Statement"][0]["Action"] == ["SQS:SendMessage", "SQS:ReceiveMessage"]
    r = w.aws("sqs", "remove-permission", "--queue-url", url, "--label", "nope")
    assert r.returncode != 0 and "can't find label." in r.stderr
    # The Query protocol's flattened lists: AWSAccountId.N and ActionName.N.
    body = f"Action=AddPermission&Version=2012-11-05&QueueUrl={url}&Label=query&AWSAccountId.1={acct}&ActionName.1=GetQueueUrl"
    resp = signed(w, body, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, service="sqs")
    assert resp.status_code == 200, resp.text
    assert "<AddPermissionResponse" in resp.text
    assert [s["Sid"] for s in policy_of(c, url)["Statement"]] == ["cli", "query"]
    assert w.aws("sqs", "remove-permission", "--queue-url", url, "--label", "cli").returncode == 0
    assert [s["Sid"] for s in policy_of(c, url)["Statement"]] == ["query"]


# 2. ListDeadLetterSourceQueues.

def test_list_dead_letter_source_queues(sqs):
    w, c = sqs
    dlq = c.create_queue(QueueName="dlq")["QueueUrl"]
    arn = arn_of(c, dlq)
    policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 3})
    urls = [c.create_queue(QueueName=n, Attributes={"RedrivePolicy": policy})["QueueUrl"] for n in ("src-c", "src-a", "src-b")]
    c.create_queue(QueueName="unrelated")
    # A queue whose name extends the dead-letter queue's is not one of its sources.
    other = c.create_queue(QueueName="dlq2")["QueueUrl"]
    c.create_queue(QueueName="src-other", Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": arn_of(c, other),
                                                                                   "maxReceiveCount": 3})})
    ordered = sorted(urls)
    golden(c, "list_dead_letter_source_queues", {"QueueUrl": dlq}, {"queueUrls": ordered},
           API + " ListDeadLetterSourceQueues (the model's lower-case queueUrls)")
    page = golden(c, "list_dead_letter_source_queues", {"QueueUrl": dlq, "MaxResults": 2},
                  {"queueUrls": ordered[:2], "NextToken": "$string"}, API + " ListDeadLetterSourceQueues paging")
    golden(c, "list_dead_letter_source_queues", {"QueueUrl": dlq, "MaxResults": 2, "NextToken": page["NextToken"]},
           {"queueUrls": ordered[2:]}, API + " ListDeadLetterSourceQueues paging (the last page has no NextToken)")
    assert c.list_dead_letter_source_queues(QueueUrl=urls[0]).get("queueUrls", []) == []
    golden(c, "list_dead_letter_source_queues", {"QueueUrl": dlq, "MaxResults": 0},
           invalid("Value 0 for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000."),
           API + " (MaxResults 1 to 1000; ListQueues's recorded text)", status=400, headers=INVALID)
    golden(c, "list_dead_letter_source_queues", {"QueueUrl": dlq, "NextToken": page["NextToken"]},
           invalid("MaxResults is a mandatory parameter when you provide a value for NextToken."),
           API + " (You must set MaxResults to receive a value for NextToken; ListQueues's recorded text)", status=400,
           headers=INVALID)
    with pytest.raises(ClientError) as e:
        c.list_dead_letter_source_queues(QueueUrl=dlq + "-nope")
    assert code(e) == "AWS.SimpleQueueService.NonExistentQueue"
    # The policy removed, the queue is no longer a source.
    c.set_queue_attributes(QueueUrl=urls[1], Attributes={"RedrivePolicy": ""})
    assert c.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == sorted([urls[0], urls[2]])


# 3. Message move tasks.

@pytest.mark.parametrize("backend", BACKENDS)
def test_redrive_10000_messages_back_to_source_across_a_crash(make_warden, backend):
    w = make_warden(backend)
    c = w.client("sqs")
    n = 10000
    src, dlq, dlq_arn = dlq_pipe(c, "bulk")
    bodies = [f"message-{i:05d}" for i in range(n)]

    def send(chunk):
        for i in range(0, len(chunk), 10):
            c.send_message_batch(QueueUrl=src, Entries=[{"Id": str(j), "MessageBody": b} for j, b in enumerate(chunk[i:i + 10])])
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(send, [bodies[k::4] for k in range(4)]))
    dead_letter_all(c, src, dlq, n, threads=4)

    handle = c.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=500)["TaskHandle"]
    assert json.loads(base64.b64decode(handle))["sourceArn"] == dlq_arn
    task = wait_for(lambda: (lambda t: t if t["ApproximateNumberOfMessagesMoved"] >= 1500 else None)(task_of(c, dlq_arn)),
                    120, "the task to move 1,500 messages")
    assert task["Status"] == "RUNNING" and task["ApproximateNumberOfMessagesMoved"] < n, task
    assert task["ApproximateNumberOfMessagesToMove"] == n and task["MaxNumberOfMessagesPerSecond"] == 500
    assert task["TaskHandle"] == handle and "DestinationArn" not in task

    # Killed mid-task (no graceful shutdown), then started on the same data: the task goes on where it stood.
    w.kill9()
    w.start()
    c = w.client("sqs")
    done = wait_for(lambda: (lambda t: t if t["Status"] != "RUNNING" else None)(task_of(c, dlq_arn)), 300, "the task to finish")
    assert done["Status"] == "COMPLETED", done
    assert done["ApproximateNumberOfMessagesMoved"] == n and done["ApproximateNumberOfMessagesToMove"] == n
    assert "TaskHandle" not in done and "FailureReason" not in done
    assert counts(c, dlq) == (0, 0)

    got = drain(c, src, n, threads=4)
    repeats = [b for b, k in collections.Counter(got).items() if k > 1]
    assert not repeats, f"{len(repeats)} messages arrived twice, e.g. {repeats[:3]}"
    assert sorted(got) == bodies


def test_move_task_to_a_destination_then_list(sqs):
    w, c = sqs
    src, dlq, dlq_arn = dlq_pipe(c, "flow")
    dest = c.create_queue(QueueName="flow-destination")["QueueUrl"]
    dest_arn = arn_of(c, dest)
    c.send_message(QueueUrl=src, MessageBody="message-1", MessageAttributes={"a": {"DataType": "String", "StringValue": "x"}})
    c.send_message(QueueUrl=src, MessageBody="message-2")
    dead_letter_all(c, src, dlq, 2)
    in_dlq = {m["Body"]: m["MessageId"] for m in c.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                                                     WaitTimeSeconds=1)["Messages"]}

    started = golden(c, "start_message_move_task", {"SourceArn": dlq_arn, "DestinationArn": dest_arn},
                     {"TaskHandle": "$string"}, LS_MOVE + " test_basic_move_task_workflow -> start-message-move-task-response")
    handle = json.loads(base64.b64decode(started["TaskHandle"]))
    assert list(handle) == ["taskId", "sourceArn"] and handle["sourceArn"] == dlq_arn, "LS-MOVE: AWS's handle, decoded"
    wait_for(lambda: task_of(c, dlq_arn)["Status"] == "COMPLETED", 60, "the task to complete")
    golden(c, "list_message_move_tasks", {"SourceArn": dlq_arn}, {"Results": [{
        "ApproximateNumberOfMessagesMoved": 2, "ApproximateNumberOfMessagesToMove": 2, "DestinationArn": dest_arn,
        "SourceArn": dlq_arn, "StartedTimestamp": "$number", "Status": "COMPLETED"}]},
        LS_MOVE + " test_basic_move_task_workflow -> list-message-move-task-response")
    assert time.time() * 1000 - 120_000 < task_of(c, dlq_arn)["StartedTimestamp"] <= time.time() * 1000 + 1000, "epoch millis"

    # Redriven messages are new messages: new ids, received once, no dead-letter source; body and attributes kept.
    got = c.receive_message(QueueUrl=dest, MaxNumberOfMessages=10, WaitTimeSeconds=1, AttributeNames=["All"],
                            MessageAttributeNames=["All"])["Messages"]
    assert sorted(m["Body"] for m in got) == ["message-1", "message-2"]
    for m in got:
        assert m["MessageId"] != in_dlq[m["Body"]]
        assert m["Attributes"]["ApproximateReceiveCount"] == "1" and "DeadLetterQueueSourceArn" not in m["Attributes"]
    assert [m["MessageAttributes"] for m in got if m["Body"] == "message-1"] == [{"a": {"DataType": "String", "StringValue": "x"}}]
    assert counts(c, dlq) == (0, 0)

    # Most recent first; one by default, up to 10.
    c.send_message(QueueUrl=dlq, MessageBody="direct")
    c.start_message_move_task(SourceArn=dlq_arn, DestinationArn=dest_arn)
    wait_for(lambda: task_of(c, dlq_arn)["Status"] == "COMPLETED", 60, "the second task")
    assert len(c.list_message_move_tasks(SourceArn=dlq_arn)["Results"]) == 1
    results = c.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]
    assert [r["ApproximateNumberOfMessagesToMove"] for r in results] == [1, 2]


def test_move_task_cancel(sqs):
    w, c = sqs
    src, dlq, dlq_arn = dlq_pipe(c, "slow")
    dest = c.create_queue(QueueName="slow-destination")["QueueUrl"]
    dest_arn = arn_of(c, dest)
    c.send_message_batch(QueueUrl=src, Entries=[{"Id": str(i), "MessageBody": f"message-{i}"} for i in range(10)])
    dead_letter_all(c, src, dlq, 10)
    handle = c.start_message_move_task(SourceArn=dlq_arn, DestinationArn=dest_arn, MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    wait_for(lambda: task_of(c, dlq_arn)["ApproximateNumberOfMessagesMoved"] >= 2, 60, "two messages moved")
    golden(c, "list_message_move_tasks", {"SourceArn": dlq_arn}, {"Results": [{
        "ApproximateNumberOfMessagesMoved": "$number", "ApproximateNumberOfMessagesToMove": 10, "DestinationArn": dest_arn,
        "MaxNumberOfMessagesPerSecond": 1, "SourceArn": dlq_arn, "StartedTimestamp": "$number", "Status": "RUNNING",
        "TaskHandle": handle}]}, LS_MOVE + " test_move_task_cancel -> list-while")
    # A second task on the same source while one runs.
    golden(c, "start_message_move_task", {"SourceArn": dlq_arn, "DestinationArn": dest_arn},
           invalid("There is already a task running. Only one active task is allowed for a source queue arn at a given time."),
           LS_MOVE + " test_start_multiple_move_tasks", status=400, headers=INVALID)

    cancelled = golden(c, "cancel_message_move_task", {"TaskHandle": handle}, {"ApproximateNumberOfMessagesMoved": "$number"},
                       LS_MOVE + " test_move_task_cancel -> cancel")
    after = wait_for(lambda: (lambda t: t if t["Status"] == "CANCELLED" else None)(task_of(c, dlq_arn)), 60, "CANCELLED")
    moved = after["ApproximateNumberOfMessagesMoved"]
    assert 2 <= cancelled["ApproximateNumberOfMessagesMoved"] <= moved < 10
    golden(c, "list_message_move_tasks", {"SourceArn": dlq_arn}, {"Results": [{
        "ApproximateNumberOfMessagesMoved": moved, "ApproximateNumberOfMessagesToMove": 10, "DestinationArn": dest_arn,
        "MaxNumberOfMessagesPerSecond": 1, "SourceArn": dlq_arn, "StartedTimestamp": "$number", "Status": "CANCELLED"}]},
        LS_MOVE + " test_move_task_cancel -> list-after")
    # What was not moved stays in the dead-letter queue; what was, arrived once.
    assert counts(c, dlq)[0] == 10 - moved
    assert len(set(drain(c, dest, moved))) == moved
    with pytest.raises(ClientError) as e:
        c.cancel_message_move_task(TaskHandle=handle)
    assert code(e) == "AWS.SimpleQueueService.UnsupportedOperation", "API: only a RUNNING task can be cancelled"
    # Once it ended, a new task may start.
    c.start_message_move_task(SourceArn=dlq_arn, DestinationArn=dest_arn)
    wait_for(lambda: task_of(c, dlq_arn)["Status"] == "COMPLETED", 60, "the next task")
    assert counts(c, dlq) == (0, 0)


def test_move_task_errors(sqs):
    w, c = sqs
    acct = account(w)
    plain = c.create_queue(QueueName="not-a-dlq")["QueueUrl"]
    plain_arn = arn_of(c, plain)
    src, dlq, dlq_arn = dlq_pipe(c, "errs")
    fifo = c.create_queue(QueueName="errs-dest.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]

    golden(c, "start_message_move_task", {"SourceArn": plain_arn, "DestinationArn": dlq_arn},
           invalid("Source queue must be configured as a Dead Letter Queue."), LS_MOVE + " test_source_needs_redrive_policy",
           status=400, headers=INVALID)
    golden(c, "start_message_move_task", {"SourceArn": dlq_arn, "DestinationArn": plain_arn + "doesntexist"},
           {"__type": "com.amazonaws.sqs#ResourceNotFoundException",
            "message": "The resource that you specified for the DestinationArn parameter doesn't exist."},
           LS_MOVE + " test_destination_needs_to_exist (HTTP 404)", status=404, headers=NOT_FOUND)
    golden(c, "start_message_move_task", {"SourceArn": f"arn:aws:sqs:us-east-1:{acct}:nope"},
           {"__type": "com.amazonaws.sqs#ResourceNotFoundException",
            "message": "The resource that you specified for the SourceArn parameter doesn't exist."},
           LS_MOVE + " (the SourceArn form of the recorded DestinationArn error)", status=404, headers=NOT_FOUND)
    for rate in (0, 501):
        with pytest.raises(ClientError) as e:
            c.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=rate)
        assert code(e) == "InvalidParameterValue", "API: the maximum value for messages per second is 500"
    for bad in ("not-an-arn", ""):
        with pytest.raises(ClientError) as e:
            c.start_message_move_task(SourceArn=bad)
        assert code(e) == "InvalidParameterValue"
    with pytest.raises(ClientError) as e:
        c.start_message_move_task(SourceArn=dlq_arn, DestinationArn=arn_of(c, fifo))
    assert code(e) == "InvalidParameterValue", "API: a redrive destination is a queue of the same type"
    with pytest.raises(ClientError) as e:
        c.start_message_move_task(SourceArn=dlq_arn, DestinationArn=dlq_arn)
    assert code(e) == "InvalidParameterValue"

    golden(c, "cancel_message_move_task", {"TaskHandle": "foobared"}, invalid("Value for parameter TaskHandle is invalid."),
           LS_MOVE + " test_cancel_with_invalid_task_handle", status=400, headers=INVALID)

    def handle(task_id, arn):
        return base64.b64encode(json.dumps({"taskId": task_id, "sourceArn": arn}, separators=(",", ":")).encode()).decode()
    golden(c, "cancel_message_move_task",
           {"TaskHandle": handle("10f57157-fc38-4da9-a113-4de7e12d05dd", f"arn:aws:sqs:us-east-1:{acct}:test-queue-doesnt-exist-123456")},
           {"__type": "com.amazonaws.sqs#ResourceNotFoundException",
            "message": "The resource that you specified for the SourceArn parameter doesn't exist."},
           LS_MOVE + " test_cancel_with_invalid_source_arn_in_task_handle (HTTP 404)", status=404, headers=NOT_FOUND)
    golden(c, "cancel_message_move_task", {"TaskHandle": handle("10f57157-fc38-4da9-a113-4de7e12d05aa", plain_arn)},
           {"__type": "com.amazonaws.sqs#ResourceNotFoundException", "message": "Task does not exist."},
           LS_MOVE + " test_cancel_with_invalid_task_id_in_task_handle (HTTP 404)", status=404, headers=NOT_FOUND)

    with pytest.raises(ClientError) as e:
        c.list_message_move_tasks(SourceArn=f"arn:aws:sqs:us-east-1:{acct}:nope")
    assert code(e) == "ResourceNotFoundException" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    for m in (0, 11):
        with pytest.raises(ClientError) as e:
            c.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=m)
        assert code(e) == "InvalidParameterValue", "API: MaxResults up to 10"
    assert c.list_message_move_tasks(SourceArn=dlq_arn).get("Results", []) == []


def test_move_task_failures(sqs):
    w, c = sqs
    # A message sent straight to the dead-letter queue has no source to go back to (Developer Guide, "Troubleshooting
    # dead-letter queue redrive": CouldNotDetermineMessageSource).
    src, dlq, dlq_arn = dlq_pipe(c, "orphan")
    c.send_message(QueueUrl=dlq, MessageBody="sent directly")
    c.start_message_move_task(SourceArn=dlq_arn)
    failed = wait_for(lambda: (lambda t: t if t["Status"] != "RUNNING" else None)(task_of(c, dlq_arn)), 60, "the task to end")
    assert failed["Status"] == "FAILED" and failed["FailureReason"] == "CouldNotDetermineMessageSource", failed
    assert failed["ApproximateNumberOfMessagesMoved"] == 0 and counts(c, dlq)[0] == 1

    # The destination deleted while the task runs (LS-MOVE test_move_task_delete_destination_queue_while_running: FAILED,
    # FailureReason AWS.SimpleQueueService.NonExistentQueue, the rest left in the dead-letter queue).
    src, dlq, dlq_arn = dlq_pipe(c, "gone")
    dest = c.create_queue(QueueName="gone-destination")["QueueUrl"]
    c.send_message_batch(QueueUrl=src, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(10)])
    dead_letter_all(c, src, dlq, 10)
    c.start_message_move_task(SourceArn=dlq_arn, DestinationArn=arn_of(c, dest), MaxNumberOfMessagesPerSecond=1)
    c.delete_queue(QueueUrl=dest)
    failed = wait_for(lambda: (lambda t: t if t["Status"] != "RUNNING" else None)(task_of(c, dlq_arn)), 60, "the task to fail")
    assert failed["Status"] == "FAILED" and failed["FailureReason"] == "AWS.SimpleQueueService.NonExistentQueue", failed
    assert counts(c, dlq)[0] == 10 - failed["ApproximateNumberOfMessagesMoved"] > 0


def test_fifo_redrive_back_to_source_in_order(sqs):
    w, c = sqs
    src, dlq, dlq_arn = dlq_pipe(c, "ordered", fifo=True, extra={"ContentBasedDeduplication": "true"})
    for g in ("a", "b"):
        for i in range(5):
            c.send_message(QueueUrl=src, MessageBody=f"{g}{i}", MessageGroupId=g)
    dead_letter_all(c, src, dlq, 10)
    c.start_message_move_task(SourceArn=dlq_arn)
    wait_for(lambda: task_of(c, dlq_arn)["Status"] == "COMPLETED", 60, "the FIFO task")
    assert task_of(c, dlq_arn)["ApproximateNumberOfMessagesMoved"] == 10
    # The same bodies again, all of them (deduplication does not swallow a redriven copy), each group in order.
    got = []
    for _ in range(50):
        batch = c.receive_message(QueueUrl=src, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=1).get("Messages", [])
        for m in batch:
            got.append((m["Attributes"]["MessageGroupId"], m["Body"], int(m["Attributes"]["SequenceNumber"])))
            c.delete_message(QueueUrl=src, ReceiptHandle=m["ReceiptHandle"])
        if len(got) == 10:
            break
    for g in ("a", "b"):
        mine = [(body, seq) for group, body, seq in got if group == g]
        assert [b for b, _ in mine] == [f"{g}{i}" for i in range(5)] and [s for _, s in mine] == sorted(s for _, s in mine)


def test_move_tasks_with_awscli(strict):
    w = strict
    c = w.client("sqs")
    src, dlq, dlq_arn = dlq_pipe(c, "cli")
    dest = c.create_queue(QueueName="cli-destination")["QueueUrl"]
    c.send_message(QueueUrl=src, MessageBody="via the cli")
    dead_letter_all(c, src, dlq, 1)
    r = w.aws("sqs", "start-message-move-task", "--source-arn", dlq_arn, "--destination-arn", arn_of(c, dest))
    assert r.returncode == 0, r.stderr
    handle = json.loads(r.stdout)["TaskHandle"]
    wait_for(lambda: task_of(c, dlq_arn)["Status"] == "COMPLETED", 60, "the task")
    r = w.aws("sqs", "list-message-move-tasks", "--source-arn", dlq_arn, "--max-results", "10")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["Results"][0]["Status"] == "COMPLETED"
    r = w.aws("sqs", "cancel-message-move-task", "--task-handle", handle)
    assert r.returncode != 0 and "UnsupportedOperation" in r.stderr
    assert c.receive_message(QueueUrl=dest, WaitTimeSeconds=1)["Messages"][0]["Body"] == "via the cli"
