"""Golden responses for every CloudTrail operation Warden serves: each success body compared whole with AWS's
documented or recorded answer (golden.py). Sources:
  UG-CREATE  = AWS CloudTrail User Guide, "Using create-trail" (awsdocs/aws-cloudtrail-user-guide,
               doc_source/cloudtrail-create-and-update-a-trail-by-using-the-aws-cli-create-trail.md)
  UG-MANAGE  = AWS CloudTrail User Guide, "Managing trails with the AWS CLI" (doc_source/cloudtrail-additional-cli-commands.md)
  CLI-EX     = AWS CLI command examples (awscli/examples/cloudtrail/*.rst)
  CSPLOIT    = real-account describe-trails / get-trail-status outputs used as fixtures by cloudsploit
               (plugins/aws/cloudtrail/cloudtrailDeliveryFailing.spec.js)
  API-REF    = AWS CloudTrail API Reference, response elements of the operation
Operations with no output shape: the API Reference says "If the action is successful, the service sends back an HTTP
200 response with an empty HTTP body"; an empty body or the empty JSON object `{}` is accepted for those."""
import pytest

from conftest import BACKENDS
from golden import golden, no_output
from trail_helpers import trail_bucket

ACCT = r"\d{12}"
ARN1 = f"re:arn:aws:cloudtrail:us-east-1:{ACCT}:trail/golden-one"
ARN2 = f"re:arn:aws:cloudtrail:us-east-1:{ACCT}:trail/golden-two"
ISO = r"re:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def ct(w):
    return w.client("cloudtrail", validate=False)



def setup(w):
    trail_bucket(w, "golden-trail-logs")
    return ct(w)


@pytest.mark.parametrize("backend", BACKENDS)
def test_trail_documents(make_warden, backend):
    w = make_warden(backend)
    c = setup(w)
    # CreateTrail, single-region: exactly the UG-CREATE "Creating a single-region trail" output.
    golden(c, "create_trail", {"Name": "golden-one", "S3BucketName": "golden-trail-logs"},
           {"IncludeGlobalServiceEvents": True, "Name": "golden-one", "TrailARN": ARN1, "LogFileValidationEnabled": False,
            "IsMultiRegionTrail": False, "IsOrganizationTrail": False, "S3BucketName": "golden-trail-logs"},
           "UG-CREATE (single-region trail)")
    # Multi-region with validation and a prefix (UG-CREATE "all Regions ... log file validation"; S3KeyPrefix as in UG-MANAGE).
    golden(c, "create_trail", {"Name": "golden-two", "S3BucketName": "golden-trail-logs", "S3KeyPrefix": "pre",
                               "IsMultiRegionTrail": True, "EnableLogFileValidation": True},
           {"IncludeGlobalServiceEvents": True, "Name": "golden-two", "TrailARN": ARN2, "LogFileValidationEnabled": True,
            "IsMultiRegionTrail": True, "IsOrganizationTrail": False, "S3BucketName": "golden-trail-logs", "S3KeyPrefix": "pre"},
           "UG-CREATE (multi-Region trail with log file validation)")
    one = {"Name": "golden-one", "S3BucketName": "golden-trail-logs", "IncludeGlobalServiceEvents": True, "IsMultiRegionTrail": False,
           "HomeRegion": "us-east-1", "TrailARN": ARN1, "LogFileValidationEnabled": False, "HasCustomEventSelectors": False,
           "HasInsightSelectors": False, "IsOrganizationTrail": False}
    two = dict(one, Name="golden-two", TrailARN=ARN2, S3KeyPrefix="pre", IsMultiRegionTrail=True, LogFileValidationEnabled=True)
    src_trail = "UG-MANAGE (describe-trails / get-trail) + CSPLOIT (HasInsightSelectors false on a real trail)"
    golden(c, "get_trail", {"Name": "golden-one"}, {"Trail": one}, src_trail)
    golden(c, "describe_trails", {}, {"trailList": [one, two]}, src_trail)
    golden(c, "describe_trails", {"trailNameList": ["golden-two"]}, {"trailList": [two]}, src_trail)
    golden(c, "list_trails", {}, {"Trails": [{"TrailARN": ARN1, "Name": "golden-one", "HomeRegion": "us-east-1"},
                                             {"TrailARN": ARN2, "Name": "golden-two", "HomeRegion": "us-east-1"}]},
           "API-REF ListTrails (Trails: TrailInfo {TrailARN, Name, HomeRegion}; no NextToken on the last page)")
    # UpdateTrail answers like CreateTrail (CLI-EX update-trail).
    golden(c, "update_trail", {"Name": "golden-one", "S3KeyPrefix": "p2"},
           {"IncludeGlobalServiceEvents": True, "Name": "golden-one", "TrailARN": ARN1, "LogFileValidationEnabled": False,
            "IsMultiRegionTrail": False, "IsOrganizationTrail": False, "S3BucketName": "golden-trail-logs", "S3KeyPrefix": "p2"},
           "CLI-EX update-trail + UG-CREATE (IsOrganizationTrail)")
    no_output(c, "delete_trail", {"Name": "golden-two"}, "API-REF DeleteTrail")


@pytest.mark.parametrize("backend", BACKENDS)
def test_logging_status_selectors_tags_and_history(make_warden, backend):
    w = make_warden(backend)
    c = setup(w)
    c.create_trail(Name="golden-one", S3BucketName="golden-trail-logs")
    # Never started: the deprecated string fields are present and empty (CSPLOIT shows "" for those not yet set).
    golden(c, "get_trail_status", {"Name": "golden-one"},
           {"IsLogging": False, "LatestDeliveryAttemptTime": "", "LatestNotificationAttemptTime": "",
            "LatestNotificationAttemptSucceeded": "", "LatestDeliveryAttemptSucceeded": "", "TimeLoggingStarted": "",
            "TimeLoggingStopped": ""}, "CSPLOIT get-trail-status + UG-MANAGE (\"TimeLoggingStopped\": \"\" when unset)")
    no_output(c, "start_logging", {"Name": "golden-one"}, "API-REF StartLogging; UG-CREATE: 'This command doesn't return an output'")
    golden(c, "get_trail_status", {"Name": "golden-one"},
           {"IsLogging": True, "StartLoggingTime": "$timestamp", "LatestDeliveryAttemptTime": "", "LatestNotificationAttemptTime": "",
            "LatestNotificationAttemptSucceeded": "", "LatestDeliveryAttemptSucceeded": "", "TimeLoggingStarted": ISO,
            "TimeLoggingStopped": ""}, "UG-MANAGE get-trail-status (StartLoggingTime epoch, TimeLoggingStarted ISO, stopped \"\")")
    no_output(c, "stop_logging", {"Name": "golden-one"}, "API-REF StopLogging")
    golden(c, "get_trail_status", {"Name": "golden-one"},
           {"IsLogging": False, "StartLoggingTime": "$timestamp", "StopLoggingTime": "$timestamp", "LatestDeliveryAttemptTime": "",
            "LatestNotificationAttemptTime": "", "LatestNotificationAttemptSucceeded": "", "LatestDeliveryAttemptSucceeded": "",
            "TimeLoggingStarted": ISO, "TimeLoggingStopped": ISO}, "CLI-EX get-trail-status (StopLoggingTime + TimeLoggingStopped)")
    # Event selectors: the default, then basic and advanced ones (UG-MANAGE, CLI-EX put-event-selectors).
    default = {"ExcludeManagementEventSources": [], "IncludeManagementEvents": True, "DataResources": [], "ReadWriteType": "All"}
    golden(c, "get_event_selectors", {"TrailName": "golden-one"}, {"EventSelectors": [default], "TrailARN": ARN1},
           "UG-MANAGE (default event selector)")
    data = [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::mybucket/prefix"]}]
    sel = dict(default, ReadWriteType="WriteOnly", DataResources=data)
    golden(c, "put_event_selectors", {"TrailName": "golden-one", "EventSelectors": [{"ReadWriteType": "WriteOnly",
                                                                                      "IncludeManagementEvents": True,
                                                                                      "DataResources": data}]},
           {"EventSelectors": [sel], "TrailARN": ARN1}, "UG-MANAGE (Example trail with specific event selectors)")
    golden(c, "get_event_selectors", {"TrailName": "golden-one"}, {"EventSelectors": [sel], "TrailARN": ARN1}, "UG-MANAGE")
    adv = [{"Name": "Log all management events", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]
    golden(c, "put_event_selectors", {"TrailName": "golden-one", "AdvancedEventSelectors": adv},
           {"TrailARN": ARN1, "AdvancedEventSelectors": adv}, "CLI-EX put-event-selectors (advanced)")
    golden(c, "get_event_selectors", {"TrailName": "golden-one"}, {"TrailARN": ARN1, "AdvancedEventSelectors": adv},
           "CLI-EX get-event-selectors (advanced)")
    # Insights.
    ins = [{"InsightType": "ApiCallRateInsight"}]
    golden(c, "put_insight_selectors", {"TrailName": "golden-one", "InsightSelectors": ins}, {"InsightSelectors": ins, "TrailARN": ARN1},
           "UG-MANAGE (put-insight-selectors)")
    golden(c, "get_insight_selectors", {"TrailName": "golden-one"}, {"InsightSelectors": ins, "TrailARN": ARN1},
           "UG-MANAGE (get-insight-selectors)")
    # Tags.
    arn = c.get_trail(Name="golden-one")["Trail"]["TrailARN"]
    no_output(c, "add_tags", {"ResourceId": arn, "TagsList": [{"Key": "Name", "Value": "Alice"}]}, "UG-MANAGE: add-tags returns nothing")
    golden(c, "list_tags", {"ResourceIdList": [arn]},
           {"ResourceTagList": [{"ResourceId": ARN1, "TagsList": [{"Key": "Name", "Value": "Alice"}]}]}, "UG-MANAGE (list-tags)")
    no_output(c, "remove_tags", {"ResourceId": arn, "TagsList": [{"Key": "Name"}]}, "UG-MANAGE: remove-tags returns nothing")
    # LookupEvents: the LookupEvents Event shape (CLI-EX lookup-events; API-REF Event).
    golden(c, "lookup_events", {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "CreateTrail"}]},
           {"Events": [{"EventId": "$uuid", "EventName": "CreateTrail", "ReadOnly": "false", "AccessKeyId": "$string",
                        "EventTime": "$timestamp", "EventSource": "cloudtrail.amazonaws.com", "Username": "$string",
                        "Resources": "$any", "CloudTrailEvent": "$string"}]},
           "CLI-EX lookup-events + API-REF Event (EventId, EventName, ReadOnly, AccessKeyId, EventTime, EventSource, Username, "
           "Resources, CloudTrailEvent)")
    golden(c, "lookup_events", {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "NoSuchEvent"}]},
           {"Events": []}, "API-REF LookupEvents (no NextToken when there are no more results)")


@pytest.mark.parametrize("backend", BACKENDS)
def test_list_public_keys_returns_the_current_key(make_warden, backend):
    w = make_warden(backend)
    golden(ct(w), "list_public_keys", {},
           {"PublicKeyList": [{"ValidityStartTime": "$timestamp", "ValidityEndTime": "$timestamp", "Value": "$string",
                               "Fingerprint": "re:[0-9a-f]{32}"}]}, "CLI-EX list-public-keys + API-REF ListPublicKeys StartTime")
