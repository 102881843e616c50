"""CloudTrail Insights on both backends: a steady baseline of CreateSecret calls, then a burst, raises an
ApiCallRateInsight start event and, once the rate is back, an end event — in LookupEvents, in the trail's
CloudTrail-Insight files and on EventBridge. The dev clock moves minute by minute."""
import gzip
import json
import time

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import BACKENDS, code
from test_sns import drain, queue
from trail_helpers import keys, trail_bucket


def lookup_insights(ct):
    return ct.lookup_events(EventCategory="insight")["Events"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_burst_of_create_secret_calls_raises_an_api_call_rate_insight(make_warden, backend):
    w = make_warden(backend, dev=True, extra_args=["--job-interval", "0.2"])
    ct, sm, ev, sqs = w.client("cloudtrail"), w.client("secretsmanager"), w.client("events"), w.client("sqs")
    s3 = trail_bucket(w, "insights-bucket")
    ct.create_trail(Name="insights", S3BucketName="insights-bucket")
    with pytest.raises(ClientError) as e:
        ct.get_insight_selectors(TrailName="insights")
    assert code(e) == "InsightNotEnabledException"
    with pytest.raises(ClientError) as e:
        ct.put_insight_selectors(TrailName="insights", InsightSelectors=[{"InsightType": "ApiCallRateInsight"}, {"InsightType": "ApiCallRateInsight"}])
    assert code(e) == "InvalidInsightSelectorsException"
    both = [{"InsightType": "ApiCallRateInsight"}, {"InsightType": "ApiErrorRateInsight"}]
    r = ct.put_insight_selectors(TrailName="insights", InsightSelectors=both)
    assert r["InsightSelectors"] == both and r["TrailARN"].endswith(":trail/insights")
    assert ct.get_insight_selectors(TrailName="insights")["InsightSelectors"] == both
    assert ct.get_trail(Name="insights")["Trail"]["HasInsightSelectors"] is True
    ct.start_logging(Name="insights")
    url, arn = queue(sqs, "insights")
    ev.put_rule(Name="insights", EventPattern=json.dumps({"detail-type": ["AWS Insight via CloudTrail"]}))
    ev.put_targets(Rule="insights", Targets=[{"Id": "q", "Arn": arn}])
    n = 0

    def calls(k):
        nonlocal n
        for _ in range(k):
            sm.create_secret(Name=f"s{n}", SecretString="x")
            n += 1

    def next_minute():
        requests.post(f"{w.endpoint}/_warden/clock?advance=60")
        time.sleep(0.6)  # the detector looks at the minute just completed

    for _ in range(12):  # a steady baseline: two calls a minute
        calls(2)
        next_minute()
    assert lookup_insights(ct) == []
    calls(40)  # a burst of calls, and of errors from another API
    for _ in range(15):
        with pytest.raises(ClientError):
            sm.describe_secret(SecretId="no-such-secret")
    next_minute()
    got = [json.loads(m["Body"]) for m in drain(sqs, url, 2, timeout=60)]
    assert len(got) == 2
    by_type = {g["detail"]["insightDetails"]["insightType"]: g for g in got}
    errors = by_type["ApiErrorRateInsight"]["detail"]["insightDetails"]
    assert (errors["state"], errors["eventName"], errors["errorCode"]) == ("Start", "DescribeSecret", "ResourceNotFoundException")
    assert errors["insightContext"]["statistics"]["insight"]["average"] == 1.0  # every call failed: an error rate of 1
    start = by_type["ApiCallRateInsight"]
    assert start["detail-type"] == "AWS Insight via CloudTrail" and start["source"] == "aws.secretsmanager"
    d = start["detail"]
    assert d["eventType"] == "AwsCloudTrailInsight" and d["eventCategory"] == "Insight"
    details = d["insightDetails"]
    assert (details["state"], details["eventSource"], details["eventName"], details["insightType"]) == (
        "Start", "secretsmanager.amazonaws.com", "CreateSecret", "ApiCallRateInsight")
    stats = details["insightContext"]["statistics"]
    assert stats["insight"]["average"] == 40 and 0 < stats["baseline"]["average"] < 2 and "warden" not in details
    for _ in range(2):  # back to the baseline
        calls(2)
        next_minute()
    got = [json.loads(m["Body"])["detail"] for m in drain(sqs, url, 2, timeout=60)]
    assert sorted((g["insightDetails"]["insightType"], g["insightDetails"]["state"]) for g in got) == [
        ("ApiCallRateInsight", "End"), ("ApiErrorRateInsight", "End")]
    end = next(g for g in got if g["insightDetails"]["insightType"] == "ApiCallRateInsight")
    assert end["insightDetails"]["state"] == "End" and end["sharedEventID"] == d["sharedEventID"]
    end_stats = end["insightDetails"]["insightContext"]["statistics"]
    assert end_stats["insightDuration"] == 1 and end_stats["insight"]["average"] == 40 and end_stats["baseline"] == stats["baseline"]
    events = ct.lookup_events(EventCategory="insight", LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateSecret"}])["Events"]
    assert [json.loads(e["CloudTrailEvent"])["insightDetails"]["state"] for e in events] == ["End", "Start"]
    assert all(e["EventName"] == "CreateSecret" and e["EventSource"] == "secretsmanager.amazonaws.com" for e in events)
    assert len(lookup_insights(ct)) == 4
    assert ct.lookup_events(EventCategory="insight", LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "PutSecretValue"}])["Events"] == []
    files = [k for k in keys(s3, "insights-bucket") if "/CloudTrail-Insight/" in k]
    assert len(files) == 4 and all("_CloudTrail-Insight_us-east-1_" in k for k in files)
    records = [json.loads(gzip.decompress(s3.get_object(Bucket="insights-bucket", Key=k)["Body"].read()))["Records"][0] for k in files]
    assert sorted(r["insightDetails"]["state"] for r in records) == ["End", "End", "Start", "Start"]
    # The ordinary history is not mixed with insights.
    assert all(e["EventName"] != "CreateSecret" or "insightDetails" not in e["CloudTrailEvent"]
               for e in ct.lookup_events(MaxResults=50)["Events"])
