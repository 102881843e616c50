"""SQS over the AWS Query protocol, as older SDKs speak it: a real old boto3 (its SQS model is Query), and raw
requests shaped as legacy SDKs send them (POST to the queue's URL without QueueUrl)."""
import fcntl
import hashlib
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from test_malformed import signed

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REQUIREMENTS = os.path.join(HERE, "requirements-legacy.txt")
NS = "{http://queue.amazonaws.com/doc/2012-11-05/}"


@pytest.fixture(scope="session")
def legacy_python():
    """A directory holding the old boto3, installed once per requirements file."""
    digest = hashlib.sha256(open(REQUIREMENTS, "rb").read()).hexdigest()[:12]
    target = os.path.join(ROOT, ".build", f"legacy-python-{digest}")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    # Parallel test workers share the install: one installs, the others wait on the lock.
    with open(target + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(target, ".complete")):
            subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-warn-conflicts",
                            "--target", target, "-r", REQUIREMENTS], check=True, timeout=600)
            open(os.path.join(target, ".complete"), "w").close()
    return target


def run_legacy(w, legacy_python, scenario):
    key, secret = w.credentials()
    env = dict(os.environ, PYTHONPATH=legacy_python, WARDEN_ENDPOINT=w.endpoint, WARDEN_KEY=key, WARDEN_SECRET=secret)
    r = subprocess.run([sys.executable, os.path.join(HERE, "legacy", "sqs_query_client.py"), scenario],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout)


def test_old_boto3_standard_queue_over_query(strict, legacy_python):
    out = run_legacy(strict, legacy_python, "standard")
    assert out["protocol"] == "query" and out["botocore"] == "1.29.165"
    account = strict.client("sts").get_caller_identity()["Account"]
    url = f"{strict.endpoint}/{account}/legacy"
    assert out["url"] == url and out["get_url"] == url and out["list"] == [url]
    assert out["attrs"] == {"VisibilityTimeout": "40", "QueueArn": f"arn:aws:sqs:us-east-1:{account}:legacy"}
    assert out["max_size"] == "2048" and out["tags"] == {"env": "test"}
    assert out["sent_md5"] == hashlib.md5("héllo & <xml>".encode()).hexdigest()
    assert out["received"] == {"body": "héllo & <xml>", "id_matches": True, "receive_count": "1",
                               "attrs": {"s": "v", "n": "12", "b": "AAH/"}}
    assert out["receive_count_again"] == "2"
    assert out["batch"] == {"ok": ["m0", "m1", "m2"], "failed": [["bad", "InvalidMessageContents", True]]}
    assert out["batch_bodies"] == ["body 0", "body 1", "body 2"]
    assert out["vis_batch"] == {"ok": ["a"], "failed": [["bad", "ReceiptHandleIsInvalid"]]}
    assert out["deleted"] == 3 and out["empty_receive"] is False
    errors = out["errors"]
    assert errors["missing_queue"] == {"code": "AWS.SimpleQueueService.NonExistentQueue", "status": 400, "type": "Sender"}
    assert errors["bad_attribute"]["code"] == "InvalidAttributeValue"
    assert errors["bad_receipt"]["code"] == "ReceiptHandleIsInvalid"
    assert errors["too_large"]["code"] == "InvalidParameterValue"
    assert out["after_delete"]["code"] == "AWS.SimpleQueueService.NonExistentQueue"
    # The current (JSON) client sees the same queue state a Query client left.
    assert strict.client("sqs").list_queues(QueueNamePrefix="legacy").get("QueueUrls", []) == []


def test_old_boto3_fifo_over_query(strict, legacy_python):
    seen = run_legacy(strict, legacy_python, "fifo")["seen"]
    assert [s[0] for s in seen] == ["g0", "g1", "g2", "g3"]
    assert all(s[1] == "g" for s in seen)
    assert [int(s[2]) for s in seen] == sorted(int(s[2]) for s in seen)


def query(w, params, path="/"):
    body = "&".join(f"{k}={v}" for k, v in params.items())
    return signed(w, body, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, service="sqs", path=path)


def test_legacy_sdk_posts_to_the_queue_url(strict):
    """Older SDKs (Java v1 and others) send queue operations to the queue's own URL and leave QueueUrl out."""
    c = strict.client("sqs")
    url = c.create_queue(QueueName="by-path")["QueueUrl"]
    path = url[len(strict.endpoint):]
    r = query(strict, {"Action": "SendMessage", "Version": "2012-11-05", "MessageBody": "via%20path",
                       "MessageAttribute.1.Name": "k", "MessageAttribute.1.Value.DataType": "String",
                       "MessageAttribute.1.Value.StringValue": "v"}, path=path)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/xml")
    root = ET.fromstring(r.content)
    assert root.tag == f"{NS}SendMessageResponse"
    assert root.find(f"{NS}SendMessageResult/{NS}MD5OfMessageBody").text == hashlib.md5(b"via path").hexdigest()
    assert root.find(f"{NS}ResponseMetadata/{NS}RequestId").text
    r = query(strict, {"Action": "ReceiveMessage", "Version": "2012-11-05", "AttributeName.1": "SentTimestamp",
                       "MessageAttributeName.1": "All"}, path=path)
    assert r.status_code == 200, r.text
    msg = ET.fromstring(r.content).find(f"{NS}ReceiveMessageResult/{NS}Message")
    assert msg.find(f"{NS}Body").text == "via path"
    assert msg.find(f"{NS}Attribute/{NS}Name").text == "SentTimestamp"
    attr = msg.find(f"{NS}MessageAttribute")
    assert attr.find(f"{NS}Name").text == "k" and attr.find(f"{NS}Value/{NS}StringValue").text == "v"
    # A queue path that does not exist, and an unknown action: Query error XML with the legacy codes.
    r = query(strict, {"Action": "SendMessage", "Version": "2012-11-05", "MessageBody": "x"},
              path=path.replace("by-path", "no-such"))
    assert r.status_code == 400
    err = ET.fromstring(r.content)
    assert err.tag == f"{NS}ErrorResponse"
    assert err.find(f"{NS}Error/{NS}Code").text == "AWS.SimpleQueueService.NonExistentQueue"
    assert err.find(f"{NS}Error/{NS}Type").text == "Sender"
    r = query(strict, {"Action": "FlyAway", "Version": "2012-11-05"})
    assert r.status_code == 400 and ET.fromstring(r.content).find(f"{NS}Error/{NS}Code").text == "InvalidAction"
    # The audit record of a Query call is an SQS event like any other.
    records = [e for e in strict.audit_records() if e.get("eventSource") == "sqs.amazonaws.com"
               and e.get("eventName") == "SendMessage"]
    assert any(e.get("errorCode") == "AWS.SimpleQueueService.NonExistentQueue" for e in records)
