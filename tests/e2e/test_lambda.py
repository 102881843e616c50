"""Functions (the Lambda API) driven by boto3: Python and `provided` runtimes run as local processes speaking the
Lambda Runtime API; synchronous, asynchronous and dry-run invocations, logs, errors, timeouts, resource policies,
tags, and SNS `lambda` subscriptions."""
import base64
import io
import json
import os
import time
import zipfile

import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import BACKENDS, code
from test_sns import drain, queue

ROLE = "arn:aws:iam::000000000000:role/lambda-role"


def zipped(files, modes=None):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = ((modes or {}).get(name, 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)
    return buf.getvalue()


HANDLER = '''
import json, os, time
def handler(event, context):
    print("got event", json.dumps(event))
    if event.get("raise"):
        raise ValueError("asked to fail")
    if event.get("sleep"):
        time.sleep(event["sleep"])
    return {"echo": event, "greeting": os.environ.get("GREETING", "hello"), "request": context.aws_request_id,
            "function": context.function_name, "remaining": context.get_remaining_time_in_millis() > 0}
'''


def lam(w):
    key, secret = w.credentials() if not w.dev else ("AKIDDEVEXAMPLE", "dev-secret")
    import boto3
    return boto3.client("lambda", endpoint_url=w.endpoint, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}, read_timeout=70))


@pytest.fixture(params=BACKENDS)
def fw(request, make_warden):
    """A strict server with functions enabled, on each backend."""
    return make_warden(request.param, extra_args=["--enable-functions"])


def create(c, name="echo", code_files=None, **kw):
    args = dict(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler",
                Code={"ZipFile": zipped(code_files or {"app.py": HANDLER})}, Timeout=5)
    args.update(kw)
    return c.create_function(**args)


def invoke(c, name, event, **kw):
    r = c.invoke(FunctionName=name, Payload=json.dumps(event).encode(), **kw)
    return r, json.loads(r["Payload"].read() or b"null")


def test_functions_are_refused_unless_enabled(strict):
    with pytest.raises(ClientError) as e:
        create(lam(strict))
    assert code(e) == "AccessDeniedException" and "--enable-functions" in str(e.value)


def test_python_function_lifecycle(fw):
    c = lam(fw)
    cfg = create(c, Environment={"Variables": {"GREETING": "bonjour"}}, Tags={"team": "a"})
    account = fw.client("sts").get_caller_identity()["Account"]
    arn = f"arn:aws:lambda:us-east-1:{account}:function:echo"
    assert cfg["FunctionArn"] == arn and cfg["Runtime"] == "python3.12" and cfg["State"] == "Active"
    assert cfg["Environment"]["Variables"] == {"GREETING": "bonjour"} and cfg["Version"] == "$LATEST"
    assert c.get_function(FunctionName="echo")["Tags"] == {"team": "a"}
    assert c.get_function_configuration(FunctionName=arn)["CodeSha256"] == cfg["CodeSha256"]
    assert [f["FunctionName"] for f in c.list_functions()["Functions"]] == ["echo"]
    # Synchronous: the handler's answer, and the tail of its log with Lambda's START/END/REPORT lines.
    r, out = invoke(c, "echo", {"n": 1}, LogType="Tail")
    assert r["StatusCode"] == 200 and "FunctionError" not in r and r["ExecutedVersion"] == "$LATEST"
    assert out["echo"] == {"n": 1} and out["greeting"] == "bonjour" and out["function"] == "echo" and out["remaining"]
    log = base64.b64decode(r["LogResult"]).decode()
    assert log.startswith("START RequestId: ") and 'got event {"n": 1}' in log and "REPORT RequestId: " in log
    assert "Init Duration" in log  # a cold start
    r2, out2 = invoke(c, "echo", {"n": 2}, LogType="Tail")
    assert out2["echo"] == {"n": 2} and "Init Duration" not in base64.b64decode(r2["LogResult"]).decode()  # warm
    # A raising handler: FunctionError and Lambda's error document.
    r, out = invoke(c, "echo", {"raise": True})
    assert r["FunctionError"] == "Unhandled" and out["errorType"] == "ValueError" and out["errorMessage"] == "asked to fail"
    assert out["stackTrace"]
    # New code is what runs next.
    new = c.update_function_code(FunctionName="echo", ZipFile=zipped({"app.py": "def handler(e, c):\n    return {'version': 2}\n"}))
    assert new["CodeSha256"] != cfg["CodeSha256"] and new["RevisionId"] != cfg["RevisionId"]
    assert invoke(c, "echo", {})[1] == {"version": 2}
    # Configuration: a shorter timeout kills a sleeping handler.
    c.update_function_code(FunctionName="echo", ZipFile=zipped({"app.py": HANDLER}))
    c.update_function_configuration(FunctionName="echo", Timeout=1, Environment={"Variables": {"GREETING": "hola"}})
    started = time.time()
    r, out = invoke(c, "echo", {"sleep": 5})
    assert time.time() - started < 4
    assert r["FunctionError"] == "Unhandled" and "Task timed out after 1.00 seconds" in out["errorMessage"]
    assert invoke(c, "echo", {})[1]["greeting"] == "hola"  # a fresh process after the kill
    with pytest.raises(ClientError) as e:
        c.update_function_configuration(FunctionName="echo", Timeout=3, RevisionId="not-the-revision")
    assert code(e) == "PreconditionFailedException"
    # Dry run and asynchronous invocations.
    assert c.invoke(FunctionName="echo", InvocationType="DryRun")["StatusCode"] == 204
    # Delete.
    c.delete_function(FunctionName="echo")
    with pytest.raises(ClientError) as e:
        c.get_function(FunctionName="echo")
    assert code(e) == "ResourceNotFoundException" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_handler_uses_boto3_against_warden_and_async_invocations(fw):
    c = lam(fw)
    sqs = fw.client("sqs")
    url, _ = queue(sqs, "from-function")
    code_text = '''
import base64, boto3, json
def handler(event, context):
    kms = boto3.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=event["secret"].encode())["CiphertextBlob"]
    boto3.client("sqs").send_message(QueueUrl=event["queue"], MessageBody=event["secret"])
    return {"ciphertext": base64.b64encode(blob).decode()}
'''
    create(c, "kms-user", {"app.py": code_text}, Timeout=30)
    r, out = invoke(c, "kms-user", {"secret": "sync", "queue": url})
    assert "FunctionError" not in r, out
    plain = fw.client("kms").decrypt(CiphertextBlob=base64.b64decode(out["ciphertext"]))["Plaintext"]
    assert plain == b"sync"
    assert drain(sqs, url, 1)[0]["Body"] == "sync"
    # Event: 202 at once, the run happens in the background.
    r = c.invoke(FunctionName="kms-user", InvocationType="Event", Payload=json.dumps({"secret": "async", "queue": url}).encode())
    assert r["StatusCode"] == 202
    assert drain(sqs, url, 1, timeout=30)[0]["Body"] == "async"
    # The calls the handler made are audited as the caller's.
    names = {e["eventName"] for e in fw.audit_records() if e["eventSource"] == "kms.amazonaws.com"}
    assert {"CreateKey", "Encrypt", "Decrypt"} <= names


def test_provided_runtime_speaks_the_runtime_api(fw):
    bootstrap = '''#!/usr/bin/env python3
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        arn = r.headers["Lambda-Runtime-Invoked-Function-Arn"]
        event = json.loads(r.read())
    body = json.dumps({"shouted": event["text"].upper(), "arn": arn, "handler": os.environ["_HANDLER"]}).encode()
    urllib.request.urlopen(urllib.request.Request(api + rid + "/response", data=body, method="POST")).read()
'''
    c = lam(fw)
    c.create_function(FunctionName="custom", Runtime="provided.al2023", Role=ROLE, Handler="any.thing",
                      Code={"ZipFile": zipped({"bootstrap": bootstrap}, modes={"bootstrap": 0o755})})
    r, out = invoke(c, "custom", {"text": "quiet"})
    assert "FunctionError" not in r and out["shouted"] == "QUIET" and out["handler"] == "any.thing"
    assert out["arn"].endswith(":function:custom")


def test_bad_input_gets_lambdas_errors(fw):
    c = lam(fw)
    cases = [
        (dict(Code={"ZipFile": b"not a zip at all"}), "InvalidParameterValueException"),
        (dict(Code={"ZipFile": zipped({"../escape.py": "x"})}), "InvalidParameterValueException"),
        (dict(Handler=None), "InvalidParameterValueException"),
        (dict(Runtime="cobol85"), "InvalidParameterValueException"),
        (dict(Environment={"Variables": {"AWS_REGION": "x"}}), "InvalidParameterValueException"),
        (dict(FunctionName="bad name!"), "ValidationException"),
    ]
    for kw, want in cases:
        args = dict(FunctionName="bad", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                    Code={"ZipFile": zipped({"app.py": HANDLER})})
        args.update(kw)
        args = {k: v for k, v in args.items() if v is not None}
        with pytest.raises(ClientError) as e:
            c.create_function(**args)
        assert code(e) == want, (kw, e.value.response["Error"])
    create(c, "dup")
    with pytest.raises(ClientError) as e:
        create(c, "dup")
    assert code(e) == "ResourceConflictException"
    with pytest.raises(ClientError) as e:
        c.invoke(FunctionName="dup", Payload=b"x" * (6 * 1024 * 1024 + 1))
    assert code(e) == "RequestTooLargeException" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    with pytest.raises(ClientError) as e:
        c.invoke(FunctionName="dup", Payload=b"{not json")
    assert code(e) == "InvalidRequestContentException"
    with pytest.raises(ClientError) as e:
        c.invoke(FunctionName="missing")
    assert code(e) == "ResourceNotFoundException"
    # A handler that names a module the zip does not hold: Lambda's import error, at invoke time.
    create(c, "no-module", Handler="nothere.handler")
    r, out = invoke(c, "no-module", {})
    assert r["FunctionError"] == "Unhandled" and out["errorType"] == "Runtime.ImportModuleError"


def test_permissions_and_tags(fw):
    c = lam(fw)
    arn = create(c, "guarded")["FunctionArn"]
    with pytest.raises(ClientError) as e:
        c.get_policy(FunctionName="guarded")
    assert code(e) == "ResourceNotFoundException"
    topic = "arn:aws:sns:us-east-1:000000000000:t"
    s = json.loads(c.add_permission(FunctionName="guarded", StatementId="sns", Action="lambda:InvokeFunction",
                                    Principal="sns.amazonaws.com", SourceArn=topic)["Statement"])
    assert s["Principal"] == {"Service": "sns.amazonaws.com"} and s["Condition"]["ArnLike"]["AWS:SourceArn"] == topic
    assert s["Resource"] == arn
    with pytest.raises(ClientError) as e:
        c.add_permission(FunctionName="guarded", StatementId="sns", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com")
    assert code(e) == "ResourceConflictException"
    policy = json.loads(c.get_policy(FunctionName="guarded")["Policy"])
    assert [st["Sid"] for st in policy["Statement"]] == ["sns"]
    c.remove_permission(FunctionName="guarded", StatementId="sns")
    with pytest.raises(ClientError) as e:
        c.remove_permission(FunctionName="guarded", StatementId="sns")
    assert code(e) == "ResourceNotFoundException"
    c.tag_resource(Resource=arn, Tags={"a": "1", "b": "2"})
    c.untag_resource(Resource=arn, TagKeys=["a"])
    assert c.list_tags(Resource=arn)["Tags"] == {"b": "2"}


def test_sns_lambda_subscriptions_retries_and_dead_letters(make_warden):
    w = make_warden("sqlite", dev=True, extra_args=["--enable-functions"])
    c, sns, sqs = lam(w), w.client("sns"), w.client("sqs")
    seen_url, _ = queue(sqs, "seen")
    fn_dlq_url, fn_dlq_arn = queue(sqs, "function-dlq")
    sub_dlq_url, sub_dlq_arn = queue(sqs, "subscription-dlq")
    recorder = '''
import boto3, json, os
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["SEEN"], MessageBody=json.dumps(event))
    if "fail" in event["Records"][0]["Sns"]["Message"]:
        raise RuntimeError("cannot handle this one")
    return "ok"
'''
    topic = sns.create_topic(Name="to-functions")["TopicArn"]
    fn = create(c, "subscriber", {"app.py": recorder}, Timeout=30, Environment={"Variables": {"SEEN": seen_url}},
                DeadLetterConfig={"TargetArn": fn_dlq_arn})["FunctionArn"]
    c.add_permission(FunctionName="subscriber", StatementId="from-sns", Action="lambda:InvokeFunction",
                     Principal="sns.amazonaws.com", SourceArn=topic)
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn)
    mid = sns.publish(TopicArn=topic, Message="hello function", Subject="S",
                      MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})["MessageId"]
    event = json.loads(drain(sqs, seen_url, 1, timeout=30)[0]["Body"])
    rec = event["Records"][0]
    assert rec["EventSource"] == "aws:sns" and rec["EventVersion"] == "1.0" and rec["EventSubscriptionArn"].startswith(topic + ":")
    assert rec["Sns"]["MessageId"] == mid and rec["Sns"]["Message"] == "hello function" and rec["Sns"]["Subject"] == "S"
    assert rec["Sns"]["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}
    assert rec["Sns"]["SigningCertUrl"].endswith(".pem") and "UnsubscribeUrl" in rec["Sns"]
    # A failing function: Lambda tries twice more (about 1 and 2 minutes later), then its dead-letter queue gets it.
    sns.publish(TopicArn=topic, Message="please fail")
    assert len(drain(sqs, seen_url, 1, timeout=30)) == 1
    # The first attempt's failure may be recorded after the function reported itself: the clock moves a minute at a
    # time until both retries ran (each retry is due a minute or two after the failure before it, by the moved clock).
    retried, deadline = 0, time.time() + 180
    while retried < 2 and time.time() < deadline:
        requests.post(f"{w.endpoint}/_warden/clock?advance=61")
        retried += len(drain(sqs, seen_url, 2 - retried, timeout=3))
    assert retried == 2
    dead = drain(sqs, fn_dlq_url, 1, timeout=30)
    assert len(dead) == 1 and json.loads(dead[0]["Body"])["Records"][0]["Sns"]["Message"] == "please fail"
    assert dead[0]["MessageAttributes"]["ErrorMessage"]["StringValue"].startswith("RuntimeError")
    # A function whose policy does not let this topic invoke it: a client-side error, straight to the subscription's DLQ.
    other = create(c, "closed", {"app.py": recorder}, Environment={"Variables": {"SEEN": seen_url}})["FunctionArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=other,
                  Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": sub_dlq_arn})})
    sns.publish(TopicArn=topic, Message="not for closed")
    dead = drain(sqs, sub_dlq_url, 1, timeout=30)
    assert len(dead) == 1 and json.loads(dead[0]["Body"])["Message"] == "not for closed"


def test_concurrency_is_bounded_and_code_comes_from_the_bucket_store(make_warden):
    w = make_warden("sqlite", extra_args=["--enable-functions", "--function-concurrency", "1"])
    c, s3 = lam(w), w.client("s3")
    s3.create_bucket(Bucket="code")
    s3.put_object(Bucket="code", Key="fn.zip", Body=zipped({"app.py": HANDLER}))
    c.create_function(FunctionName="from-s3", Runtime="python3.12", Role=ROLE, Handler="app.handler", Timeout=10,
                      Code={"S3Bucket": "code", "S3Key": "fn.zip"})
    with pytest.raises(ClientError) as e:
        c.create_function(FunctionName="no-object", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                          Code={"S3Bucket": "code", "S3Key": "missing.zip"})
    assert code(e) == "InvalidParameterValueException"
    import threading
    results = {}

    def slow():
        results["slow"] = invoke(c, "from-s3", {"sleep": 2})
    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.8)
    with pytest.raises(ClientError) as e:
        invoke(c, "from-s3", {"n": 1})
    assert code(e) == "TooManyRequestsException" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    t.join()
    assert results["slow"][1]["echo"] == {"sleep": 2}
    assert invoke(c, "from-s3", {"n": 2})[1]["echo"] == {"n": 2}
