"""Golden responses for every CloudWatch Logs operation Warden serves, each success body compared whole (golden.py).
Sources (LocalStack snapshot files, recorded against AWS; repository localstack/localstack, tests/aws/services/logs/):
  LS-GROUPS  = test_logs_groups.snapshot.json (recorded Feb 2026)
  LS-STREAMS = test_logs_streams.snapshot.json
  LS-EVENTS  = test_logs_events.snapshot.json (recorded Feb 2026)
  LS-FILTER  = test_logs_filter_events.snapshot.json
  LS-MF      = test_logs_metric_filters.snapshot.json (recorded 05-02-2026)
  LS-SF      = test_logs_subscription_filters.snapshot.json (recorded 06-02-2026)
  API-REF    = Amazon CloudWatch Logs API Reference (response syntax of the operation)
Operations with no output shape: API-REF says "If the action is successful, the service sends back an HTTP 200
response with an empty HTTP body"; an empty body or `{}` is accepted."""
import time

import pytest

from conftest import BACKENDS
from golden import golden, no_output

ACCT = r"\d{12}"



def group_entry(name, **extra):
    e = {"arn": f"re:arn:aws:logs:us-east-1:{ACCT}:log-group:{name}:\\*", "creationTime": "$timestamp",
         "deletionProtectionEnabled": False, "logGroupArn": f"re:arn:aws:logs:us-east-1:{ACCT}:log-group:{name}",
         "logGroupClass": "STANDARD", "logGroupName": name, "metricFilterCount": 0, "storedBytes": 0}
    e.update(extra)
    return e


@pytest.mark.parametrize("backend", BACKENDS)
def test_groups_streams_events_and_tags(make_warden, backend):
    w = make_warden(backend)
    logs = w.client("logs")
    no_output(logs, "create_log_group", {"logGroupName": "golden"}, "API-REF CreateLogGroup")
    golden(logs, "describe_log_groups", {"logGroupNamePrefix": "golden"}, {"logGroups": [group_entry("golden")]},
           "LS-GROUPS (DescribeLogGroups entry, 2026: arn with :*, logGroupArn without, logGroupClass, deletionProtectionEnabled)")
    no_output(logs, "put_retention_policy", {"logGroupName": "golden", "retentionInDays": 7}, "API-REF PutRetentionPolicy")
    golden(logs, "describe_log_groups", {"logGroupNamePrefix": "golden"},
           {"logGroups": [group_entry("golden", retentionInDays=7)]}, "LS-GROUPS (retentionInDays only when set)")
    no_output(logs, "delete_retention_policy", {"logGroupName": "golden"}, "API-REF DeleteRetentionPolicy")
    no_output(logs, "create_log_stream", {"logGroupName": "golden", "logStreamName": "s1"}, "API-REF CreateLogStream")
    stream_arn = f"re:arn:aws:logs:us-east-1:{ACCT}:log-group:golden:log-stream:s1"
    golden(logs, "describe_log_streams", {"logGroupName": "golden"},
           {"logStreams": [{"arn": stream_arn, "creationTime": "$timestamp", "logStreamName": "s1", "storedBytes": 0}]},
           "LS-STREAMS (a fresh stream: no event timestamps yet)")
    now = int(time.time() * 1000)
    golden(logs, "put_log_events", {"logGroupName": "golden", "logStreamName": "s1",
                                    "logEvents": [{"timestamp": now, "message": "hello"}, {"timestamp": now + 1, "message": "ERROR x"}]},
           {"nextSequenceToken": "re:\\d{56}"}, "LS-EVENTS (PutLogEvents still returns nextSequenceToken)")
    golden(logs, "describe_log_streams", {"logGroupName": "golden"},
           {"logStreams": [{"arn": stream_arn, "creationTime": "$timestamp", "logStreamName": "s1", "storedBytes": "$number",
                            "firstEventTimestamp": now, "lastEventTimestamp": now + 1, "lastIngestionTime": "$timestamp"}]},
           "LS-STREAMS + API-REF LogStream (first/lastEventTimestamp, lastIngestionTime once events exist)")
    ev = [{"timestamp": now, "message": "hello", "ingestionTime": "$timestamp"},
          {"timestamp": now + 1, "message": "ERROR x", "ingestionTime": "$timestamp"}]
    golden(logs, "get_log_events", {"logGroupName": "golden", "logStreamName": "s1", "startFromHead": True},
           {"events": ev, "nextForwardToken": "re:f/\\d+/\\d+", "nextBackwardToken": "re:b/\\d+/\\d+"},
           "LS-EVENTS (GetLogEvents: events, nextForwardToken f/..., nextBackwardToken b/...)")
    fev = [dict(e, logStreamName="s1", eventId="re:\\d{56}") for e in ev]
    golden(logs, "filter_log_events", {"logGroupName": "golden"}, {"events": fev, "searchedLogStreams": []},
           "LS-FILTER (FilterLogEvents: events with logStreamName and eventId; searchedLogStreams [])")
    golden(logs, "filter_log_events", {"logGroupName": "golden", "filterPattern": "ERROR"}, {"events": fev[1:], "searchedLogStreams": []},
           "LS-FILTER")
    # Tags, both the old and the ARN-based operations.
    no_output(logs, "tag_log_group", {"logGroupName": "golden", "tags": {"team": "a"}}, "API-REF TagLogGroup")
    golden(logs, "list_tags_log_group", {"logGroupName": "golden"}, {"tags": {"team": "a"}}, "LS-GROUPS / API-REF ListTagsLogGroup")
    no_output(logs, "untag_log_group", {"logGroupName": "golden", "tags": ["team"]}, "API-REF UntagLogGroup")
    arn = logs.describe_log_groups(logGroupNamePrefix="golden")["logGroups"][0]["logGroupArn"]
    no_output(logs, "tag_resource", {"resourceArn": arn, "tags": {"env": "t"}}, "API-REF TagResource")
    golden(logs, "list_tags_for_resource", {"resourceArn": arn}, {"tags": {"env": "t"}}, "API-REF ListTagsForResource")
    no_output(logs, "untag_resource", {"resourceArn": arn, "tagKeys": ["env"]}, "API-REF UntagResource")
    golden(logs, "list_tags_for_resource", {"resourceArn": arn}, {"tags": {}}, "API-REF ListTagsForResource")
    golden(logs, "test_metric_filter", {"filterPattern": "ERROR", "logEventMessages": ["ERROR x", "fine"]},
           {"matches": [{"eventNumber": 1, "eventMessage": "ERROR x", "extractedValues": {}}]},
           "API-REF TestMetricFilter (MetricFilterMatchRecord: eventNumber, eventMessage, extractedValues)")
    no_output(logs, "put_metric_filter", {"logGroupName": "golden", "filterName": "f", "filterPattern": "ERROR",
                                          "metricTransformations": [{"metricName": "m", "metricNamespace": "n", "metricValue": "1"}]},
              "LS-MF (put_metric_filter)")
    no_output(logs, "delete_metric_filter", {"logGroupName": "golden", "filterName": "f"}, "API-REF DeleteMetricFilter")
    golden(logs, "describe_subscription_filters", {"logGroupName": "golden"}, {"subscriptionFilters": []},
           "LS-SF test_describe_subscription_filters_empty")
    no_output(logs, "put_subscription_filter", {"logGroupName": "golden", "filterName": "sf", "filterPattern": "",
                                                "destinationArn": "arn:aws:lambda:us-east-1:000000000000:function:x"},
              "LS-SF put_subscription_filter (no body members)")
    no_output(logs, "delete_subscription_filter", {"logGroupName": "golden", "filterName": "sf"}, "API-REF DeleteSubscriptionFilter")
    no_output(logs, "delete_log_stream", {"logGroupName": "golden", "logStreamName": "s1"}, "API-REF DeleteLogStream")
    no_output(logs, "delete_log_group", {"logGroupName": "golden"}, "API-REF DeleteLogGroup")
    golden(logs, "describe_log_groups", {"logGroupNamePrefix": "golden"}, {"logGroups": []}, "LS-GROUPS (no groups: empty list)")


@pytest.mark.parametrize("backend", BACKENDS)
def test_describe_metric_filters_document(make_warden, backend):
    logs = make_warden(backend).client("logs")
    logs.create_log_group(logGroupName="golden")
    logs.put_metric_filter(logGroupName="golden", filterName="f", filterPattern="pattern",
                           metricTransformations=[{"metricName": "metric", "metricNamespace": "namespace", "metricValue": "1"}])
    golden(logs, "describe_metric_filters", {"logGroupName": "golden"},
           {"metricFilters": [{"applyOnTransformedLogs": False, "creationTime": "$timestamp", "filterName": "f",
                               "filterPattern": "pattern", "logGroupName": "golden",
                               "metricTransformations": [{"metricName": "metric", "metricNamespace": "namespace", "metricValue": "1"}]}]},
           "LS-MF TestMetricFilters::test_describe_metric_filters_by_log_group")


@pytest.mark.parametrize("backend", BACKENDS)
def test_describe_subscription_filters_document(make_warden, backend):
    logs = make_warden(backend).client("logs")
    logs.create_log_group(logGroupName="golden")
    fn = "arn:aws:lambda:us-east-1:000000000000:function:x"
    logs.put_subscription_filter(logGroupName="golden", filterName="test", filterPattern="", destinationArn=fn)
    golden(logs, "describe_subscription_filters", {"logGroupName": "golden"},
           {"subscriptionFilters": [{"applyOnTransformedLogs": False, "creationTime": "$timestamp", "destinationArn": fn,
                                     "distribution": "ByLogStream", "filterName": "test", "filterPattern": "",
                                     "logGroupName": "golden"}]},
           "LS-SF TestSubscriptionFilters::test_put_subscription_filter_lambda (describe_subscription_filter)")
