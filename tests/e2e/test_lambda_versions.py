"""Lambda versions, aliases and asynchronous invocation settings with destinations, driven by boto3 on both backends.
Texts of AWS's errors are from LocalStack's recordings of AWS (LS-API = localstack/localstack
tests/aws/services/lambda_/test_lambda_api.snapshot.json) unless a test says otherwise.

Golden sources:
  LS-API TestLambdaVersions::test_version_lifecycle (first_publish_response, recorded 20-11-2023)
  LS-API TestLambdaAlias::test_notfound_and_invalid_routingconfigs (create_alias_response, recorded 20-11-2023)
  LS-API TestLambdaEventInvokeConfig::test_lambda_eventinvokeconfig_exceptions (get_post_overwrite, put_destination_*)"""
import json
import re
import time

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import BACKENDS, code
from golden import golden
from test_lambda import HANDLER, ROLE, lam, zipped
from test_sns import drain, queue

ACCT = r"\d{12}"
LAST_MODIFIED = r"re:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000"
SHA = r"re:[A-Za-z0-9+/]{43}="


def version_code(tag):
    return zipped({"app.py": f"def handler(event, context):\n    return {{'code': '{tag}', 'event': event}}\n"})


def message(e):
    return e.value.response["Error"]["Message"]


def status(e):
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def fails(fn, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return e


def run(c, payload=None, **kw):
    r = c.invoke(Payload=json.dumps(payload or {}).encode(), **kw)
    return r, json.loads(r["Payload"].read() or b"null")


@pytest.fixture(params=BACKENDS)
def fw(request, make_warden):
    return make_warden(request.param, extra_args=["--enable-functions"])


def test_versions_publish_invoke_list_and_delete(fw):
    c = lam(fw)
    created = c.create_function(FunctionName="ver", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                Code={"ZipFile": version_code("one")}, Description="first")
    arn = created["FunctionArn"]
    v1 = c.publish_version(FunctionName="ver")
    assert v1["Version"] == "1" and v1["FunctionArn"] == arn + ":1" and v1["Description"] == "first"
    assert v1["CodeSha256"] == created["CodeSha256"]
    # Nothing changed since: the same version again, not a new one.
    again = c.publish_version(FunctionName="ver", Description="ignored")
    assert again["Version"] == "1" and again["RevisionId"] == v1["RevisionId"]
    two = c.update_function_code(FunctionName="ver", ZipFile=version_code("two"))
    # Preconditions: the code's hash and the revision must be $LATEST's.
    e = fails(c.publish_version, FunctionName="ver", CodeSha256="somenonexistentsha256")
    assert code(e) == "InvalidParameterValueException" and status(e) == 400
    assert message(e) == (f"CodeSHA256 (somenonexistentsha256) is different from current CodeSHA256 in $LATEST "
                          f"({two['CodeSha256']}). Please try again with the CodeSHA256 in $LATEST.")
    e = fails(c.publish_version, FunctionName="ver", RevisionId="not-the-revision")
    assert code(e) == "PreconditionFailedException" and status(e) == 412
    assert message(e) == ("The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API "
                          "to retrieve the latest Revision Id")
    latest = c.get_function(FunctionName="ver")["Configuration"]
    v2 = c.publish_version(FunctionName="ver", CodeSha256=two["CodeSha256"], RevisionId=latest["RevisionId"], Description="second")
    assert v2["Version"] == "2" and v2["FunctionArn"] == arn + ":2" and v2["Description"] == "second"
    # Publishing moved $LATEST's revision on.
    assert c.get_function(FunctionName="ver")["Configuration"]["RevisionId"] != latest["RevisionId"]

    # Each version runs the code it was published with, and says so in X-Amz-Executed-Version.
    c.update_function_code(FunctionName="ver", ZipFile=version_code("three"))
    for kw, want_code, want_version in [(dict(Qualifier="1"), "one", "1"), (dict(Qualifier="2"), "two", "2"),
                                        (dict(FunctionName="ver:1"), "one", "1"), (dict(FunctionName=arn + ":2"), "two", "2"),
                                        (dict(Qualifier="$LATEST"), "three", "$LATEST"), (dict(), "three", "$LATEST")]:
        r, out = run(c, {"k": 1}, **{"FunctionName": "ver", **kw})
        assert "FunctionError" not in r and out["code"] == want_code, (kw, out)
        assert r["ExecutedVersion"] == want_version
        assert r["ResponseMetadata"]["HTTPHeaders"]["x-amz-executed-version"] == want_version
    e = fails(c.invoke, FunctionName="ver", Qualifier="9")
    assert code(e) == "ResourceNotFoundException" and message(e) == f"Function not found: {arn}:9"
    e = fails(c.invoke, FunctionName="ver:1", Qualifier="2")
    assert code(e) == "InvalidParameterValueException"
    assert message(e) == "The derived qualifier from the function name does not match the specified qualifier."

    # Reading a version: its own configuration under its ARN.
    got = c.get_function(FunctionName="ver", Qualifier="1")["Configuration"]
    assert got["Version"] == "1" and got["FunctionArn"] == arn + ":1" and got["CodeSha256"] == created["CodeSha256"]
    assert c.get_function_configuration(FunctionName=arn + ":2")["Description"] == "second"
    assert c.get_function_configuration(FunctionName="ver", Qualifier="$LATEST")["FunctionArn"] == arn + ":$LATEST"
    e = fails(c.get_function, FunctionName="ver", Qualifier="7")
    assert code(e) == "ResourceNotFoundException" and message(e) == f"Function not found: {arn}:7"
    e = fails(c.get_function_configuration, FunctionName="ver", Qualifier="nosuchalias")
    assert message(e) == f"Function not found: {arn}:nosuchalias"

    # $LATEST first, then the versions; paged.
    listed = c.list_versions_by_function(FunctionName="ver")["Versions"]
    assert [(v["Version"], v["FunctionArn"]) for v in listed] == [("$LATEST", arn + ":$LATEST"), ("1", arn + ":1"), ("2", arn + ":2")]
    assert all("State" not in v and "LastUpdateStatus" not in v for v in listed)
    seen, marker = [], None
    while True:
        page = c.list_versions_by_function(FunctionName="ver", MaxItems=1, **({"Marker": marker} if marker else {}))
        seen += [v["Version"] for v in page["Versions"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert seen == ["$LATEST", "1", "2"]

    # Deleting: $LATEST only with the function; a version alone; an absent one is already gone.
    e = fails(c.delete_function, FunctionName="ver", Qualifier="$LATEST")
    assert code(e) == "InvalidParameterValueException" and message(e) == "$LATEST version cannot be deleted without deleting the function."
    c.delete_function(FunctionName="ver", Qualifier="1")
    c.delete_function(FunctionName="ver", Qualifier="99")
    assert [v["Version"] for v in c.list_versions_by_function(FunctionName="ver")["Versions"]] == ["$LATEST", "2"]
    e = fails(c.invoke, FunctionName="ver", Qualifier="1")
    assert code(e) == "ResourceNotFoundException"
    # Numbers are never reused.
    c.update_function_configuration(FunctionName="ver", Description="changed")
    assert c.publish_version(FunctionName="ver")["Version"] == "3"
    # The whole function goes with its versions.
    c.delete_function(FunctionName="ver")
    e = fails(c.list_versions_by_function, FunctionName="ver")
    assert code(e) == "ResourceNotFoundException" and message(e) == f"Function not found: {arn}"


def test_aliases_and_weighted_routing(fw):
    c = lam(fw)
    arn = c.create_function(FunctionName="al", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": version_code("one")}, Publish=True)["FunctionArn"]
    assert c.list_versions_by_function(FunctionName="al")["Versions"][-1]["Version"] == "1"
    c.update_function_code(FunctionName="al", ZipFile=version_code("two"), Publish=True)
    live = c.create_alias(FunctionName="al", Name="live", FunctionVersion="1", Description="production")
    assert live["AliasArn"] == arn + ":live" and live["FunctionVersion"] == "1" and "RoutingConfig" not in live
    r, out = run(c, FunctionName="al", Qualifier="live")
    assert out["code"] == "one" and r["ExecutedVersion"] == "1"
    r, out = run(c, FunctionName=arn + ":live")
    assert out["code"] == "one" and r["ExecutedVersion"] == "1"
    cfg = c.get_function(FunctionName="al", Qualifier="live")["Configuration"]
    assert cfg["FunctionArn"] == arn + ":live" and cfg["Version"] == "1"
    assert c.get_alias(FunctionName="al", Name="live")["RevisionId"] == live["RevisionId"]

    # AWS's refusals.
    e = fails(c.create_alias, FunctionName="al", Name="live", FunctionVersion="2")
    assert code(e) == "ResourceConflictException" and status(e) == 409 and message(e) == f"Alias already exists: {arn}:live"
    e = fails(c.create_alias, FunctionName="al", Name="1", FunctionVersion="1")
    assert code(e) == "ValidationException" and message(e) == (
        "1 validation error detected: Value '1' at 'name' failed to satisfy constraint: Member must satisfy regular expression "
        "pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)")
    e = fails(c.create_alias, FunctionName="al", Name="later", FunctionVersion="10")
    assert code(e) == "ResourceNotFoundException" and message(e) == f"Function not found: {arn}:10"
    e = fails(c.create_alias, FunctionName="al-unknown", Name="x", FunctionVersion="1")
    assert message(e) == f"Function not found: {arn}-unknown:1"
    routing_cases = [
        ({"2": 0.5, "3": 0.5}, "1", "InvalidParameterValueException", "Number of items in AdditionalVersionWeights cannot be greater than 1"),
        ({"2": 2.0}, "1", "ValidationException",
         "1 validation error detected: Value '{2=2.0}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: "
         "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater "
         "than or equal to 0.0, Member must not be null]"),
        ({"1": 0.5}, "1", "InvalidParameterValueException",
         "Invalid function version 1. Function version 1 is already included in routing configuration."),
        ({"1": 0.5}, "$LATEST", "InvalidParameterValueException", "$LATEST is not supported for an alias pointing to more than 1 version"),
        ({"10": 0.5}, "1", "ResourceNotFoundException", f"Function not found: {arn}:10"),
        ({"$LATEST": 0.5}, "1", "ValidationException",
         "1 validation error detected: Value '{$LATEST=0.5}' at 'routingConfig.additionalVersionWeights' failed to satisfy "
         "constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have "
         "length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+, Member must not be null]"),
    ]
    for weights, target, want_code, want_message in routing_cases:
        e = fails(c.create_alias, FunctionName="al", Name="routed", FunctionVersion=target,
                  RoutingConfig={"AdditionalVersionWeights": weights})
        assert (code(e), message(e)) == (want_code, want_message), weights

    # A weighted alias sends invocations both ways.
    canary = c.update_alias(FunctionName="al", Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
                            RevisionId=live["RevisionId"])
    assert canary["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.5}} and canary["RevisionId"] != live["RevisionId"]
    ran = set()
    for _ in range(60):
        r, out = run(c, FunctionName="al", Qualifier="live")
        assert {"1": "one", "2": "two"}[r["ExecutedVersion"]] == out["code"]
        ran.add(r["ExecutedVersion"])
        if ran == {"1", "2"}:
            break
    assert ran == {"1", "2"}
    e = fails(c.update_alias, FunctionName="al", Name="live", Description="x", RevisionId=live["RevisionId"])
    assert code(e) == "PreconditionFailedException"
    e = fails(c.update_alias, FunctionName="al", Name="ghost", FunctionVersion="1")
    assert code(e) == "ResourceNotFoundException" and message(e) == f"Alias not found: {arn}:ghost"
    e = fails(c.get_alias, FunctionName="al", Name="ghost")
    assert code(e) == "ResourceNotFoundException" and message(e) == f"Cannot find alias arn: {arn}:ghost"
    # An empty RoutingConfig removes the routing.
    plain = c.update_alias(FunctionName="al", Name="live", RoutingConfig={})
    assert "RoutingConfig" not in plain

    c.create_alias(FunctionName="al", Name="beta", FunctionVersion="2")
    c.create_alias(FunctionName="al", Name="Alpha", FunctionVersion="$LATEST")
    assert [a["Name"] for a in c.list_aliases(FunctionName="al")["Aliases"]] == ["Alpha", "beta", "live"]
    assert [a["Name"] for a in c.list_aliases(FunctionName="al", FunctionVersion="2")["Aliases"]] == ["beta"]
    page = c.list_aliases(FunctionName="al", MaxItems=2)
    assert [a["Name"] for a in page["Aliases"]] == ["Alpha", "beta"]
    assert [a["Name"] for a in c.list_aliases(FunctionName="al", Marker=page["NextMarker"])["Aliases"]] == ["live"]

    # A version an alias points at cannot go; an alias name as the qualifier names that version.
    e = fails(c.delete_function, FunctionName="al", Qualifier="1")
    assert code(e) == "ResourceConflictException" and status(e) == 409
    assert message(e) == "Unable to delete version because the following aliases reference it: [live]"
    e = fails(c.delete_function, FunctionName="al", Qualifier="beta")
    assert message(e) == "Unable to delete version because the following aliases reference it: [beta]"
    c.delete_alias(FunctionName="al", Name="live")
    c.delete_alias(FunctionName="al", Name="live")  # already gone: 204 as well
    c.delete_function(FunctionName="al", Qualifier="1")
    assert [a["Name"] for a in c.list_aliases(FunctionName="al")["Aliases"]] == ["Alpha", "beta"]


def test_async_settings_and_destinations(fw):
    c = lam(fw)
    sqs = fw.client("sqs")
    ok_url, ok_arn = queue(sqs, "on-success")
    bad_url, bad_arn = queue(sqs, "on-failure")
    fn = c.create_function(FunctionName="dest", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                           Code={"ZipFile": zipped({"app.py": HANDLER})}, Timeout=10)
    arn = fn["FunctionArn"]
    c.create_function(FunctionName="other", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                      Code={"ZipFile": zipped({"app.py": HANDLER})})
    account = arn.split(":")[4]

    # Settings: AWS's refusals.
    e = fails(c.put_function_event_invoke_config, FunctionName="dest")
    assert message(e) == "You must specify at least one of error handling or destination setting."
    e = fails(c.put_function_event_invoke_config, FunctionName="dest", MaximumRetryAttempts=3)
    assert code(e) == "ValidationException" and message(e) == (
        "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value "
        "less than or equal to 2")
    e = fails(c.put_function_event_invoke_config, FunctionName="dest", MaximumEventAgeInSeconds=21601)
    assert code(e) == "ValidationException"
    e = fails(c.put_function_event_invoke_config, FunctionName="nope", MaximumRetryAttempts=1)
    assert code(e) == "ResourceNotFoundException" and message(e) == "The function doesn't exist."
    e = fails(c.put_function_event_invoke_config, FunctionName="dest", Qualifier="5", MaximumRetryAttempts=1)
    assert message(e) == "The function doesn't exist."
    e = fails(c.put_function_event_invoke_config, FunctionName="dest", DestinationConfig={"OnSuccess": {"Destination": arn}})
    assert message(e) == "You can't specify the function as a destination for itself."
    missing = f"arn:aws:lambda:us-east-1:{account}:function:doesnotexist"
    e = fails(c.put_function_event_invoke_config, FunctionName="dest", DestinationConfig={"OnFailure": {"Destination": missing}})
    assert message(e) == f"The destination ARN {missing} is invalid."
    iam = f"arn:aws:iam:us-east-1:{account}:function:dest"
    e = fails(c.put_function_event_invoke_config, FunctionName="dest", DestinationConfig={"OnSuccess": {"Destination": iam}})
    assert message(e) == f"The provided destination config DestinationConfig(onSuccess=OnSuccess(destination={iam}), onFailure=null) is invalid."
    e = fails(c.get_function_event_invoke_config, FunctionName="dest")
    assert code(e) == "ResourceNotFoundException" and message(e) == f"The function {arn}:$LATEST doesn't have an EventInvokeConfig"
    e = fails(c.update_function_event_invoke_config, FunctionName="dest", MaximumRetryAttempts=1)
    assert message(e) == f"The function {arn}:$LATEST doesn't have an EventInvokeConfig"

    put = c.put_function_event_invoke_config(FunctionName="dest", MaximumRetryAttempts=0, MaximumEventAgeInSeconds=3600,
                                             DestinationConfig={"OnSuccess": {"Destination": ok_arn}, "OnFailure": {"Destination": bad_arn}})
    assert put["FunctionArn"] == arn + ":$LATEST" and put["MaximumRetryAttempts"] == 0
    assert put["DestinationConfig"] == {"OnSuccess": {"Destination": ok_arn}, "OnFailure": {"Destination": bad_arn}}
    updated = c.update_function_event_invoke_config(FunctionName="dest", MaximumEventAgeInSeconds=600)
    assert updated["MaximumEventAgeInSeconds"] == 600 and updated["MaximumRetryAttempts"] == 0
    assert updated["DestinationConfig"]["OnFailure"] == {"Destination": bad_arn}
    listed = c.list_function_event_invoke_configs(FunctionName="dest")["FunctionEventInvokeConfigs"]
    assert [x["FunctionArn"] for x in listed] == [arn + ":$LATEST"]

    # A success: the record to the OnSuccess queue.
    r = c.invoke(FunctionName="dest", InvocationType="Event", Payload=json.dumps({"n": 1}).encode())
    assert r["StatusCode"] == 202 and "ExecutedVersion" not in r
    request_id = r["ResponseMetadata"]["RequestId"]
    got = drain(sqs, ok_url, 1, timeout=60)
    assert len(got) == 1
    record = json.loads(got[0]["Body"])
    assert set(record) == {"version", "timestamp", "requestContext", "requestPayload", "responseContext", "responsePayload"}
    assert record["version"] == "1.0" and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["timestamp"])
    assert record["requestContext"] == {"requestId": request_id, "functionArn": arn + ":$LATEST", "condition": "Success",
                                        "approximateInvokeCount": 1}
    assert record["requestPayload"] == {"n": 1}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"]["echo"] == {"n": 1}

    # A failure with no retries left: the record to the OnFailure queue.
    c.invoke(FunctionName="dest", InvocationType="Event", Payload=json.dumps({"raise": True}).encode())
    got = drain(sqs, bad_url, 1, timeout=60)
    assert len(got) == 1
    record = json.loads(got[0]["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted" and record["requestContext"]["approximateInvokeCount"] == 1
    assert record["requestContext"]["functionArn"] == arn + ":$LATEST" and record["requestPayload"] == {"raise": True}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorType"] == "ValueError" and record["responsePayload"]["errorMessage"] == "asked to fail"
    # The failure's record came, so the event is done: no success record was sent for it.
    assert sqs.receive_message(QueueUrl=ok_url, WaitTimeSeconds=0).get("Messages", []) == []

    # Another function as the destination: the record is its event (it forwards it to a queue here).
    seen_url, _ = queue(sqs, "seen-by-destination-function")
    forward = f"""
import boto3, json
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl="{seen_url}", MessageBody=json.dumps(event))
"""
    recorder = c.create_function(FunctionName="recorder", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                 Code={"ZipFile": zipped({"app.py": forward})}, Timeout=30)["FunctionArn"]
    c.update_function_event_invoke_config(FunctionName="dest", DestinationConfig={"OnSuccess": {"Destination": recorder}})
    c.invoke(FunctionName="dest", InvocationType="Event", Payload=json.dumps({"n": 2}).encode())
    got = drain(sqs, seen_url, 1, timeout=60)
    assert len(got) == 1
    record = json.loads(got[0]["Body"])
    assert record["requestContext"]["condition"] == "Success" and record["requestPayload"] == {"n": 2}

    # Deleting settings: gone, then not found.
    c.delete_function_event_invoke_config(FunctionName="dest")
    e = fails(c.delete_function_event_invoke_config, FunctionName="dest")
    assert message(e) == f"The function {arn}:$LATEST doesn't have an EventInvokeConfig"
    assert c.list_function_event_invoke_configs(FunctionName="dest")["FunctionEventInvokeConfigs"] == []


def server_log_has(w, *parts):
    """Whether one line of the server's log contains every one of `parts`."""
    with open(w.log.name, "rb") as f:
        return any(all(p in line for p in parts) for line in f.read().decode(errors="replace").splitlines())


def test_destinations_of_another_account_need_their_policy(fw):
    """Lambda delivers invocation records with the function's execution role: a destination of another account takes
    them only when its resource policy allows (IAM User Guide, cross-account policy evaluation); otherwise the record is
    dropped. Whether another account's function exists is not revealed by PutFunctionEventInvokeConfig."""
    from test_lambda_sqs import OTHER_ACCOUNT, other_account, wait_for
    c = lam(fw)
    key, secret = other_account(fw)
    their_sqs, their_lambda = fw.client("sqs", key=key, secret=secret), fw.client("lambda", key=key, secret=secret)
    arn = c.create_function(FunctionName="sender", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": zipped({"app.py": HANDLER})})["FunctionArn"]
    mine = arn.split(":")[4]
    their_fn = their_lambda.create_function(FunctionName="theirs", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                            Code={"ZipFile": zipped({"app.py": HANDLER})})["FunctionArn"]
    assert their_fn.split(":")[4] == OTHER_ACCOUNT
    answers = []
    for dest in (their_fn, f"arn:aws:lambda:us-east-1:{OTHER_ACCOUNT}:function:not-there"):
        put = c.put_function_event_invoke_config(FunctionName="sender", DestinationConfig={"OnFailure": {"Destination": dest}})
        assert put["DestinationConfig"]["OnFailure"] == {"Destination": dest}
        answers.append({k: v for k, v in put.items() if k not in ("ResponseMetadata", "LastModified", "DestinationConfig")})
    assert answers[0] == answers[1]

    their_url, their_arn = queue(their_sqs, "their-results")
    c.put_function_event_invoke_config(FunctionName="sender", DestinationConfig={"OnSuccess": {"Destination": their_arn}})
    # No policy of theirs names this account: the record is dropped, with a notice in the server's log.
    c.invoke(FunctionName="sender", InvocationType="Event", Payload=json.dumps({"n": 1}).encode())
    wait_for("the dropped record's notice", lambda: server_log_has(fw, "does not allow the function's execution role", their_arn))
    # Their policy lets this account send: the next record arrives, and only it.
    their_sqs.set_queue_attributes(QueueUrl=their_url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": mine}, "Action": "sqs:SendMessage", "Resource": their_arn}]})})
    c.invoke(FunctionName="sender", InvocationType="Event", Payload=json.dumps({"n": 2}).encode())
    got = drain(their_sqs, their_url, 1, timeout=60)
    assert [json.loads(m["Body"])["requestPayload"] for m in got] == [{"n": 2}]
    assert json.loads(got[0]["Body"])["requestContext"]["functionArn"] == arn + ":$LATEST"


def test_async_retries_alias_settings_and_eventbridge_destination(make_warden):
    """Dev mode on SQLite, so the clock can be moved past the retry delay (a minute) instead of waiting for it."""
    w = make_warden("sqlite", dev=True, extra_args=["--enable-functions"])
    c = lam(w)
    sqs = w.client("sqs")
    fail_url, fail_arn = queue(sqs, "failures")
    bus_url, bus_queue = queue(sqs, "bus-events")
    arn = c.create_function(FunctionName="flaky", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": zipped({"app.py": HANDLER})}, Publish=True)["FunctionArn"]
    account = arn.split(":")[4]
    bus = f"arn:aws:events:us-east-1:{account}:event-bus/default"
    events = w.client("events")
    events.put_rule(Name="lambda-results", EventPattern=json.dumps({"source": ["lambda"]}))
    events.put_targets(Rule="lambda-results", Targets=[{"Id": "q", "Arn": bus_queue}])
    c.create_alias(FunctionName="flaky", Name="prod", FunctionVersion="1")
    # Settings per qualifier: the alias's apply to invocations through the alias.
    c.put_function_event_invoke_config(FunctionName="flaky", Qualifier="prod", MaximumRetryAttempts=1,
                                       DestinationConfig={"OnFailure": {"Destination": fail_arn}, "OnSuccess": {"Destination": bus}})
    assert [x["FunctionArn"] for x in c.list_function_event_invoke_configs(FunctionName="flaky")["FunctionEventInvokeConfigs"]] == [
        arn + ":prod"]
    # Success through the alias: the record is the detail of a "lambda" event on the bus.
    c.invoke(FunctionName="flaky:prod", InvocationType="Event", Payload=b'{"ok": 1}')
    got = drain(sqs, bus_url, 1, timeout=60)
    assert len(got) == 1
    event = json.loads(got[0]["Body"])
    assert event["source"] == "lambda" and event["detail-type"] == "Lambda Function Invocation Result - Success"
    assert event["resources"] == [arn + ":prod", bus]
    assert event["detail"]["requestContext"]["functionArn"] == arn + ":prod" and event["detail"]["requestContext"]["condition"] == "Success"
    assert event["detail"]["responseContext"] == {"statusCode": 200, "executedVersion": "1"}
    # A failure is retried once, a minute later (the clock is moved on here), then recorded with both attempts.
    c.invoke(FunctionName="flaky", Qualifier="prod", InvocationType="Event", Payload=b'{"raise": true}')
    logs = w.client("logs")

    def first_attempt_ran():
        # The function's log shows the attempt: its event printed, then a second REPORT (the first is the success's).
        try:
            lines = [e["message"] for e in logs.filter_log_events(logGroupName="/aws/lambda/flaky")["events"]]
        except ClientError:
            return False
        return any('got event {"raise": true}' in line for line in lines) and sum(line.startswith("REPORT") for line in lines) >= 2
    deadline = time.time() + 60
    while not first_attempt_ran():
        assert time.time() < deadline, "the first attempt did not run"
        time.sleep(0.2)
    assert sqs.receive_message(QueueUrl=fail_url, WaitTimeSeconds=0).get("Messages", []) == []  # waiting for its retry
    # The retry is scheduled a minute after the attempt ends, a moment after its REPORT line: the clock moves on again
    # should the first move have come before the retry was scheduled.
    got, deadline = [], time.time() + 120
    while not got:
        assert time.time() < deadline, "the retry's failure record did not come"
        requests.post(w.endpoint + "/_warden/clock?advance=61").raise_for_status()
        got = drain(sqs, fail_url, 1, timeout=10)
    assert len(got) == 1
    record = json.loads(got[0]["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted" and record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responseContext"]["executedVersion"] == "1"
    # With the maximum age at its minimum (60 s), the retry would come too late: the event is dropped after one attempt.
    c.put_function_event_invoke_config(FunctionName="flaky", MaximumEventAgeInSeconds=60,
                                       DestinationConfig={"OnFailure": {"Destination": fail_arn}})
    c.invoke(FunctionName="flaky", InvocationType="Event", Payload=b'{"raise": true}')
    got = drain(sqs, fail_url, 1, timeout=60)
    assert len(got) == 1
    record = json.loads(got[0]["Body"])
    assert record["requestContext"]["condition"] == "EventAgeExceeded" and record["requestContext"]["approximateInvokeCount"] == 1
    assert record["requestContext"]["functionArn"] == arn + ":$LATEST"


def test_golden_publish_version_create_alias_and_event_invoke_config(fw):
    c = lam(fw)
    c.create_function(FunctionName="golden", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                      Code={"ZipFile": version_code("one")}, Environment={"Variables": {"ENV_A": "a"}})
    fn_arn = f"re:arn:aws:lambda:us-east-1:{ACCT}:function:golden"
    version = {"Architectures": ["x86_64"], "CodeSha256": SHA, "CodeSize": "$number", "Description": "First version description :)",
               "Environment": {"Variables": {"ENV_A": "a"}}, "EphemeralStorage": {"Size": 512}, "FunctionArn": fn_arn + ":1",
               "FunctionName": "golden", "Handler": "app.handler", "LastModified": LAST_MODIFIED, "LastUpdateStatus": "Successful",
               "LoggingConfig": {"LogFormat": "Text", "LogGroup": "/aws/lambda/golden"}, "MemorySize": 128, "PackageType": "Zip",
               "RevisionId": "$uuid", "Role": ROLE, "Runtime": "python3.12",
               "RuntimeVersionConfig": {"RuntimeVersionArn": "re:arn:aws:lambda:us-east-1::runtime:[0-9a-f]+"},
               "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"}, "State": "Active", "Timeout": 3,
               "TracingConfig": {"Mode": "PassThrough"}, "Version": "1"}
    golden(c, "publish_version", {"FunctionName": "golden", "Description": "First version description :)"}, version,
           "LS-API TestLambdaVersions::test_version_lifecycle first_publish_response (HTTP 201)", status=201)
    c.update_function_configuration(FunctionName="golden", Description="")
    c.publish_version(FunctionName="golden")
    golden(c, "create_alias", {"FunctionName": "golden", "Name": "custom", "FunctionVersion": "1",
                               "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.5}}},
           {"AliasArn": fn_arn + ":custom", "Description": "", "FunctionVersion": "1", "Name": "custom", "RevisionId": "$uuid",
            "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.5}}},
           "LS-API TestLambdaAlias::test_notfound_and_invalid_routingconfigs create_alias_response (HTTP 201)", status=201)
    golden(c, "create_alias", {"FunctionName": "golden", "Name": "aliasname1_3", "FunctionVersion": "1"},
           {"AliasArn": fn_arn + ":aliasname1_3", "Description": "", "FunctionVersion": "1", "Name": "aliasname1_3", "RevisionId": "$uuid"},
           "LS-API TestLambdaAlias::test_alias_lifecycle create_alias_1_3 (no description, no routing)", status=201)
    golden(c, "put_function_event_invoke_config", {"FunctionName": "golden", "MaximumRetryAttempts": 0},
           {"DestinationConfig": {"OnFailure": {}, "OnSuccess": {}}, "FunctionArn": fn_arn + r":\$LATEST", "LastModified": "$timestamp",
            "MaximumRetryAttempts": 0},
           "LS-API TestLambdaEventInvokeConfig put_post_overwrite")
    golden(c, "get_function_event_invoke_config", {"FunctionName": "golden"},
           {"DestinationConfig": {"OnFailure": {}, "OnSuccess": {}}, "FunctionArn": fn_arn + r":\$LATEST", "LastModified": "$timestamp",
            "MaximumRetryAttempts": 0},
           "LS-API TestLambdaEventInvokeConfig get_post_overwrite")
    golden(c, "get_function_event_invoke_config", {"FunctionName": "golden", "Qualifier": "custom"},
           {"Message": re.sub(r"^re:", "re:The function ", fn_arn) + ":custom doesn't have an EventInvokeConfig",
            "Type": "User"},
           "LS-API TestLambdaEventInvokeConfig get_eventinvokeconfig_doesnotexist (HTTP 404)", status=404)
