"""EventBridge with boto3 on both backends: buses, rules with the pattern language, targets (SQS, SNS, functions,
another bus) with Input/InputPath/InputTransformer, PutEvents, TestEventPattern, and CloudTrail's API calls on the
default bus within seconds."""
import json
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import allow_service, allow_service_on_topic, code
from test_sns import drain, queue


def test_cloudtrail_calls_reach_an_sqs_target_within_two_seconds(strict):
    ev, sqs, kms = strict.client("events"), strict.client("sqs"), strict.client("kms")
    url, arn = queue(sqs, "key-deletions")
    pattern = {"source": ["aws.kms"], "detail-type": ["AWS API Call via CloudTrail"], "detail": {"eventName": ["ScheduleKeyDeletion"]}}
    rule_arn = ev.put_rule(Name="watch-deletions", EventPattern=json.dumps(pattern))["RuleArn"]
    assert rule_arn.endswith(":rule/watch-deletions")
    allow_service(sqs, url, "events.amazonaws.com", rule_arn)
    ev.put_targets(Rule="watch-deletions", Targets=[{"Id": "q", "Arn": arn}])
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.describe_key(KeyId=key)  # read-only: not on the bus
    started = time.time()
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    got = drain(sqs, url, 1, timeout=5)
    assert got and time.time() - started < 2.5
    event = json.loads(got[0]["Body"])
    assert event["detail-type"] == "AWS API Call via CloudTrail" and event["source"] == "aws.kms"
    assert event["detail"]["eventName"] == "ScheduleKeyDeletion" and event["detail"]["requestParameters"]["keyId"] == key
    assert event["account"] == strict.client("sts").get_caller_identity()["Account"] and event["region"] == "us-east-1"
    time.sleep(0.5)
    assert drain(sqs, url, 1, timeout=1) == []  # CreateKey and DescribeKey did not match


def test_buses_rules_patterns_targets_and_inputs(strict):
    ev, sqs = strict.client("events"), strict.client("sqs")
    assert ev.create_event_bus(Name="orders")["EventBusArn"].endswith(":event-bus/orders")
    with pytest.raises(ClientError) as e:
        ev.create_event_bus(Name="orders")
    assert code(e) == "ResourceAlreadyExistsException"
    assert [b["Name"] for b in ev.list_event_buses()["EventBuses"]] == ["default", "orders"]
    with pytest.raises(ClientError) as e:
        ev.put_rule(Name="r", EventPattern='{"source": ["x"]}', EventBusName="nope")
    assert code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        ev.put_rule(Name="bad", EventPattern='{"source": "not-an-array"}', EventBusName="orders")
    assert code(e) == "InvalidEventPatternException"
    urls = {}
    for name, pattern in [
        ("big", {"source": ["shop"], "detail": {"amount": [{"numeric": [">", 100]}]}}),
        ("eu", {"source": ["shop"], "detail": {"country": [{"prefix": "eu-"}], "sku": [{"wildcard": "*-blue"}]}}),
        ("not-test", {"source": ["shop"], "detail": {"env": [{"anything-but": ["test"]}]}}),
    ]:
        urls[name], arn = queue(sqs, f"ev-{name}")
        rule_arn = ev.put_rule(Name=name, EventPattern=json.dumps(pattern), EventBusName="orders")["RuleArn"]
        allow_service(sqs, urls[name], "events.amazonaws.com", rule_arn)
        targets = {"Id": "t", "Arn": arn}
        if name == "big":
            targets["InputPath"] = "$.detail"
        if name == "eu":
            targets["InputTransformer"] = {"InputPathsMap": {"sku": "$.detail.sku", "src": "$.source"},
                                           "InputTemplate": '{"item": "<sku>", "from": "<src>"}'}
        ev.put_targets(Rule=name, EventBusName="orders", Targets=[targets])
    r = ev.put_events(Entries=[
        {"Source": "shop", "DetailType": "order", "Detail": json.dumps({"amount": 150, "country": "eu-west", "sku": "shirt-blue", "env": "prod"}),
         "EventBusName": "orders"},
        {"Source": "shop", "DetailType": "order", "Detail": json.dumps({"amount": 5, "country": "us", "sku": "shirt-red", "env": "test"}),
         "EventBusName": "orders"},
        {"Source": "shop", "DetailType": "order", "Detail": "not json", "EventBusName": "orders"},
    ])
    assert r["FailedEntryCount"] == 1 and r["Entries"][2]["ErrorCode"] == "MalformedDetail" and r["Entries"][0]["EventId"]
    assert [json.loads(m["Body"]) for m in drain(sqs, urls["big"], 1)] == [{"amount": 150, "country": "eu-west", "sku": "shirt-blue", "env": "prod"}]
    assert [json.loads(m["Body"]) for m in drain(sqs, urls["eu"], 1)] == [{"item": "shirt-blue", "from": "shop"}]
    body = json.loads(drain(sqs, urls["not-test"], 1)[0]["Body"])
    assert body["detail"]["env"] == "prod" and body["detail-type"] == "order"
    time.sleep(0.5)
    assert all(drain(sqs, u, 1, timeout=0.5) == [] for u in urls.values())
    # A disabled rule delivers nothing.
    ev.disable_rule(Name="not-test", EventBusName="orders")
    assert ev.describe_rule(Name="not-test", EventBusName="orders")["State"] == "DISABLED"
    ev.put_events(Entries=[{"Source": "shop", "DetailType": "order", "Detail": json.dumps({"env": "prod"}), "EventBusName": "orders"}])
    time.sleep(1)
    assert drain(sqs, urls["not-test"], 1, timeout=0.5) == []
    assert [r["Name"] for r in ev.list_rules(EventBusName="orders")["Rules"]] == ["big", "eu", "not-test"]
    assert ev.list_targets_by_rule(Rule="eu", EventBusName="orders")["Targets"][0]["InputTransformer"]["InputTemplate"]
    with pytest.raises(ClientError) as e:
        ev.delete_rule(Name="big", EventBusName="orders")
    assert code(e) == "ValidationException"
    ev.remove_targets(Rule="big", EventBusName="orders", Ids=["t"])
    ev.delete_rule(Name="big", EventBusName="orders")
    # TestEventPattern.
    sample = {"id": "1", "account": "000000000000", "source": "shop", "time": "2024-01-01T00:00:00Z", "region": "us-east-1",
              "resources": [], "detail-type": "order", "detail": {"amount": 150}}
    assert ev.test_event_pattern(EventPattern=json.dumps({"detail": {"amount": [{"numeric": [">", 100]}]}}), Event=json.dumps(sample))["Result"]
    assert not ev.test_event_pattern(EventPattern=json.dumps({"source": ["other"]}), Event=json.dumps(sample))["Result"]


def test_function_sns_and_bus_targets(make_warden):
    from test_lambda import ROLE, lam, zipped
    w = make_warden("sqlite", extra_args=["--enable-functions"])
    ev, sqs, sns, fn = w.client("events"), w.client("sqs"), w.client("sns"), lam(w)
    seen_url, _ = queue(sqs, "seen-by-function")
    code_text = 'import boto3, json, os\ndef handler(event, context):\n    boto3.client("sqs").send_message(QueueUrl=os.environ["SEEN"], MessageBody=json.dumps(event))\n'
    fn_arn = fn.create_function(FunctionName="on-event", Runtime="python3.12", Role=ROLE, Handler="app.handler", Timeout=30,
                                Code={"ZipFile": zipped({"app.py": code_text})}, Environment={"Variables": {"SEEN": seen_url}})["FunctionArn"]
    fn.add_permission(FunctionName="on-event", StatementId="eb", Action="lambda:InvokeFunction", Principal="events.amazonaws.com")
    topic = sns.create_topic(Name="from-events")["TopicArn"]
    sub_url, sub_arn = queue(sqs, "topic-sub")
    allow_service(sqs, sub_url, "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=sub_arn, Attributes={"RawMessageDelivery": "true"})
    ev.create_event_bus(Name="second")
    second_url, second_arn = queue(sqs, "second-bus")
    second_rule = ev.put_rule(Name="on-second", EventPattern=json.dumps({"source": ["app"]}), EventBusName="second")["RuleArn"]
    allow_service(sqs, second_url, "events.amazonaws.com", second_rule)
    ev.put_targets(Rule="on-second", EventBusName="second", Targets=[{"Id": "q", "Arn": second_arn}])
    account = topic.split(":")[4]
    fan_rule = ev.put_rule(Name="fan", EventPattern=json.dumps({"source": ["app"]}))["RuleArn"]
    allow_service_on_topic(sns, topic, "events.amazonaws.com", fan_rule)
    ev.put_targets(Rule="fan", Targets=[{"Id": "f", "Arn": fn_arn}, {"Id": "t", "Arn": topic},
                                        {"Id": "b", "Arn": f"arn:aws:events:us-east-1:{account}:event-bus/second"}])
    ev.put_events(Entries=[{"Source": "app", "DetailType": "hello", "Detail": json.dumps({"n": 1})}])
    assert json.loads(drain(sqs, seen_url, 1, timeout=30)[0]["Body"])["detail"] == {"n": 1}
    assert json.loads(drain(sqs, sub_url, 1)[0]["Body"])["detail-type"] == "hello"
    assert json.loads(drain(sqs, second_url, 1)[0]["Body"])["detail"] == {"n": 1}


def test_parameter_store_policy_events_reach_the_default_bus(make_warden):
    w = make_warden("sqlite", dev=True, extra_args=["--job-interval", "0.2"])
    ev, sqs, ssm = w.client("events"), w.client("sqs"), w.client("ssm")
    url, arn = queue(sqs, "ssm-events")
    ev.put_rule(Name="ssm", EventPattern=json.dumps({"source": ["aws.ssm"], "detail-type": ["Parameter Store Policy Action"]}))
    ev.put_targets(Rule="ssm", Targets=[{"Id": "q", "Arn": arn}])
    ssm.put_parameter(Name="/quiet", Value="v", Type="String", Tier="Advanced",
                      Policies=json.dumps([{"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "1", "Unit": "Hours"}}]))
    requests.post(f"{w.endpoint}/_warden/clock?advance=3700")
    got = drain(sqs, url, 1, timeout=10)
    assert got and json.loads(got[0]["Body"])["detail"]["policy-type"] == "NoChangeNotification"


def test_scheduled_rule_invokes_a_function_each_minute(make_warden):
    from test_lambda import create, lam
    w = make_warden("sqlite", dev=True, extra_args=["--enable-functions"])
    ev, sqs, c = w.client("events"), w.client("sqs"), lam(w)
    url, _ = queue(sqs, "ticks")
    recorder = '''
import boto3, json, os
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["SEEN"], MessageBody=json.dumps(event))
'''
    fn = create(c, "ticker", {"app.py": recorder}, Timeout=30, Environment={"Variables": {"SEEN": url}})["FunctionArn"]
    rule_arn = ev.put_rule(Name="every-minute", ScheduleExpression="rate(1 minute)")["RuleArn"]
    c.add_permission(FunctionName="ticker", StatementId="events", Action="lambda:InvokeFunction", Principal="events.amazonaws.com",
                     SourceArn=rule_arn)
    ev.put_targets(Rule="every-minute", Targets=[{"Id": "fn", "Arn": fn}])
    assert ev.describe_rule(Name="every-minute")["ScheduleExpression"] == "rate(1 minute)"
    assert [r["ScheduleExpression"] for r in ev.list_rules()["Rules"]] == ["rate(1 minute)"]
    time.sleep(1.5)  # the scheduler has seen the rule: its first time is a minute on
    assert drain(sqs, url, 1, timeout=1) == []
    ticks = []
    for _ in range(3):
        requests.post(f"{w.endpoint}/_warden/clock?advance=61")
        got = drain(sqs, url, 1, timeout=20)
        assert len(got) == 1
        ticks.append(json.loads(got[0]["Body"]))
    assert all(t["detail-type"] == "Scheduled Event" and t["source"] == "aws.events" and t["resources"] == [rule_arn] and t["detail"] == {}
               for t in ticks)
    assert len({t["id"] for t in ticks}) == 3
    assert drain(sqs, url, 1, timeout=1.5) == []  # once per minute, not more
    ev.disable_rule(Name="every-minute")
    requests.post(f"{w.endpoint}/_warden/clock?advance=61")
    assert drain(sqs, url, 1, timeout=2.5) == []
    # A cron schedule.
    ev.put_rule(Name="cron", ScheduleExpression="cron(0/5 * * * ? *)")
    for bad in ["rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(1 week)", "cron(0 12 * * * *)", "cron(0 12 * *)",
                "cron(61 * * * ? *)", "cron(0 12 ? * MON-XYZ *)", "every minute"]:
        with pytest.raises(ClientError) as e:
            ev.put_rule(Name="bad", ScheduleExpression=bad)
        assert code(e) == "ValidationException", bad
    ev.create_event_bus(Name="custom")
    with pytest.raises(ClientError) as e:
        ev.put_rule(Name="bad", ScheduleExpression="rate(5 minutes)", EventBusName="custom")
    assert code(e) == "ValidationException"


def test_tags_retry_policy_and_dead_letter_queue(strict):
    ev, sqs = strict.client("events"), strict.client("sqs")
    bus_arn = ev.create_event_bus(Name="tagged", Tags=[{"Key": "team", "Value": "a"}])["EventBusArn"]
    rule_arn = ev.put_rule(Name="r", EventPattern='{"source": ["app"]}', Tags=[{"Key": "k", "Value": "v"}])["RuleArn"]
    assert ev.list_tags_for_resource(ResourceARN=bus_arn)["Tags"] == [{"Key": "team", "Value": "a"}]
    ev.tag_resource(ResourceARN=rule_arn, Tags=[{"Key": "env", "Value": "prod"}])
    ev.untag_resource(ResourceARN=rule_arn, TagKeys=["k"])
    assert ev.list_tags_for_resource(ResourceARN=rule_arn)["Tags"] == [{"Key": "env", "Value": "prod"}]
    with pytest.raises(ClientError) as e:
        ev.list_tags_for_resource(ResourceARN=rule_arn.replace(":rule/r", ":rule/missing"))
    assert code(e) == "ResourceNotFoundException"
    # A target that cannot take events (its queue does not exist): no retries for a client error, the DLQ gets it.
    dlq_url, dlq_arn = queue(sqs, "events-dlq")
    account = strict.client("sts").get_caller_identity()["Account"]
    missing = f"arn:aws:sqs:us-east-1:{account}:no-such-queue"
    with pytest.raises(ClientError) as e:
        ev.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": missing, "RetryPolicy": {"MaximumRetryAttempts": 500}}])
    assert code(e) == "ValidationException"
    ev.put_targets(Rule="r", Targets=[{"Id": "t", "Arn": missing, "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 60},
                                       "DeadLetterConfig": {"Arn": dlq_arn}}])
    t = ev.list_targets_by_rule(Rule="r")["Targets"][0]
    assert t["RetryPolicy"] == {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 60} and t["DeadLetterConfig"] == {"Arn": dlq_arn}
    ev.put_events(Entries=[{"Source": "app", "DetailType": "thing", "Detail": '{"n": 1}'}])
    dead = drain(sqs, dlq_url, 1, timeout=10)
    assert len(dead) == 1 and json.loads(dead[0]["Body"])["detail"] == {"n": 1}
    attrs = {k: v["StringValue"] for k, v in dead[0]["MessageAttributes"].items()}
    assert attrs["RULE_ARN"] == rule_arn and attrs["TARGET_ARN"] == missing and attrs["ERROR_CODE"] and attrs["RETRY_ATTEMPTS"] == "0"


def test_limits_get_eventbridges_errors(strict):
    ev = strict.client("events", validate=False)
    entry = {"Source": "app", "DetailType": "t", "Detail": "{}"}
    with pytest.raises(ClientError) as e:
        ev.put_events(Entries=[entry] * 11)
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        ev.put_events(Entries=[dict(entry, Detail=json.dumps({"x": "y" * 200_000})), dict(entry, Detail=json.dumps({"x": "y" * 100_000}))])
    assert code(e) == "ValidationException"
    sqs = strict.client("sqs")
    ev.put_rule(Name="many", EventPattern='{"source": ["app"]}')
    arns = [queue(sqs, f"many-{i}")[1] for i in range(6)]
    ev.put_targets(Rule="many", Targets=[{"Id": str(i), "Arn": a} for i, a in enumerate(arns[:5])])
    with pytest.raises(ClientError) as e:
        ev.put_targets(Rule="many", Targets=[{"Id": "5", "Arn": arns[5]}])
    assert code(e) == "LimitExceededException"
    with pytest.raises(ClientError) as e:
        ev.delete_rule(Name="many")
    assert code(e) == "ValidationException"
    ev.delete_rule(Name="many", Force=True)


def test_every_pattern_form_through_test_event_pattern(strict):
    ev = strict.client("events")
    event = {"id": "1", "account": "123456789012", "source": "com.shop", "time": "2026-11-26T00:00:00Z", "region": "us-east-1",
             "detail-type": "Order Placed", "resources": ["arn:aws:s3:::orders/2026/11/a.json"],
             "detail": {"amount": 150, "country": "eu-west", "email": "Ann@Example.COM", "ip": "10.1.2.3", "sku": "shirt-blue",
                        "file": "report.PDF", "env": "prod", "tags": ["a", "b"], "coupon": None}}
    # Each pattern with whether it matches, worked out by hand from EventBridge's pattern rules.
    cases = [
        ({"source": ["com.shop"]}, True),
        ({"source": ["com.other"]}, False),
        ({"detail": {"country": [{"prefix": "eu-"}]}}, True),
        ({"detail": {"file": [{"suffix": ".PDF"}]}}, True),
        ({"detail": {"file": [{"suffix": ".pdf"}]}}, False),
        ({"detail": {"email": [{"equals-ignore-case": "ann@example.com"}]}}, True),
        ({"detail": {"env": [{"anything-but": ["test", "dev"]}]}}, True),
        ({"detail": {"env": [{"anything-but": {"prefix": "pro"}}]}}, False),
        ({"detail": {"amount": [{"numeric": [">", 100, "<=", 150]}]}}, True),
        ({"detail": {"amount": [{"numeric": ["<", 100]}]}}, False),
        ({"detail": {"missing": [{"exists": False}]}}, True),
        ({"detail": {"country": [{"exists": True}]}}, True),
        ({"detail": {"ip": [{"cidr": "10.0.0.0/8"}]}}, True),
        ({"detail": {"ip": [{"cidr": "192.168.0.0/16"}]}}, False),
        ({"detail": {"sku": [{"wildcard": "shirt-*"}]}}, True),
        ({"detail": {"tags": ["b"]}}, True),  # an array matches when any element does
        ({"detail": {"coupon": [None]}}, True),
        ({"resources": [{"prefix": "arn:aws:s3:::orders/"}]}, True),
        ({"$or": [{"detail": {"env": ["test"]}}, {"detail": {"amount": [150]}}]}, True),
        ({"$or": [{"detail": {"env": ["test"]}}, {"detail": {"amount": [1]}}]}, False),
        ({"source": ["com.shop"], "detail": {"env": ["prod"], "country": ["us"]}}, False),  # every field must match
    ]
    for pattern, want in cases:
        got = ev.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(event))["Result"]
        assert got is want, pattern
    for bad in ['{"source": "not-a-list"}', '{"detail": {"n": [{"numeric": [">", "x"]}]}}', '{"a": [{"nope": 1}]}', "not json"]:
        with pytest.raises(ClientError) as e:
            ev.test_event_pattern(EventPattern=bad, Event=json.dumps(event))
        assert code(e) == "InvalidEventPatternException", bad
