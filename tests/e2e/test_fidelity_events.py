"""EventBridge answers as AWS does: InvalidEventPatternException reasons with the pattern parser's position, the
pattern language's edge cases (anything-but forms, null/number/absent values, dotted keys, exists:false), PutEvents
entry errors, bus times, FIFO queue targets and InputTransformer output. Every expected document names its source;
"LS snapshot" is LocalStack's test_events_patterns.snapshot.json / test_events.snapshot.json / test_events_inputs
snapshot, recorded against AWS."""
import json

import pytest
from botocore.exceptions import ClientError

from conftest import BACKENDS, code
from golden import golden
from test_sns import drain, queue


@pytest.fixture(params=BACKENDS)
def dev(request, make_warden):
    """A dev-mode server on each storage backend (overrides conftest's SQLite-only one)."""
    return make_warden(request.param, dev=True)


EVENT = {"id": "1", "account": "123456789012", "source": "order", "time": "2024-01-01T00:00:00Z", "region": "us-east-1",
         "resources": [], "detail-type": "Test"}

PATTERNS = "LS snapshot test_events_patterns (TestEventPattern::test_event_pattern), recorded 05-12-2024"


def loc(pattern, column, twice=False):
    suffix = f'\n at [Source: (String)"{pattern}"; line: 1, column: {column}]'
    return suffix * (2 if twice else 1)


# (pattern as sent, reason, column or None for no position, position given twice)
INVALID = [
    ('{"int": 42}', '"int" must be an object or an array', 11, False),
    ('{"string": "my-value"}', '"string" must be an object or an array', 13, False),
    ('{"detail": {"equal": [{"NUMERIC": ["=", 5]}]}}', "Unrecognized match type NUMERIC", 36, False),
    ('{"my_key": [{"EXISTS": true}]}', "Unrecognized match type EXISTS", 28, False),
    ('{"resources": []}', "Empty arrays are not allowed", 17, False),
    ('{"detail": {"c-count": [{"numeric": [">", 0, ">", 0]}]}}', "Bad numeric range operator: >", 49, False),
    ('{"detail": {"c-count": [{"numeric": [">", 0, "<"]}]}}', "Value of < must be numeric", 50, False),
    ('{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:**:event-bus/*"}]}', "Consecutive wildcard characters at pos 26", 72, False),
    ('{"detail-type": [{"equals-ignore-case": ["ec2 instance state-change notification"]}]}',
     "equals-ignore-case match pattern must be a string", 42, False),
    ('{"detail-type": [{"equals-ignore-case": {"prefix": "ec2"}}]}', "equals-ignore-case match pattern must be a string", 42, False),
    ('{"detail": {"sourceIPAddress": [{"cidr": ["bad-type"]}]}}', "prefix match pattern must be a string", 43, False),
    ('{"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0"}]}}', "Malformed CIDR, one '/' required", None, False),
    ('{"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/xx"}]}}', "Malformed CIDR, mask bits must be an integer", None, False),
    ('{"detail": {"sourceIPAddress": [{"cidr": "xx.11.xx/24"}]}}', "Nonstandard IP address: xx.11.xx", None, False),
    ('{"detail": {"state": [{"anything-but": {"equals-ignore-case": 123}}]}}',
     "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.", 66, False),
    ('{"detail": {"state": [{"anything-but": {"equals-ignore-case": [123, 456]}}]}}',
     "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.", 67, True),
    ('{"EventBusArn": [{"wildcard": 123}]}', "wildcard match pattern must be a string", 34, False),
    ('{"detail": {"FilePath": [{"anything-but": {"wildcard": 123}}]}}', "wildcard match pattern must be a string", 59, False),
    ('{"detail": {"FilePath": [{"anything-but": {"wildcard": [123, "*/dir/*"]}}]}}', "wildcard match pattern must be a string", 57, True),
    ('{"detail": {"FileName": [{"anything-but": {"suffix": 123}}]}}', "prefix/suffix match pattern must be a string", 57, False),
    ('{"detail": {"FileName": [{"anything-but": {"suffix": [123, ".txt"]}}]}}', "prefix/suffix match pattern must be a string", 58, True),
    ('{"detail": {"state": [{"anything-but": {"prefix": 123}}]}}', "prefix/suffix match pattern must be a string", 54, False),
    ('{"detail": {"state": [{"anything-but": {"prefix": [123, "test"]}}]}}', "prefix/suffix match pattern must be a string", 55, True),
    ('{"time": [{"prefix": ["2022-07-13"]}]}', "prefix match pattern must be a string", 23, False),
    ('{"time": [{"prefix": 123}]}', "prefix match pattern must be a string", 25, False),
    ('{"FileName": [{"suffix": 123}]}', "suffix match pattern must be a string", 29, False),
    ('{"FileName": [{"suffix": [".png"]}]}', "suffix match pattern must be a string", 27, False),
    ('{"detail": {"FileName": [{"anything-but": {"prefix": {"equals-ignore-case": "file"}}}]}}',
     "Value of anything-but must be an array or single string/number value.", 55, False),
    # test_invalid_json_event_pattern, recorded 29-11-2024
    ("this is valid json but not a dict",
     "Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')", 5, False),
    ("{'bad': 'quotation'}", "Unexpected character (''' (code 39)): was expecting double-quote to start field name", 2, False),
    ('{"not": closed mark"',
     "Unrecognized token 'closed': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')", 15, False),
    ('["not", "a", "dict", "but valid json"]', "Filter is not an object", 2, False),
]


def test_invalid_patterns_get_aws_reasons_and_positions(dev):
    ev = dev.client("events")
    for pattern, reason, column, twice in INVALID:
        message = "Event pattern is not valid. Reason: " + reason + ("" if column is None else loc(pattern, column, twice))
        golden(ev, "test_event_pattern", {"EventPattern": pattern, "Event": json.dumps(EVENT)},
               {"__type": "InvalidEventPatternException", "message": message}, f"{PATTERNS}: {pattern}", status=400)
        # PutRule checks the same way.
        with pytest.raises(ClientError) as e:
            ev.put_rule(Name="bad", EventPattern=pattern)
        assert code(e) == "InvalidEventPatternException" and e.value.response["Error"]["Message"] == message


MATCHES = [
    # (detail, detail pattern, result) — LS templates content_anything_*, content_ignorecase_*, content_exists_false*, dot_joining_*
    ({"state": None}, {"state": [{"anything-but": {"prefix": "init"}}]}, True),
    ({}, {"state": [{"anything-but": {"prefix": "init"}}]}, False),
    ({"state": 12}, {"state": [{"anything-but": {"prefix": "init"}}]}, True),
    ({"state": 12}, {"state": [{"anything-but": {"prefix": ["init", "test"]}}]}, True),
    ({"FilePath": 123}, {"FilePath": [{"anything-but": {"wildcard": "*/dir/*"}}]}, True),
    ({"FilePath": "dir/init/file"}, {"FilePath": [{"anything-but": {"wildcard": ""}}]}, True),
    ({"state": None}, {"state": [{"anything-but": "initializing"}]}, True),
    ({}, {"state": [{"anything-but": "initializing"}]}, False),
    ({"state": None}, {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}, True),
    ({}, {"state": [{"anything-but": {"equals-ignore-case": ["initializing", "x"]}}]}, False),
    ({}, {"FileName": [{"anything-but": {"suffix": ".txt"}}]}, False),
    ({"value": ""}, {"value": [{"equals-ignore-case": ""}]}, True),
    ({"value": "test-value"}, {"value": [{"equals-ignore-case": ""}]}, False),
    ({"level1": {"level2": "l2 value"}}, {"level1": {"level2": {"level3": {"level4": [{"exists": False}]}}}}, True),
    ({"level1": {"level2": {"level3": {"level4": "l4 value"}}}}, {"level1": {"level2": {"level3": {"level4": [{"exists": False}]}}}}, False),
    ({"state": {"status": "running"}}, {"state.status": ["running"]}, True),
    ({"state": {"status": "running"}}, {"state.status": {"status": ["running"]}}, False),
    ({"state.status": {"status": "running"}}, {"state": {"status": ["running"]}}, False),
]


def test_pattern_semantics_as_recorded(dev):
    ev = dev.client("events")
    for detail, pattern, want in MATCHES:
        golden(ev, "test_event_pattern", {"EventPattern": json.dumps({"detail": pattern}), "Event": json.dumps(dict(EVENT, detail=detail))},
               {"Result": want}, f"{PATTERNS}: {pattern} on {detail}")


def test_test_event_pattern_refuses_a_bad_event(dev):
    ev = dev.client("events")
    src = "LS snapshot test_events_patterns (test_plain_string_payload / test_invalid_event_payload)"
    for event in ["plain string", json.dumps({"id": "1", "source": "x"})]:
        golden(ev, "test_event_pattern", {"EventPattern": '{"source": ["x"]}', "Event": event},
               {"__type": "ValidationException", "message": "Parameter Event is not valid."}, src, status=400)


def test_put_events_entry_errors(dev):
    ev = dev.client("events")
    src = "LS snapshot test_events (TestEvents::test_put_events_without_source / test_put_event_without_detail), recorded 19-06-2024"
    golden(ev, "put_events", {"Entries": [
        {"DetailType": "d", "Detail": "{}"},
        {"Source": "s", "Detail": "{}"},
        {"Source": "s", "DetailType": "d"},
        {"Source": "s", "DetailType": "d", "Detail": "not json"},
        {"Source": "s", "DetailType": "d", "Detail": "[1]"},
        {"Source": "s", "DetailType": "d", "Detail": '{"ok": true}'},
    ]}, {"Entries": [
        {"ErrorCode": "InvalidArgument", "ErrorMessage": "Parameter Source is not valid. Reason: Source is a required argument."},
        {"ErrorCode": "InvalidArgument", "ErrorMessage": "Parameter DetailType is not valid. Reason: DetailType is a required argument."},
        {"ErrorCode": "InvalidArgument", "ErrorMessage": "Parameter Detail is not valid. Reason: Detail is a required argument."},
        {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."},
        {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."},
        {"EventId": "$uuid"},
    ], "FailedEntryCount": 5}, src)
    golden(ev, "put_events", {"Entries": [{"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": "non-existent-bus"}]},
           {"__type": "ResourceNotFoundException", "message": "Event bus non-existent-bus does not exist."},
           "LS snapshot test_events (TestEventBus::test_put_events_nonexistent_event_bus)", status=400)


def test_rules_buses_and_their_errors(dev):
    ev = dev.client("events")
    golden(ev, "describe_rule", {"Name": "nope"}, {"__type": "ResourceNotFoundException", "message": "Rule nope does not exist on EventBus default."},
           "LS snapshot test_events (TestEventRule::test_describe_nonexistent_rule)", status=400)
    ev.create_event_bus(Name="orders")
    src = "LS snapshot test_events (DescribeEventBus / ListEventBuses shapes)"
    golden(ev, "describe_event_bus", {"Name": "orders"},
           {"Arn": "re:arn:aws:events:us-east-1:\\d{12}:event-bus/orders", "CreationTime": "$timestamp", "LastModifiedTime": "$timestamp",
            "Name": "orders"}, src)
    golden(ev, "describe_event_bus", {},
           {"Arn": "re:arn:aws:events:us-east-1:\\d{12}:event-bus/default", "CreationTime": "$timestamp", "LastModifiedTime": "$timestamp",
            "Name": "default"}, src)
    entry = {"Arn": "$string", "CreationTime": "$timestamp", "LastModifiedTime": "$timestamp", "Name": "$string"}
    golden(ev, "list_event_buses", {}, {"EventBuses": [entry, entry]}, src)
    golden(ev, "describe_event_bus", {"Name": "gone"}, {"__type": "ResourceNotFoundException", "message": "Event bus gone does not exist."},
           src, status=400)
    golden(ev, "create_event_bus", {"Name": "orders"},
           {"__type": "ResourceAlreadyExistsException", "message": "Event bus orders already exists."}, src, status=400)
    ev.put_rule(Name="r", EventPattern='{"source": ["s"]}')
    with pytest.raises(ClientError) as e:
        ev.put_targets(Rule="r", Targets=[{"Id": str(i), "Arn": f"arn:aws:sqs:us-east-1:000000000000:q{i}"} for i in range(6)])
    assert code(e) == "LimitExceededException"
    assert e.value.response["Error"]["Message"] == "The requested resource exceeds the maximum number allowed."


def test_target_input_rules_fifo_groups_and_transformer_output(dev):
    ev, sqs = dev.client("events"), dev.client("sqs")
    url, arn = queue(sqs, "ev-plain")
    ev.put_rule(Name="r", EventPattern='{"source": ["core.update-account-command"]}')
    src = "LS snapshot test_events_inputs (test_put_events_with_input_transformer_missing_keys / test_put_event_input_path_and_input_transformer)"
    golden(ev, "put_targets", {"Rule": "r", "Targets": [{"Id": "t1", "Arn": arn, "InputTransformer": {
        "InputPathsMap": {"a": "$.detail"}, "InputTemplate": '"<a> <notdefinedkey>"'}}]},
        {"__type": "ValidationException", "message": "InputTemplate for target t1 contains invalid placeholder notdefinedkey."}, src, status=400)
    golden(ev, "put_targets", {"Rule": "r", "Targets": [{"Id": "t1", "Arn": arn, "InputPath": "$.detail", "InputTransformer": {
        "InputPathsMap": {"a": "$.detail"}, "InputTemplate": '"<a>"'}}]},
        {"__type": "ValidationException", "message": "Only one of Input, InputPath, or InputTransformer must be provided for target t1."},
        src, status=400)
    # test_events_inputs: a plain-text template keeps its quotes and takes strings without quotes; a JSON template
    # quotes them; a path the event lacks gives the empty string.
    paths = {"detail-type": "$.detail-type", "timestamp": "$.time", "command": "$.detail.command", "payload": "$.detail.payload"}
    templates = {
        "text": '"Event of <detail-type> type, at time <timestamp>, info extracted from detail <command>"',
        "json": '{"detailType": <detail-type>,  "time": <timestamp>, "command": <command>, "payload": <payload>}',
    }
    urls = {}
    for name, template in templates.items():
        urls[name], qarn = queue(sqs, f"ev-{name}")
        ev.put_targets(Rule="r", Targets=[{"Id": name, "Arn": qarn, "InputTransformer": {"InputPathsMap": paths, "InputTemplate": template}}])
    detail = {"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}}
    ev.put_events(Entries=[{"Source": "core.update-account-command", "DetailType": "core.update-account-command", "Detail": json.dumps(detail),
                            "Time": "2024-01-01T00:00:00Z"}])
    text = drain(sqs, urls["text"], 1)[0]["Body"]
    assert text == '"Event of core.update-account-command type, at time 2024-01-01T00:00:00Z, info extracted from detail update-account"'
    body = drain(sqs, urls["json"], 1)[0]["Body"]
    # Minified, as the EventBridge guide says of JSON passed on.
    assert body == ('{"detailType":"core.update-account-command","time":"2024-01-01T00:00:00Z","command":"update-account",'
                    '"payload":{"acc_id":"0a787ecb-4015","sf_id":"baz"}}')
    # A FIFO queue target needs SqsParameters; its MessageGroupId is used and echoed.
    fifo = sqs.create_queue(QueueName="ev.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    farn = sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    with pytest.raises(ClientError) as e:
        ev.put_targets(Rule="r", Targets=[{"Id": "f", "Arn": farn}])
    assert e.value.response["Error"]["Message"] == "Parameter(s) SqsParameters must be specified for target: f."
    ev.remove_targets(Rule="r", Ids=["text", "json"])
    ev.put_targets(Rule="r", Targets=[{"Id": "f", "Arn": farn, "SqsParameters": {"MessageGroupId": "group-7"}}])
    assert ev.list_targets_by_rule(Rule="r")["Targets"][-1]["SqsParameters"] == {"MessageGroupId": "group-7"}
    ev.put_events(Entries=[{"Source": "core.update-account-command", "DetailType": "x", "Detail": "{}"}])
    got = []
    for _ in range(15):
        got += sqs.receive_message(QueueUrl=fifo, WaitTimeSeconds=1, AttributeNames=["MessageGroupId"]).get("Messages", [])
        if got:
            break
    assert got and got[0]["Attributes"]["MessageGroupId"] == "group-7"
