"""CloudWatch Logs and CloudWatch metrics and alarms with boto3 on both backends: groups, streams and events with
AWS's batch rules, the filter pattern language (FilterLogEvents and TestMetricFilter agree), metric filters into
metrics, statistics and percentiles, alarms with SNS notifications, and the classic path: trail → log group →
metric filter → alarm → SNS → an SQS queue and an email inbox."""
import gzip
import json
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import BACKENDS, allow_service, cloudwatch_client, code, free_port
from test_sns import drain, queue
from test_sqs_query import legacy_python  # noqa: F401  (a fixture: the pinned old boto3)
from trail_helpers import trail_bucket


def now_ms():
    return int(time.time() * 1000)


def test_groups_streams_and_events(strict):
    logs = strict.client("logs")
    logs.create_log_group(logGroupName="/app/web", tags={"team": "web"})
    with pytest.raises(ClientError) as e:
        logs.create_log_group(logGroupName="/app/web")
    assert code(e) == "ResourceAlreadyExistsException"
    logs.create_log_group(logGroupName="/app/worker")
    logs.create_log_group(logGroupName="other")
    assert [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix="/app/")["logGroups"]] == ["/app/web", "/app/worker"]
    group = logs.describe_log_groups(logGroupNamePrefix="/app/web")["logGroups"][0]
    account = strict.client("sts").get_caller_identity()["Account"]
    assert group["arn"] == f"arn:aws:logs:us-east-1:{account}:log-group:/app/web:*" and group["logGroupArn"] == group["arn"][:-2]
    assert logs.list_tags_for_resource(resourceArn=group["logGroupArn"])["tags"] == {"team": "web"}
    logs.tag_resource(resourceArn=group["logGroupArn"], tags={"env": "prod"})
    logs.untag_resource(resourceArn=group["logGroupArn"], tagKeys=["team"])
    assert logs.list_tags_log_group(logGroupName="/app/web")["tags"] == {"env": "prod"}
    with pytest.raises(ClientError) as e:
        logs.put_retention_policy(logGroupName="/app/web", retentionInDays=2)
    assert code(e) == "InvalidParameterException"
    logs.put_retention_policy(logGroupName="/app/web", retentionInDays=7)
    assert logs.describe_log_groups(logGroupNamePrefix="/app/web")["logGroups"][0]["retentionInDays"] == 7
    with pytest.raises(ClientError) as e:
        logs.create_log_stream(logGroupName="/nope", logStreamName="s")
    assert code(e) == "ResourceNotFoundException"
    for s in ("b-stream", "a-stream"):
        logs.create_log_stream(logGroupName="/app/web", logStreamName=s)
    with pytest.raises(ClientError) as e:
        logs.put_log_events(logGroupName="/app/web", logStreamName="missing", logEvents=[{"timestamp": now_ms(), "message": "x"}])
    assert code(e) == "ResourceNotFoundException"
    t = now_ms()
    with pytest.raises(ClientError) as e:
        logs.put_log_events(logGroupName="/app/web", logStreamName="a-stream",
                            logEvents=[{"timestamp": t, "message": "late"}, {"timestamp": t - 1000, "message": "early"}])
    assert code(e) == "InvalidParameterException" and "chronological" in str(e.value)
    with pytest.raises(ClientError) as e:
        logs.put_log_events(logGroupName="/app/web", logStreamName="a-stream",
                            logEvents=[{"timestamp": t, "message": "x" * 600_000}, {"timestamp": t, "message": "y" * 600_000}])
    assert code(e) == "InvalidParameterException"
    # Too old (beyond the 7-day retention and 14 days), and too new (over 2 hours ahead): rejected, the rest kept.
    r = logs.put_log_events(logGroupName="/app/web", logStreamName="a-stream", logEvents=[
        {"timestamp": t - 15 * 86_400_000, "message": "ancient"}, {"timestamp": t - 8 * 86_400_000, "message": "expired"}]
        + [{"timestamp": t + i, "message": f"line {i}"} for i in range(25)])
    assert r["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1, "expiredLogEventEndIndex": 2}  # exclusive ends
    r = logs.put_log_events(logGroupName="/app/web", logStreamName="b-stream",
                            logEvents=[{"timestamp": t + 10, "message": "from b"}, {"timestamp": t + 3 * 3_600_000, "message": "future"}])
    assert r["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    # GetLogEvents pages forward; the forward token repeats at the end, as boto3's paginator expects.
    seen, token = [], None
    while True:
        kw = {"nextToken": token} if token else {"startFromHead": True}
        page = logs.get_log_events(logGroupName="/app/web", logStreamName="a-stream", limit=10, **kw)
        seen += [e["message"] for e in page["events"]]
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]
    assert seen == [f"line {i}" for i in range(25)]
    latest = logs.get_log_events(logGroupName="/app/web", logStreamName="a-stream", limit=3)
    assert [e["message"] for e in latest["events"]] == ["line 22", "line 23", "line 24"]
    back = logs.get_log_events(logGroupName="/app/web", logStreamName="a-stream", limit=3, nextToken=latest["nextBackwardToken"])
    assert [e["message"] for e in back["events"]] == ["line 19", "line 20", "line 21"]
    streams = logs.describe_log_streams(logGroupName="/app/web")["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["a-stream", "b-stream"] and streams[0]["lastEventTimestamp"] == t + 24
    by_time = logs.describe_log_streams(logGroupName="/app/web", orderBy="LastEventTime", descending=True)["logStreams"]
    assert [s["logStreamName"] for s in by_time] == ["a-stream", "b-stream"]
    with pytest.raises(ClientError) as e:
        logs.describe_log_streams(logGroupName="/app/web", orderBy="LastEventTime", logStreamNamePrefix="a")
    assert code(e) == "InvalidParameterException"
    # FilterLogEvents across streams, by name, with paging.
    got = logs.filter_log_events(logGroupName="/app/web", filterPattern='"line 1"')["events"]
    assert [e["message"] for e in got] == ["line 1"] + [f"line {i}" for i in range(10, 20)]
    assert [e["message"] for e in logs.filter_log_events(logGroupName="/app/web", logStreamNames=["b-stream"])["events"]] == ["from b"]
    pages = list(logs.get_paginator("filter_log_events").paginate(logGroupName="/app/web", PaginationConfig={"PageSize": 7}))
    assert sum(len(p["events"]) for p in pages) == 26 and len(pages) >= 4
    logs.delete_log_stream(logGroupName="/app/web", logStreamName="b-stream")
    assert [s["logStreamName"] for s in logs.describe_log_streams(logGroupName="/app/web")["logStreams"]] == ["a-stream"]
    logs.delete_log_group(logGroupName="/app/web")
    with pytest.raises(ClientError) as e:
        logs.get_log_events(logGroupName="/app/web", logStreamName="a-stream")
    assert code(e) == "ResourceNotFoundException"


MESSAGES = [
    "ERROR [main] Failed to connect to db",
    "INFO [main] Connected to db in 35 ms",
    "WARN [worker-2] Retrying request id=42",
    json.dumps({"eventSource": "kms.amazonaws.com", "eventName": "DisableKey", "latency": 120,
                "user": {"name": "alice", "admin": True}, "tags": ["a", "b"], "error": None}),
    json.dumps({"eventSource": "sqs.amazonaws.com", "eventName": "SendMessage", "latency": 8,
                "user": {"name": "bob", "admin": False}, "tags": ["c"]}),
    '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326',
    '10.0.0.7 - bob [10/Oct/2000:13:56:01 -0700] "POST /login HTTP/1.1" 401 52',
    '10.0.0.9 - - [10/Oct/2000:13:57:12 -0700] "GET /missing.html HTTP/1.1" 404 1024',
]

# Each pattern with the messages it matches, worked out by hand from CloudWatch Logs' filter pattern rules.
PATTERNS = [
    ("", [0, 1, 2, 3, 4, 5, 6, 7]),
    ("ERROR", [0]),
    ("ERROR db", [0]),
    ("?ERROR ?WARN", [0, 2]),
    ('"Connected to db"', [1]),
    ("db -ERROR", [1]),
    ("GET", [5, 7]),
    ('?"Failed to" ?Retrying', [0, 2]),
    ("%id=[0-9]+%", [2]),
    ('{ $.eventSource = "kms.amazonaws.com" }', [3]),
    ('{ ($.eventSource = "kms.amazonaws.com") && ($.eventName = "DisableKey") }', [3]),
    ("{ $.latency > 100 }", [3]),
    ("{ $.latency <= 8 }", [4]),
    ("{ $.latency = 8 }", [4]),
    ('{ $.user.name = "bo*" }', [4]),
    ("{ $.user.admin IS TRUE }", [3]),
    ("{ $.user.admin IS FALSE }", [4]),
    ("{ $.error IS NULL }", [3]),
    ("{ $.error NOT EXISTS }", [4]),
    ('{ $.tags[0] = "c" }', [4]),
    ('{ $.eventName = "SendMessage" || $.latency > 100 }', [3, 4]),
    ('{ $.eventSource != "kms.amazonaws.com" }', [4]),
    ("[ip, identity, user, timestamp, request, status = 4*, bytes]", [6, 7]),
    ('[ip, identity, user, timestamp, request = "GET *", status, bytes > 2000]', [5]),
    ("[..., status = 404 || status = 401, bytes]", [6, 7]),
    ("[ip = 10.*, ...]", [6, 7]),
    ("[ip, identity, user = frank, ...]", [5]),
]


def test_filter_log_events_and_test_metric_filter_agree_on_every_pattern_form(strict):
    logs = strict.client("logs")
    logs.create_log_group(logGroupName="patterns")
    logs.create_log_stream(logGroupName="patterns", logStreamName="s")
    t = now_ms()
    logs.put_log_events(logGroupName="patterns", logStreamName="s",
                        logEvents=[{"timestamp": t + i, "message": m} for i, m in enumerate(MESSAGES)])
    assert len(PATTERNS) >= 20
    for pattern, expected in PATTERNS:
        tested = logs.test_metric_filter(filterPattern=pattern, logEventMessages=MESSAGES)["matches"]
        assert [m["eventNumber"] - 1 for m in tested] == expected, pattern
        filtered = logs.filter_log_events(logGroupName="patterns", filterPattern=pattern)["events"]
        assert [MESSAGES.index(e["message"]) for e in filtered] == expected, pattern
    extracted = logs.test_metric_filter(filterPattern="[ip, identity, user, timestamp, request, status = 4*, bytes]",
                                        logEventMessages=[MESSAGES[6]])["matches"][0]["extractedValues"]
    assert extracted == {"$ip": "10.0.0.7", "$identity": "-", "$user": "bob", "$timestamp": "10/Oct/2000:13:56:01 -0700",
                         "$request": "POST /login HTTP/1.1", "$status": "401", "$bytes": "52"}
    for bad in ['{ $.x = ', '{ $.x = 1 ', '[a, b', '{ x = 1 }', '{ $.x IS MAYBE }', '%[%']:
        with pytest.raises(ClientError) as e:
            logs.test_metric_filter(filterPattern=bad, logEventMessages=["x"])
        assert code(e) == "InvalidParameterException", bad
        with pytest.raises(ClientError) as e:
            logs.filter_log_events(logGroupName="patterns", filterPattern=bad)
        assert code(e) == "InvalidParameterException", bad


def test_metric_filters_metrics_statistics_and_errors(strict):
    logs, cw = strict.client("logs"), strict.client("cloudwatch")
    logs.create_log_group(logGroupName="api")
    logs.create_log_stream(logGroupName="api", logStreamName="s")
    logs.put_metric_filter(logGroupName="api", filterName="latency", filterPattern="{ $.latency = * }",
                           metricTransformations=[{"metricName": "Latency", "metricNamespace": "Api", "metricValue": "$.latency",
                                                   "dimensions": {"Operation": "$.op"}, "unit": "Milliseconds"}])
    logs.put_metric_filter(logGroupName="api", filterName="errors", filterPattern="ERROR",
                           metricTransformations=[{"metricName": "Errors", "metricNamespace": "Api", "metricValue": "1", "defaultValue": 0}])
    with pytest.raises(ClientError) as e:
        logs.put_metric_filter(logGroupName="api", filterName="bad", filterPattern="{ $.a = ",
                               metricTransformations=[{"metricName": "m", "metricNamespace": "n", "metricValue": "1"}])
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        logs.put_metric_filter(logGroupName="api", filterName="bad", filterPattern="x",
                               metricTransformations=[{"metricName": "m", "metricNamespace": "n", "metricValue": "1", "defaultValue": 0,
                                                       "dimensions": {"d": "$.d"}}])
    assert code(e) == "InvalidParameterException"
    assert [f["filterName"] for f in logs.describe_metric_filters(logGroupName="api")["metricFilters"]] == ["errors", "latency"]
    assert [f["filterName"] for f in logs.describe_metric_filters(metricName="Errors", metricNamespace="Api")["metricFilters"]] == ["errors"]
    t = now_ms()
    logs.put_log_events(logGroupName="api", logStreamName="s", logEvents=[
        {"timestamp": t, "message": json.dumps({"op": "get", "latency": 10})},
        {"timestamp": t + 1, "message": json.dumps({"op": "get", "latency": 30})},
        {"timestamp": t + 2, "message": json.dumps({"op": "put", "latency": 200})},
        {"timestamp": t + 3, "message": "ERROR something broke"},
    ])
    start, end = datetime.now(timezone.utc) - timedelta(minutes=5), datetime.now(timezone.utc) + timedelta(minutes=5)
    got = cw.get_metric_statistics(Namespace="Api", MetricName="Latency", Dimensions=[{"Name": "Operation", "Value": "get"}],
                                   StartTime=start, EndTime=end, Period=600, Statistics=["Sum", "SampleCount", "Average", "Maximum"])
    assert [(d["Sum"], d["SampleCount"], d["Average"], d["Maximum"], d["Unit"]) for d in got["Datapoints"]] == [(40, 2, 20, 30, "Milliseconds")]
    errors = cw.get_metric_statistics(Namespace="Api", MetricName="Errors", StartTime=start, EndTime=end, Period=600, Statistics=["Sum", "SampleCount"])
    assert [(d["Sum"], d["SampleCount"]) for d in errors["Datapoints"]] == [(1, 4)]  # three non-matching events emit the default 0
    names = {(m["MetricName"], tuple((d["Name"], d["Value"]) for d in m["Dimensions"])) for m in cw.list_metrics(Namespace="Api")["Metrics"]}
    assert names == {("Errors", ()), ("Latency", (("Operation", "get"),)), ("Latency", (("Operation", "put"),))}
    assert len(cw.list_metrics(Namespace="Api", Dimensions=[{"Name": "Operation", "Value": "put"}])["Metrics"]) == 1
    # PutMetricData: values with counts, statistic sets, percentiles; GetMetricData.
    ts = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    cw.put_metric_data(Namespace="Shop", MetricData=[
        {"MetricName": "Checkout", "Dimensions": [{"Name": "Region", "Value": "eu"}], "Timestamp": ts, "Values": [100, 200, 900], "Counts": [5, 4, 1],
         "Unit": "Milliseconds"},
        {"MetricName": "Checkout", "Dimensions": [{"Name": "Region", "Value": "eu"}], "Timestamp": ts, "Value": 50, "Unit": "Milliseconds"},
        {"MetricName": "Orders", "Timestamp": ts, "StatisticValues": {"SampleCount": 3, "Sum": 12, "Minimum": 2, "Maximum": 6}},
    ])
    s = cw.get_metric_statistics(Namespace="Shop", MetricName="Checkout", Dimensions=[{"Name": "Region", "Value": "eu"}], StartTime=ts,
                                 EndTime=ts + timedelta(minutes=1), Period=60, Statistics=["SampleCount", "Sum", "Minimum", "Maximum", "Average"],
                                 ExtendedStatistics=["p50", "p90", "p99"])["Datapoints"][0]
    assert (s["SampleCount"], s["Sum"], s["Minimum"], s["Maximum"]) == (11, 2250, 50, 900) and abs(s["Average"] - 2250 / 11) < 1e-9
    assert s["ExtendedStatistics"] == {"p50": 100, "p90": 200, "p99": 900} and s["Timestamp"] == ts
    o = cw.get_metric_statistics(Namespace="Shop", MetricName="Orders", StartTime=ts, EndTime=ts + timedelta(minutes=1), Period=60,
                                 Statistics=["Average", "Minimum"])["Datapoints"][0]
    assert (o["Average"], o["Minimum"]) == (4, 2)
    r = cw.get_metric_data(StartTime=ts - timedelta(minutes=2), EndTime=ts + timedelta(minutes=1), MetricDataQueries=[
        {"Id": "p90", "MetricStat": {"Metric": {"Namespace": "Shop", "MetricName": "Checkout", "Dimensions": [{"Name": "Region", "Value": "eu"}]},
                                     "Period": 60, "Stat": "p90"}},
        {"Id": "orders", "Label": "orders", "MetricStat": {"Metric": {"Namespace": "Shop", "MetricName": "Orders"}, "Period": 60, "Stat": "Sum"}},
    ])["MetricDataResults"]
    assert [(x["Id"], x["Label"], x["Values"], x["Timestamps"], x["StatusCode"]) for x in r] == [
        # No Label: the metric name, with the statistic added because the request's queries differ in it (the rule
        # recorded from CloudWatch in LocalStack's test_label_generation).
        ("p90", "Checkout p90", [200], [ts], "Complete"), ("orders", "orders", [12], [ts], "Complete")]
    # A large request: botocore gzips it, and every datum lands.
    cw.put_metric_data(Namespace="Bulk", MetricData=[{"MetricName": f"m{i:03d}", "Value": i, "Dimensions": [{"Name": "pad", "Value": "x" * 200}]}
                                                     for i in range(100)])
    assert len(cw.list_metrics(Namespace="Bulk")["Metrics"]) == 100
    # Bad input: CloudWatch's own error codes.
    bad = [
        (dict(Namespace="AWS/EC2", MetricData=[{"MetricName": "m", "Value": 1}]), "InvalidParameterValue"),
        (dict(Namespace="n", MetricData=[{"MetricName": "m", "Value": 1, "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}]),
         "InvalidParameterCombination"),
        (dict(Namespace="n", MetricData=[{"MetricName": "m", "Value": 1, "Timestamp": datetime.now(timezone.utc) - timedelta(days=15)}]),
         "InvalidParameterValue"),
        (dict(Namespace="n", MetricData=[{"MetricName": "m", "Values": [1, 2], "Counts": [1]}]), "InvalidParameterValue"),
        (dict(Namespace="n", MetricData=[{"MetricName": "m", "Value": 1, "Dimensions": [{"Name": "a", "Value": "1"}, {"Name": "a", "Value": "2"}]}]),
         "InvalidParameterValue"),
    ]
    for args, want in bad:
        with pytest.raises(ClientError) as e:
            cw.put_metric_data(**args)
        assert code(e) == want and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400, args
    for kw, want in [(dict(Period=45, Statistics=["Sum"]), "InvalidParameterValue"), (dict(Period=60), "InvalidParameterCombination"),
                     (dict(Period=60, Statistics=["Sum"], StartTime=ts - timedelta(days=2)), "InvalidParameterCombination")]:
        args = dict(Namespace="Shop", MetricName="Orders", StartTime=ts, EndTime=ts + timedelta(minutes=1))
        args.update(kw)
        with pytest.raises(ClientError) as e:
            cw.get_metric_statistics(**args)
        assert code(e) == want, kw


def test_alarms_lifecycle_history_and_errors(strict):
    cw, sns, sqs = strict.client("cloudwatch"), strict.client("sns"), strict.client("sqs")
    url, qarn = queue(sqs, "alarm-notes")
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    allow_service(sqs, url, "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    base = dict(AlarmName="high-latency", Namespace="Svc", MetricName="Latency", Statistic="Maximum", Period=10, EvaluationPeriods=2,
                DatapointsToAlarm=1, Threshold=500, ComparisonOperator="GreaterThanThreshold", AlarmActions=[topic], OKActions=[topic],
                Dimensions=[{"Name": "Host", "Value": "a"}], Tags=[{"Key": "team", "Value": "web"}])
    cw.put_metric_alarm(**base)
    a = cw.describe_alarms(AlarmNames=["high-latency"])["MetricAlarms"][0]
    account = strict.client("sts").get_caller_identity()["Account"]
    assert a["StateValue"] == "INSUFFICIENT_DATA" and a["StateReason"] == "Unchecked: Initial alarm creation"
    assert a["AlarmArn"] == f"arn:aws:cloudwatch:us-east-1:{account}:alarm:high-latency" and a["EvaluationPeriods"] == 2
    assert cw.list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"] == [{"Key": "team", "Value": "web"}]
    cw.put_metric_data(Namespace="Svc", MetricData=[{"MetricName": "Latency", "Value": 900, "Dimensions": [{"Name": "Host", "Value": "a"}]}])
    note = json.loads(drain(sqs, url, 1, timeout=10)[0]["Body"])
    assert note["AlarmName"] == "high-latency" and note["NewStateValue"] == "ALARM" and note["OldStateValue"] == "INSUFFICIENT_DATA"
    assert note["AWSAccountId"] == account and note["Region"] == "US East (N. Virginia)" and note["AlarmArn"] == a["AlarmArn"]
    assert note["NewStateReason"].startswith("Threshold Crossed: 1 out of the last 2 datapoints [900.0 (")
    assert note["Trigger"] == {"MetricName": "Latency", "Namespace": "Svc", "StatisticType": "Statistic", "Statistic": "MAXIMUM", "Unit": None,
                               "Dimensions": [{"value": "a", "name": "Host"}], "Period": 10, "EvaluationPeriods": 2, "DatapointsToAlarm": 1,
                               "ComparisonOperator": "GreaterThanThreshold", "Threshold": 500.0, "TreatMissingData": "missing",
                               "EvaluateLowSampleCountPercentile": ""}
    assert [x["AlarmName"] for x in cw.describe_alarms(StateValue="ALARM")["MetricAlarms"]] == ["high-latency"]
    assert [x["AlarmName"] for x in cw.describe_alarms_for_metric(Namespace="Svc", MetricName="Latency",
                                                                 Dimensions=[{"Name": "Host", "Value": "a"}])["MetricAlarms"]] == ["high-latency"]
    # SetAlarmState: the state and its actions at once; actions can be switched off.
    cw.disable_alarm_actions(AlarmNames=["high-latency"])
    cw.set_alarm_state(AlarmName="high-latency", StateValue="OK", StateReason="testing")
    assert drain(sqs, url, 1, timeout=1.5) == []
    cw.enable_alarm_actions(AlarmNames=["high-latency"])
    history = cw.describe_alarm_history(AlarmName="high-latency")["AlarmHistoryItems"]
    summaries = [h["HistorySummary"] for h in history]
    assert "Alarm updated from INSUFFICIENT_DATA to ALARM" in summaries and 'Alarm "high-latency" created' in summaries
    assert any(h["HistoryItemType"] == "Action" for h in history)
    state_changes = cw.describe_alarm_history(AlarmName="high-latency", HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert all(h["HistoryItemType"] == "StateUpdate" for h in state_changes) and json.loads(state_changes[-1]["HistoryData"])["newState"]["stateValue"] == "ALARM"
    errors = [
        (dict(base, Period=45), "ValidationError"),
        (dict(base, DatapointsToAlarm=3), "ValidationError"),
        (dict(base, ComparisonOperator="LessThanLowerOrGreaterThanUpperThreshold"), "ValidationError"),
        (dict(base, TreatMissingData="sometimes"), "ValidationError"),
        (dict(base, AlarmActions=["arn:aws:sqs:us-east-1:123456789012:q"]), "ValidationError"),
        (dict(base, ExtendedStatistic="p99"), "InvalidParameterCombination"),
    ]
    for args, want in errors:
        with pytest.raises(ClientError) as e:
            cw.put_metric_alarm(**args)
        assert code(e) == want, args
    with pytest.raises(ClientError) as e:
        cw.set_alarm_state(AlarmName="nope", StateValue="OK", StateReason="x")
    assert code(e) == "ResourceNotFound"
    with pytest.raises(ClientError) as e:
        cw.delete_alarms(AlarmNames=["high-latency", "nope"])
    assert code(e) == "ResourceNotFound"
    assert [a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"]] == ["high-latency"]  # one wrong name deletes nothing
    cw.delete_alarms(AlarmNames=["high-latency"])
    assert cw.describe_alarms()["MetricAlarms"] == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_trail_log_group_metric_filter_alarm_to_sqs_and_email(make_warden, backend):
    """The classic path, end to end, with a real SMTP server for the email subscriber."""
    from aiosmtpd.controller import Controller
    from email import message_from_bytes

    class Inbox:
        def __init__(self):
            self.mail = []

        async def handle_DATA(self, server, session, envelope):
            self.mail.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
            return "250 OK"

    inbox = Inbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        w = make_warden(backend, extra_args=["--smtp-url", f"smtp://127.0.0.1:{port}"])
        logs, cw, ct, sns, sqs, kms = (w.client(s) for s in ("logs", "cloudwatch", "cloudtrail", "sns", "sqs", "kms"))
        account = w.client("sts").get_caller_identity()["Account"]
        logs.create_log_group(logGroupName="CloudTrail/security")
        group_arn = logs.describe_log_groups(logGroupNamePrefix="CloudTrail/security")["logGroups"][0]["arn"]
        trail_bucket(w, "audit-bucket")
        role = f"arn:aws:iam::{account}:role/CloudTrail_CloudWatchLogs_Role"
        with pytest.raises(ClientError) as e:
            ct.create_trail(Name="main", S3BucketName="audit-bucket", CloudWatchLogsLogGroupArn=group_arn.replace("security", "missing"),
                            CloudWatchLogsRoleArn=role)
        assert code(e) == "InvalidCloudWatchLogsLogGroupArnException"
        with pytest.raises(ClientError) as e:
            ct.create_trail(Name="main", S3BucketName="audit-bucket", CloudWatchLogsLogGroupArn=group_arn)
        assert code(e) == "InvalidCloudWatchLogsRoleArnException"
        trail = ct.create_trail(Name="main", S3BucketName="audit-bucket", CloudWatchLogsLogGroupArn=group_arn, CloudWatchLogsRoleArn=role)
        assert trail["CloudWatchLogsLogGroupArn"] == group_arn and trail["CloudWatchLogsRoleArn"] == role
        ct.start_logging(Name="main")
        logs.put_metric_filter(logGroupName="CloudTrail/security", filterName="kms-disable-key",
                               filterPattern='{ ($.eventSource = "kms.amazonaws.com") && ($.eventName = "DisableKey") }',
                               metricTransformations=[{"metricName": "DisableKeyCount", "metricNamespace": "CloudTrailMetrics", "metricValue": "1"}])
        topic = sns.create_topic(Name="security-alarms")["TopicArn"]
        url, qarn = queue(sqs, "security-alarms")
        allow_service(sqs, url, "sns.amazonaws.com", topic)
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")
        deadline = time.time() + 15
        while not inbox.mail and time.time() < deadline:
            time.sleep(0.1)
        link = [ln for ln in inbox.mail[0][1].get_payload(decode=True).decode().splitlines() if "Action=ConfirmSubscription" in ln][0].strip()
        assert requests.get(link).status_code == 200
        inbox.mail.clear()
        cw.put_metric_alarm(AlarmName="kms-key-disabled", AlarmDescription="A KMS key was disabled", Namespace="CloudTrailMetrics",
                            MetricName="DisableKeyCount", Statistic="Sum", Period=10, EvaluationPeriods=1, Threshold=1,
                            ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching", AlarmActions=[topic])
        deadline = time.time() + 10
        while cw.describe_alarms(AlarmNames=["kms-key-disabled"])["MetricAlarms"][0]["StateValue"] != "OK" and time.time() < deadline:
            time.sleep(0.2)
        assert cw.describe_alarms(AlarmNames=["kms-key-disabled"])["MetricAlarms"][0]["StateValue"] == "OK"
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.disable_key(KeyId=key)
        envelope = json.loads(drain(sqs, url, 1, timeout=20)[0]["Body"])
        assert envelope["Subject"] == 'ALARM: "kms-key-disabled" in US East (N. Virginia)'
        note = json.loads(envelope["Message"])
        assert note["AlarmName"] == "kms-key-disabled" and note["NewStateValue"] == "ALARM" and note["OldStateValue"] == "OK"
        assert note["AlarmDescription"] == "A KMS key was disabled" and note["Trigger"]["MetricName"] == "DisableKeyCount"
        assert note["Trigger"]["Statistic"] == "SUM" and note["Trigger"]["Threshold"] == 1.0 and note["Trigger"]["TreatMissingData"] == "notBreaching"
        deadline = time.time() + 15
        while not inbox.mail and time.time() < deadline:
            time.sleep(0.1)
        rcpt, mail = inbox.mail[0]
        assert rcpt == ["oncall@example.com"] and mail["Subject"] == 'ALARM: "kms-key-disabled" in US East (N. Virginia)'
        assert json.loads(mail.get_payload(decode=True).decode().split("\n--")[0])["NewStateValue"] == "ALARM"
        # The event itself is in the trail's log group, in CloudTrail's stream for the account and region.
        events = logs.filter_log_events(logGroupName="CloudTrail/security", filterPattern='{ $.eventName = "DisableKey" }')["events"]
        assert len(events) == 1 and events[0]["logStreamName"] == f"{account}_CloudTrail_us-east-1"
        assert json.loads(events[0]["message"])["requestParameters"]["keyId"] == key
        assert ct.get_trail_status(Name="main")["LatestCloudWatchLogsDeliveryTime"]
        # With no further DisableKey calls the alarm returns to OK.
        deadline = time.time() + 30
        while cw.describe_alarms(AlarmNames=["kms-key-disabled"])["MetricAlarms"][0]["StateValue"] != "OK" and time.time() < deadline:
            time.sleep(0.5)
        assert cw.describe_alarms(AlarmNames=["kms-key-disabled"])["MetricAlarms"][0]["StateValue"] == "OK"
    finally:
        smtp.stop()


def test_function_output_and_subscription_filters(make_warden):
    from test_lambda import create, invoke, lam
    w = make_warden("sqlite", extra_args=["--enable-functions"])
    c, logs, sqs = lam(w), w.client("logs"), w.client("sqs")
    create(c, "talker", {"app.py": 'def handler(event, context):\n    print("hello from", event["who"])\n    return "ok"\n'})
    invoke(c, "talker", {"who": "test"})
    group = "/aws/lambda/talker"
    deadline = time.time() + 10  # function output is shipped off the invocation's path
    while time.time() < deadline and not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        time.sleep(0.1)
    while time.time() < deadline and not logs.filter_log_events(logGroupName=group, filterPattern="REPORT")["events"]:
        time.sleep(0.1)
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert len(streams) == 1 and "/[$LATEST]" in streams[0]["logStreamName"]
    lines = [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName=streams[0]["logStreamName"], startFromHead=True)["events"]]
    assert lines[0].startswith("START RequestId:") and "hello from test" in lines and lines[-1].startswith("REPORT RequestId:")
    # A subscription filter hands matching events to a function as CloudWatch Logs' gzip, base64 `awslogs` event.
    seen_url, _ = queue(sqs, "subscribed")
    receiver = '''
import base64, boto3, gzip, os
def handler(event, context):
    data = gzip.decompress(base64.b64decode(event["awslogs"]["data"])).decode()
    boto3.client("sqs").send_message(QueueUrl=os.environ["SEEN"], MessageBody=data)
'''
    fn = create(c, "receiver", {"app.py": receiver}, Timeout=30, Environment={"Variables": {"SEEN": seen_url}})["FunctionArn"]
    c.add_permission(FunctionName="receiver", StatementId="logs", Action="lambda:InvokeFunction", Principal="logs.amazonaws.com")
    logs.create_log_group(logGroupName="app")
    logs.create_log_stream(logGroupName="app", logStreamName="s")
    logs.put_subscription_filter(logGroupName="app", filterName="errors", filterPattern="ERROR", destinationArn=fn)
    assert [f["filterName"] for f in logs.describe_subscription_filters(logGroupName="app")["subscriptionFilters"]] == ["errors"]
    t = now_ms()
    logs.put_log_events(logGroupName="app", logStreamName="s", logEvents=[
        {"timestamp": t, "message": "ERROR one"}, {"timestamp": t + 1, "message": "fine"}, {"timestamp": t + 2, "message": "ERROR two"}])
    body = json.loads(drain(sqs, seen_url, 1, timeout=30)[0]["Body"])
    account = w.client("sts").get_caller_identity()["Account"]
    assert body["messageType"] == "DATA_MESSAGE" and body["owner"] == account and body["logGroup"] == "app" and body["logStream"] == "s"
    assert body["subscriptionFilters"] == ["errors"] and [e["message"] for e in body["logEvents"]] == ["ERROR one", "ERROR two"]
    logs.delete_subscription_filter(logGroupName="app", filterName="errors")
    with pytest.raises(ClientError) as e:
        logs.put_subscription_filter(logGroupName="app", filterName="q", filterPattern="", destinationArn="arn:aws:sqs:us-east-1:1:q")
    assert code(e) == "InvalidParameterException"


@pytest.mark.parametrize("backend", BACKENDS)
def test_retention_is_enforced_in_the_background(make_warden, backend):
    w = make_warden(backend, dev=True, extra_args=["--job-interval", "0.2"])
    logs = w.client("logs")
    logs.create_log_group(logGroupName="short")
    logs.create_log_stream(logGroupName="short", logStreamName="s")
    logs.put_log_events(logGroupName="short", logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "soon gone"}])
    logs.put_retention_policy(logGroupName="short", retentionInDays=1)
    requests.post(f"{w.endpoint}/_warden/clock?advance={2 * 86400}")
    deadline = time.time() + 10
    while logs.filter_log_events(logGroupName="short")["events"] and time.time() < deadline:
        time.sleep(0.2)
    assert logs.filter_log_events(logGroupName="short")["events"] == []


def cbor_client(w, tmp_path):
    """A botocore CloudWatch client over Smithy RPC v2 CBOR only: botocore's own CBOR serializer and parser carry
    every call."""
    return cloudwatch_client(w, tmp_path, "smithy-rpc-v2-cbor")


def test_cloudwatch_over_rpc_v2_cbor(strict, tmp_path):
    cw = cbor_client(strict, tmp_path)
    sent = []
    cw.meta.events.register("before-send.cloudwatch.*", lambda request, **kw: sent.append((request.url, request.headers.get("smithy-protocol"))))
    ts = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    cw.put_metric_data(Namespace="Cbor", MetricData=[{"MetricName": "Bytes", "Timestamp": ts, "Values": [1.5, 2.5], "Counts": [2, 2],
                                                      "Dimensions": [{"Name": "Host", "Value": "h1"}], "Unit": "Bytes"}])
    assert sent[-1] == (f"{strict.endpoint}/service/GraniteServiceVersion20100801/operation/PutMetricData", b"rpc-v2-cbor")
    s = cw.get_metric_statistics(Namespace="Cbor", MetricName="Bytes", Dimensions=[{"Name": "Host", "Value": "h1"}], StartTime=ts,
                                 EndTime=ts + timedelta(minutes=1), Period=60, Statistics=["Sum", "SampleCount"])["Datapoints"]
    assert [(d["Sum"], d["SampleCount"], d["Timestamp"], d["Unit"]) for d in s] == [(8.0, 4.0, ts, "Bytes")]
    cw.put_metric_alarm(AlarmName="cbor-alarm", Namespace="Cbor", MetricName="Bytes", Statistic="Sum", Period=60, EvaluationPeriods=1,
                        Threshold=1e9, ComparisonOperator="GreaterThanThreshold")
    alarms = cw.describe_alarms(AlarmNames=["cbor-alarm"])["MetricAlarms"]
    assert alarms[0]["Threshold"] == 1e9 and isinstance(alarms[0]["AlarmConfigurationUpdatedTimestamp"], datetime)
    with pytest.raises(ClientError) as e:
        cw.put_metric_data(Namespace="AWS/Cbor", MetricData=[{"MetricName": "m", "Value": 1}])
    assert code(e) == "InvalidParameterValue" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # A malformed body is a client error, not a crash.
    r = requests.post(f"{strict.endpoint}/service/GraniteServiceVersion20100801/operation/ListMetrics", data=b"\xbf\x61",
                      headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"})
    assert 400 <= r.status_code < 500


def test_cloudwatch_over_query_with_an_older_sdk(strict, legacy_python):
    """boto3 1.26's CloudWatch model still speaks the Query protocol."""
    import os
    import subprocess
    import sys
    from test_sqs_query import HERE
    target = legacy_python
    key, secret = strict.credentials()
    env = dict(os.environ, PYTHONPATH=target, WARDEN_ENDPOINT=strict.endpoint, WARDEN_KEY=key, WARDEN_SECRET=secret)
    r = subprocess.run([sys.executable, os.path.join(HERE, "legacy", "cloudwatch_query_client.py")], capture_output=True, text=True,
                       timeout=120, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout)
    assert out["protocol"] == "query"
    assert out["stats"] == [[6.0, 3.0, "Count"]] and out["metrics"] == [["Legacy", "Hits", [["Page", "/home"]]]]
    assert out["alarm"] == ["legacy-alarm", 10.0, "GreaterThanThreshold", [["Page", "/home"]]]
    assert out["error"] == {"code": "InvalidParameterValue", "status": 400}
    assert out["missing"] == {"code": "ResourceNotFound", "status": 404}


def test_gzip_request_bodies_are_checked(strict):
    """Botocore gzips large PutMetricData bodies; a body that is not gzip, or inflates past 16 MiB, is a client error."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    key, secret = strict.credentials()

    def send(body):
        req = AWSRequest(method="POST", url=strict.endpoint + "/", data=body, headers={
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics", "Content-Encoding": "gzip"})
        SigV4Auth(Credentials(key, secret), "monitoring", "us-east-1").add_auth(req)
        return requests.post(req.url, data=body, headers=dict(req.headers))

    assert send(gzip.compress(b"{}")).status_code == 200
    for body in [b"not gzip", gzip.compress(b"{" + b" " * (17 * 1024 * 1024) + b"}")]:
        r = send(body)
        assert r.status_code == 400 and r.headers["x-amzn-ErrorType"] == "SerializationException", r.text
