"""CloudWatch metrics/alarms and CloudWatch Logs answer as AWS does: DescribeAlarms documents, GetMetricData labels
and unit messages, GetMetricStatistics per-unit datapoints, PutMetricData validation texts, and CloudWatch Logs'
PutLogEvents token and error texts. Raw bodies are compared (golden.py); CloudWatch is driven over its AWS JSON 1.0
protocol so the body is JSON. "LS snapshot" = LocalStack's test_cloudwatch.snapshot.json / test_logs_*.snapshot.json,
recorded against AWS."""
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from conftest import BACKENDS, cloudwatch_client, code
from golden import golden

CW_SRC = "LS snapshot test_cloudwatch.py::TestCloudwatch"


@pytest.fixture(params=BACKENDS)
def dev(request, make_warden):
    """A dev-mode server on each storage backend (overrides conftest's SQLite-only one)."""
    return make_warden(request.param, dev=True)


def json_client(w, tmp_path):
    """A CloudWatch client over AWS JSON 1.0 only, so the raw bodies are JSON."""
    return cloudwatch_client(w, tmp_path, "json")


def test_describe_alarms_documents(dev, tmp_path):
    cw = json_client(dev, tmp_path)
    golden(cw, "describe_alarms", {}, {"CompositeAlarms": [], "MetricAlarms": []}, f"{CW_SRC} (every DescribeAlarms response)")
    cw.put_metric_alarm(AlarmName="minimal", MetricName="m", Namespace="n", Period=60, EvaluationPeriods=1, Threshold=30,
                        ComparisonOperator="GreaterThanThreshold", Statistic="Average")
    minimal = {
        "ActionsEnabled": True, "AlarmActions": [], "AlarmArn": "re:arn:aws:cloudwatch:us-east-1:\\d{12}:alarm:minimal",
        "AlarmConfigurationUpdatedTimestamp": "$timestamp", "AlarmName": "minimal", "ComparisonOperator": "GreaterThanThreshold",
        "Dimensions": [], "EvaluationPeriods": 1, "InsufficientDataActions": [], "MetricName": "m", "Namespace": "n", "OKActions": [],
        "Period": 60, "StateReason": "Unchecked: Initial alarm creation", "StateTransitionedTimestamp": "$timestamp",
        "StateUpdatedTimestamp": "$timestamp", "StateValue": "INSUFFICIENT_DATA", "Statistic": "Average", "Threshold": 30.0,
    }
    golden(cw, "describe_alarms", {"AlarmNames": ["minimal"]}, {"CompositeAlarms": [], "MetricAlarms": [minimal]},
           f"{CW_SRC}::test_describe_minimal_metric_alarm")
    cw.put_metric_alarm(AlarmName="full", MetricName="m", Namespace="n", Period=30, EvaluationPeriods=2, DatapointsToAlarm=1, Threshold=2,
                        ComparisonOperator="GreaterThanThreshold", Statistic="Average", Unit="Seconds", TreatMissingData="notBreaching",
                        AlarmDescription="d")
    full = dict(minimal, AlarmArn="re:arn:aws:cloudwatch:us-east-1:\\d{12}:alarm:full", AlarmName="full", Period=30, EvaluationPeriods=2,
                DatapointsToAlarm=1, Threshold=2.0, Unit="Seconds", TreatMissingData="notBreaching", AlarmDescription="d")
    golden(cw, "describe_alarms", {"AlarmNames": ["full"]}, {"CompositeAlarms": [], "MetricAlarms": [full]},
           f"{CW_SRC} (alarm with Unit, TreatMissingData, AlarmDescription)")
    # DescribeAlarmsForMetric has no CompositeAlarms.
    golden(cw, "describe_alarms_for_metric", {"MetricName": "m", "Namespace": "n", "Period": 60}, {"MetricAlarms": [minimal]},
           f"{CW_SRC} (DescribeAlarmsForMetric)")
    with pytest.raises(ClientError) as e:
        cw.set_alarm_state(AlarmName="nope", StateValue="OK", StateReason="x")
    assert code(e) == "ResourceNotFound" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert not e.value.response["Error"].get("Message"), "recorded: no Message"


def put(cw, name, values, unit, ts):
    cw.put_metric_data(Namespace="fid", MetricData=[{"MetricName": name, "Values": values, "Unit": unit, "Timestamp": ts}])


def test_get_metric_data_labels_and_units(dev, tmp_path):
    cw = json_client(dev, tmp_path)
    ts = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=5)
    put(cw, "metric1", [1.0, 2.0], "Seconds", ts)
    put(cw, "metric1", [3.0], "Milliseconds", ts)
    start, end = ts - timedelta(minutes=5), ts + timedelta(minutes=5)

    def q(i, stat, period, unit=None, label=None):
        s = {"Metric": {"Namespace": "fid", "MetricName": "metric1"}, "Period": period, "Stat": stat}
        if unit:
            s["Unit"] = unit
        out = {"Id": i, "MetricStat": s}
        if label:
            out["Label"] = label
        return out

    def labels(queries):
        r = cw.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=end)
        return [x["Label"] for x in r["MetricDataResults"]]

    src = f"{CW_SRC}::test_label_generation, recorded 15-12-2023"
    assert labels([q("a", "Sum", 60, "Seconds")]) == ["metric1"]
    assert labels([q("a", "Sum", 60, "Seconds"), q("b", "Minimum", 30, "Seconds")]) == ["metric1 Sum 60", "metric1 Minimum 30"], src
    assert labels([q("a", "Sum", 60, "Seconds"), q("b", "Minimum", 60, "Seconds")]) == ["metric1 Sum", "metric1 Minimum"], src
    assert labels([q("a", "Sum", 60, "Seconds"), q("b", "Sum", 30, "Seconds")]) == ["metric1 60", "metric1 30"], src
    assert labels([q("a", "Sum", 60, "Seconds"), q("b", "Sum", 60, "Milliseconds")]) == ["metric1", "metric1"], src
    assert labels([q("a", "Sum", 60, label="mine"), q("b", "Minimum", 60)]) == ["mine", "metric1 Minimum"]
    # No Unit in the query, data with two units: aggregated, and said so.
    golden(cw, "get_metric_data", {"MetricDataQueries": [q("a", "Sum", 600)], "StartTime": start, "EndTime": end},
           {"Messages": [], "MetricDataResults": [{"Id": "a", "Label": "metric1", "StatusCode": "Complete", "Timestamps": ["$timestamp"],
                                                   "Values": [6.0], "Messages": [{"Code": "MultipleUnits",
                                                                                  "Value": "Multiple units returned: '[Milliseconds, Seconds]'"}]}]},
           f"{CW_SRC}::test_get_metric_data_different_units_no_unit_in_query")
    # GetMetricStatistics: one datapoint per unit.
    got = cw.get_metric_statistics(Namespace="fid", MetricName="metric1", StartTime=start, EndTime=end, Period=600, Statistics=["Sum"])
    assert sorted((d["Unit"], d["Sum"]) for d in got["Datapoints"]) == [("Milliseconds", 3.0), ("Seconds", 3.0)], \
        f"{CW_SRC}::test_handle_different_units"


def test_put_metric_data_and_statistics_validation(dev, tmp_path):
    cw = json_client(dev, tmp_path)

    def error(call, **kw):
        with pytest.raises(ClientError) as e:
            getattr(cw, call)(**kw)
        return e.value.response["Error"]["Message"]

    assert error("put_metric_data", Namespace="fid", MetricData=[{"MetricName": "m", "Value": 1, "Values": [1]}]) == \
        "The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually exclusive and you have specified both."
    assert error("put_metric_data", Namespace="fid", MetricData=[{"MetricName": "m", "Value": 1, "StatisticValues": {
        "SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}]) == \
        "The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually exclusive and you have specified both."
    assert error("put_metric_data", Namespace="fid", MetricData=[{"MetricName": "m", "Values": [1, 2], "Counts": [1]}]) == \
        "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size."
    now = datetime.now(timezone.utc)
    assert error("get_metric_statistics", Namespace="fid", MetricName="m", StartTime=now - timedelta(days=13), EndTime=now, Period=60,
                 Statistics=["Sum"]) == ("You have requested up to 18720 datapoints, which exceeds the limit of 1440. You may reduce the "
                                         "datapoints requested by increasing Period, or decreasing the time range.")
    assert error("get_metric_statistics", Namespace="fid", MetricName="m", StartTime=now, EndTime=now, Period=60,
                 Statistics=["Sum"]) == "The parameter StartTime must be less than the parameter EndTime."


LOGS_SRC = "LS snapshot test_logs_events / test_logs_streams / test_logs_groups, recorded Feb 2026"


def test_logs_texts_and_put_log_events_token(dev):
    logs = dev.client("logs")
    logs.create_log_group(logGroupName="g")
    logs.create_log_stream(logGroupName="g", logStreamName="s")
    golden(logs, "create_log_group", {"logGroupName": "g"},
           {"__type": "ResourceAlreadyExistsException", "message": "The specified log group already exists"}, LOGS_SRC, status=400)
    golden(logs, "create_log_stream", {"logGroupName": "g", "logStreamName": "s"},
           {"__type": "ResourceAlreadyExistsException", "message": "The specified log stream already exists"}, LOGS_SRC, status=400)
    now = int(datetime.now(timezone.utc).timestamp() * 1000)
    golden(logs, "put_log_events", {"logGroupName": "g", "logStreamName": "nope", "logEvents": [{"timestamp": now, "message": "x"}]},
           {"__type": "ResourceNotFoundException", "message": "The specified log stream does not exist."}, LOGS_SRC, status=400)
    golden(logs, "get_log_events", {"logGroupName": "nope", "logStreamName": "s"},
           {"__type": "ResourceNotFoundException", "message": "The specified log group does not exist."}, LOGS_SRC, status=400)
    golden(logs, "put_log_events", {"logGroupName": "g", "logStreamName": "s", "logEvents": [{"timestamp": now, "message": "x"}]},
           {"nextSequenceToken": "re:\\d{56}"}, f"{LOGS_SRC} (PutLogEvents still returns nextSequenceToken)")
    golden(logs, "describe_log_streams", {"logGroupName": "g", "logGroupIdentifier": "g"},
           {"__type": "ValidationException", "message": "LogGroup name and LogGroup ARN are mutually exclusive parameters."}, LOGS_SRC,
           status=400)
    golden(logs, "describe_log_groups", {"logGroupNamePrefix": "g", "logGroupNamePattern": "g"},
           {"__type": "InvalidParameterException",
            "message": "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."}, LOGS_SRC, status=400)
