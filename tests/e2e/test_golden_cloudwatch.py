"""Golden responses for every CloudWatch (metrics and alarms) operation Warden serves, each success body compared
whole (golden.py). The client is driven over AWS JSON 1.0 (as in test_fidelity_cloudwatch.py) so the body is JSON.
Sources: LS-CW = localstack/localstack tests/aws/services/cloudwatch/test_cloudwatch.snapshot.json (recorded against
AWS; e.g. test_describe_minimal_metric_alarm, test_put_metric_data_values_list, test_get_metric_data,
test_set_alarm / describe_alarm_history, test_list_tags_for_resource); CLI-EX = AWS CLI examples
awscli/examples/cloudwatch/*.rst; API-REF = Amazon CloudWatch API Reference. Operations with no output shape: an empty
body or `{}` is accepted."""
from datetime import datetime, timedelta, timezone

import pytest

from conftest import BACKENDS
from golden import golden, no_output
from test_fidelity_cloudwatch import json_client

ACCT = r"\d{12}"



@pytest.mark.parametrize("backend", BACKENDS)
def test_metrics_alarms_history_and_tags(make_warden, backend, tmp_path):
    w = make_warden(backend)
    cw = json_client(w, tmp_path)
    ts = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=5)
    dims = [{"Name": "d", "Value": "v"}]
    no_output(cw, "put_metric_data", {"Namespace": "golden", "MetricData": [{"MetricName": "m", "Value": 45, "Unit": "Seconds",
                                                                               "Timestamp": ts, "Dimensions": dims}]},
              "API-REF PutMetricData / CLI-EX put-metric-data (no output)")
    golden(cw, "list_metrics", {"Namespace": "golden"},
           {"Metrics": [{"Namespace": "golden", "MetricName": "m", "Dimensions": dims}]}, "CLI-EX list-metrics + LS-CW list_metrics")
    rng = {"StartTime": ts - timedelta(minutes=5), "EndTime": ts + timedelta(minutes=5)}
    # Statistics are doubles on the wire: 45.0, SampleCount 1.0.
    golden(cw, "get_metric_statistics", dict(rng, Namespace="golden", MetricName="m", Dimensions=dims, Period=600,
                                             Statistics=["SampleCount", "Average", "Sum", "Minimum", "Maximum"]),
           {"Label": "m", "Datapoints": [{"Timestamp": "$timestamp", "SampleCount": 1.0, "Average": 45.0, "Sum": 45.0,
                                          "Minimum": 45.0, "Maximum": 45.0, "Unit": "Seconds"}]},
           "CLI-EX get-metric-statistics + LS-CW (Datapoints with Unit, doubles)")
    golden(cw, "get_metric_statistics", dict(rng, Namespace="golden", MetricName="m", Dimensions=dims, Period=600,
                                             ExtendedStatistics=["p99"]),
           {"Label": "m", "Datapoints": [{"Timestamp": "$timestamp", "Unit": "Seconds", "ExtendedStatistics": {"p99": 45.0}}]},
           "API-REF Datapoint.ExtendedStatistics")
    golden(cw, "get_metric_data", dict(rng, MetricDataQueries=[{"Id": "a", "MetricStat": {
        "Metric": {"Namespace": "golden", "MetricName": "m", "Dimensions": dims}, "Period": 60, "Stat": "Sum"}}]),
           {"MetricDataResults": [{"Id": "a", "Label": "m", "Timestamps": ["$timestamp"], "Values": [45.0], "StatusCode": "Complete"}],
            "Messages": []}, "LS-CW test_get_metric_data (MetricDataResults + Messages [])")
    no_output(cw, "put_metric_alarm", {"AlarmName": "golden", "MetricName": "m", "Namespace": "golden", "Period": 60,
                                       "EvaluationPeriods": 1, "Threshold": 30, "ComparisonOperator": "GreaterThanThreshold",
                                       "Statistic": "Average", "Tags": [{"Key": "k", "Value": "v"}]}, "API-REF PutMetricAlarm")
    alarm = {"ActionsEnabled": True, "AlarmActions": [], "AlarmArn": f"re:arn:aws:cloudwatch:us-east-1:{ACCT}:alarm:golden",
             "AlarmConfigurationUpdatedTimestamp": "$timestamp", "AlarmName": "golden", "ComparisonOperator": "GreaterThanThreshold",
             "Dimensions": [], "EvaluationPeriods": 1, "InsufficientDataActions": [], "MetricName": "m", "Namespace": "golden",
             "OKActions": [], "Period": 60, "StateReason": "Unchecked: Initial alarm creation", "StateTransitionedTimestamp": "$timestamp",
             "StateUpdatedTimestamp": "$timestamp", "StateValue": "INSUFFICIENT_DATA", "Statistic": "Average", "Threshold": 30.0}
    golden(cw, "describe_alarms", {"AlarmNames": ["golden"]}, {"CompositeAlarms": [], "MetricAlarms": [alarm]},
           "LS-CW test_describe_minimal_metric_alarm (Threshold 30.0, empty action lists)")
    no_output(cw, "set_alarm_state", {"AlarmName": "golden", "StateValue": "ALARM", "StateReason": "test"}, "API-REF SetAlarmState")
    alarmed = dict(alarm, StateValue="ALARM", StateReason="test")
    golden(cw, "describe_alarms_for_metric", {"MetricName": "m", "Namespace": "golden"}, {"MetricAlarms": [alarmed]},
           "LS-CW describe_alarms_for_metric (MetricAlarms only)")
    golden(cw, "describe_alarm_history", {"AlarmName": "golden", "HistoryItemType": "StateUpdate"},
           {"AlarmHistoryItems": [{"AlarmName": "golden", "AlarmType": "MetricAlarm", "Timestamp": "$timestamp",
                                   "HistoryItemType": "StateUpdate", "HistorySummary": "Alarm updated from INSUFFICIENT_DATA to ALARM",
                                   "HistoryData": "$string"}]},
           "LS-CW test_set_alarm (describe-alarm-history: HistorySummary 'Alarm updated from INSUFFICIENT_DATA to ALARM') + "
           "CLI-EX describe-alarm-history")
    no_output(cw, "disable_alarm_actions", {"AlarmNames": ["golden"]}, "API-REF DisableAlarmActions")
    no_output(cw, "enable_alarm_actions", {"AlarmNames": ["golden"]}, "API-REF EnableAlarmActions")
    arn = cw.describe_alarms(AlarmNames=["golden"])["MetricAlarms"][0]["AlarmArn"]
    golden(cw, "list_tags_for_resource", {"ResourceARN": arn}, {"Tags": [{"Key": "k", "Value": "v"}]},
           "LS-CW test_list_tags_for_resource / CLI-EX list-tags-for-resource")
    no_output(cw, "tag_resource", {"ResourceARN": arn, "Tags": [{"Key": "x", "Value": "y"}]}, "API-REF TagResource")
    no_output(cw, "untag_resource", {"ResourceARN": arn, "TagKeys": ["x", "k"]}, "API-REF UntagResource")
    golden(cw, "list_tags_for_resource", {"ResourceARN": arn}, {"Tags": []}, "LS-CW (no tags: Tags [])")
    no_output(cw, "delete_alarms", {"AlarmNames": ["golden"]}, "API-REF DeleteAlarms")
    golden(cw, "describe_alarms", {}, {"CompositeAlarms": [], "MetricAlarms": []}, "LS-CW (every DescribeAlarms response)")
