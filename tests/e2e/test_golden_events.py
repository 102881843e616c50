"""Golden responses for every EventBridge operation Warden serves, each success body compared whole (golden.py).
Sources: LS-EVENTS = localstack/localstack tests/aws/services/events/test_events.snapshot.json (recorded against AWS);
LS-TAGS = test_events_tags.snapshot.json; LS-TARGETS = test_events_targets.snapshot.json; LS-RULES =
test_events_rules.snapshot.json; CLI-EX = AWS CLI examples awscli/examples/events/*.rst; API-REF = Amazon EventBridge
API Reference. Operations with no output shape: API-REF says "If the action is successful, the service sends back an
HTTP 200 response with an empty HTTP body"; an empty body or `{}` is accepted."""
import json

import pytest

from conftest import BACKENDS
from golden import golden, no_output

ACCT = r"\d{12}"
EVENT = {"id": "1", "account": "123456789012", "source": "order", "time": "2024-01-01T00:00:00Z", "region": "us-east-1",
         "resources": [], "detail-type": "Test", "detail": {}}



@pytest.mark.parametrize("backend", BACKENDS)
def test_buses_rules_targets_events_and_tags(make_warden, backend):
    w = make_warden(backend)
    ev = w.client("events")
    bus_arn = f"re:arn:aws:events:us-east-1:{ACCT}:event-bus/golden-bus"
    golden(ev, "create_event_bus", {"Name": "golden-bus"}, {"EventBusArn": bus_arn}, "LS-EVENTS test_create_list_describe_delete_custom_event_buses")
    bus = {"Name": "golden-bus", "Arn": bus_arn, "CreationTime": "$timestamp", "LastModifiedTime": "$timestamp"}
    golden(ev, "describe_event_bus", {"Name": "golden-bus"}, bus, "LS-EVENTS (describe_event_bus: Name, Arn, CreationTime, LastModifiedTime)")
    golden(ev, "list_event_buses", {"NamePrefix": "golden"}, {"EventBuses": [bus]}, "LS-EVENTS (list_event_buses with NamePrefix)")
    pattern = json.dumps({"source": ["order"]})
    rule_arn = f"re:arn:aws:events:us-east-1:{ACCT}:rule/golden-rule"
    golden(ev, "put_rule", {"Name": "golden-rule", "EventPattern": pattern}, {"RuleArn": rule_arn}, "LS-EVENTS / CLI-EX put-rule")
    golden(ev, "describe_rule", {"Name": "golden-rule"},
           {"Name": "golden-rule", "Arn": rule_arn, "EventPattern": pattern, "State": "ENABLED", "EventBusName": "default",
            "CreatedBy": f"re:{ACCT}"}, "LS-RULES / LS-EVENTS describe_rule (Arn, CreatedBy, EventBusName, EventPattern, Name, State)")
    sched_arn = f"re:arn:aws:events:us-east-1:{ACCT}:rule/golden-sched"
    golden(ev, "put_rule", {"Name": "golden-sched", "ScheduleExpression": "rate(5 minutes)", "State": "DISABLED", "Description": "d"},
           {"RuleArn": sched_arn}, "CLI-EX put-rule")
    golden(ev, "describe_rule", {"Name": "golden-sched"},
           {"Name": "golden-sched", "Arn": sched_arn, "ScheduleExpression": "rate(5 minutes)", "State": "DISABLED", "Description": "d",
            "EventBusName": "default", "CreatedBy": f"re:{ACCT}"}, "CLI-EX describe-rule (schedule rule) + LS-RULES")
    golden(ev, "list_rules", {"NamePrefix": "golden"},
           {"Rules": [{"Name": "golden-rule", "Arn": rule_arn, "EventPattern": pattern, "State": "ENABLED", "EventBusName": "default"},
                      {"Name": "golden-sched", "Arn": sched_arn, "ScheduleExpression": "rate(5 minutes)", "State": "DISABLED",
                       "Description": "d", "EventBusName": "default"}]},
           "CLI-EX list-rules + LS-RULES (list entries carry no CreatedBy)")
    no_output(ev, "enable_rule", {"Name": "golden-sched"}, "API-REF EnableRule / CLI-EX enable-rule (no output)")
    no_output(ev, "disable_rule", {"Name": "golden-sched"}, "API-REF DisableRule / CLI-EX disable-rule (no output)")
    target = {"Id": "t1", "Arn": "arn:aws:sqs:us-east-1:000000000000:golden-q"}
    golden(ev, "put_targets", {"Rule": "golden-rule", "Targets": [target]}, {"FailedEntryCount": 0, "FailedEntries": []},
           "LS-TARGETS (put_targets: FailedEntries [] and FailedEntryCount 0)")
    golden(ev, "list_targets_by_rule", {"Rule": "golden-rule"}, {"Targets": [target]}, "LS-TARGETS / CLI-EX list-targets-by-rule")
    golden(ev, "remove_targets", {"Rule": "golden-rule", "Ids": ["t1"]}, {"FailedEntryCount": 0, "FailedEntries": []},
           "LS-TARGETS (remove_targets)")
    golden(ev, "list_targets_by_rule", {"Rule": "golden-rule"}, {"Targets": []}, "LS-TARGETS (no targets: empty list)")
    golden(ev, "put_events", {"Entries": [{"Source": "order", "DetailType": "Test", "Detail": "{}"}]},
           {"FailedEntryCount": 0, "Entries": [{"EventId": "$uuid"}]}, "LS-EVENTS test_put_events / CLI-EX put-events")
    golden(ev, "test_event_pattern", {"EventPattern": pattern, "Event": json.dumps(EVENT)}, {"Result": True},
           "CLI-EX test-event-pattern")
    golden(ev, "test_event_pattern", {"EventPattern": json.dumps({"source": ["other"]}), "Event": json.dumps(EVENT)}, {"Result": False},
           "CLI-EX test-event-pattern")
    arn = ev.describe_rule(Name="golden-rule")["Arn"]
    no_output(ev, "tag_resource", {"ResourceARN": arn, "Tags": [{"Key": "k", "Value": "v"}]}, "LS-TAGS tag_resource (no body members)")
    golden(ev, "list_tags_for_resource", {"ResourceARN": arn}, {"Tags": [{"Key": "k", "Value": "v"}]}, "LS-TAGS list_tags_for_resource")
    no_output(ev, "untag_resource", {"ResourceARN": arn, "TagKeys": ["k"]}, "LS-TAGS untag_resource")
    golden(ev, "list_tags_for_resource", {"ResourceARN": arn}, {"Tags": []}, "LS-TAGS (after untag: Tags [])")
    no_output(ev, "delete_rule", {"Name": "golden-sched"}, "API-REF DeleteRule / CLI-EX delete-rule")
    no_output(ev, "delete_event_bus", {"Name": "golden-bus"}, "API-REF DeleteEventBus")
