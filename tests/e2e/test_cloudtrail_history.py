"""CloudTrail event history: LookupEvents over the audit log with boto3 and awscli, on SQLite and PostgreSQL."""
import datetime
import json
import time

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import BACKENDS, code


def names(events):
    return [e["EventName"] for e in events]


def test_lookup_by_every_attribute(strict):
    kms, ct, sts = strict.client("kms"), strict.client("cloudtrail"), strict.client("sts")
    key = kms.create_key(Description="history")["KeyMetadata"]
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    with pytest.raises(ClientError):
        kms.describe_key(KeyId="11111111-2222-3333-4444-555555555555")
    sts.get_caller_identity()
    access_key = strict.credentials()[0]

    def lookup(k, v, **kw):
        return ct.lookup_events(LookupAttributes=[{"AttributeKey": k, "AttributeValue": v}], **kw)["Events"]

    created = lookup("EventName", "CreateKey")
    assert names(created) == ["CreateKey"]
    e = created[0]
    assert e["EventSource"] == "kms.amazonaws.com" and e["ReadOnly"] == "false" and e["AccessKeyId"] == access_key
    assert e["Username"] == "root"
    assert e["Resources"] == [{"ResourceType": "AWS::KMS::Key", "ResourceName": key["Arn"]}]
    record = json.loads(e["CloudTrailEvent"])
    assert record["eventID"] == e["EventId"] and record["eventName"] == "CreateKey"
    assert record["responseElements"]["keyMetadata"]["keyId"] == key["KeyId"]
    # The CloudTrailEvent string is the record exactly as stored in the audit log.
    stored = {r["eventID"]: r for r in strict.audit_records()}
    assert json.loads(e["CloudTrailEvent"]) == stored[e["EventId"]]
    assert names(lookup("EventId", e["EventId"])) == ["CreateKey"]
    assert set(names(lookup("ResourceName", key["Arn"]))) == {"CreateKey", "Encrypt"}
    assert set(names(lookup("ResourceType", "AWS::KMS::Key"))) >= {"CreateKey", "Encrypt"}
    assert set(names(lookup("EventSource", "kms.amazonaws.com"))) == {"CreateKey", "Encrypt", "DescribeKey"}
    assert "GetCallerIdentity" in names(lookup("EventSource", "sts.amazonaws.com"))
    assert "CreateKey" not in names(lookup("ReadOnly", "true")) and "CreateKey" in names(lookup("ReadOnly", "false"))
    assert "Encrypt" in names(lookup("ReadOnly", "true"))
    assert {"CreateKey", "Encrypt", "GetCallerIdentity"} <= set(names(lookup("Username", "root")))
    assert {"CreateKey", "Encrypt"} <= set(names(lookup("AccessKeyId", access_key)))
    failed = lookup("EventName", "DescribeKey")
    assert json.loads(failed[0]["CloudTrailEvent"])["errorCode"] == "NotFoundException"
    assert lookup("EventName", "NoSuchCall") == []


def test_newest_first_paging_and_time_range(strict):
    kms, ct = strict.client("kms"), strict.client("cloudtrail")
    for _ in range(7):
        kms.list_keys()
    all_events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ListKeys"}])["Events"]
    assert len(all_events) == 7
    times = [e["EventTime"] for e in all_events]
    assert times == sorted(times, reverse=True)
    seen, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        page = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ListKeys"}], MaxResults=3, **kw)
        assert len(page["Events"]) <= 3
        seen += [e["EventId"] for e in page["Events"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [e["EventId"] for e in all_events]
    pages = ct.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ListKeys"}], PaginationConfig={"PageSize": 2})
    assert [e["EventId"] for p in pages for e in p["Events"]] == seen
    middle = all_events[3]["EventTime"]
    later = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ListKeys"}], StartTime=middle)["Events"]
    assert [e["EventId"] for e in later] == seen[:len(later)] and 4 <= len(later) <= 7
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    assert ct.lookup_events(StartTime=future)["Events"] == []


def test_lookup_errors(strict):
    ct = strict.client("cloudtrail", validate=False)
    two = [{"AttributeKey": "EventName", "AttributeValue": "a"}, {"AttributeKey": "Username", "AttributeValue": "b"}]
    with pytest.raises(ClientError) as e:
        ct.lookup_events(LookupAttributes=two)
    assert code(e) == "InvalidLookupAttributesException"
    for bad in (0, 51):
        with pytest.raises(ClientError) as e:
            ct.lookup_events(MaxResults=bad)
        assert code(e) == "InvalidMaxResultsException"
    now = datetime.datetime.now(datetime.timezone.utc)
    with pytest.raises(ClientError) as e:
        ct.lookup_events(StartTime=now, EndTime=now - datetime.timedelta(hours=1))
    assert code(e) == "InvalidTimeRangeException"
    with pytest.raises(ClientError) as e:
        ct.lookup_events(NextToken="garbage!")
    assert code(e) == "InvalidNextTokenException"
    strict.client("kms").list_keys()
    strict.client("kms").list_keys()
    token = ct.lookup_events(MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as e:
        ct.lookup_events(MaxResults=1, NextToken=token, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ListKeys"}])
    assert code(e) == "InvalidNextTokenException"
    with pytest.raises(ClientError) as e:
        ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": ""}])
    assert code(e) == "ValidationException"


def test_regions_are_separate_and_awscli(strict):
    strict.client("kms", region="eu-west-1").create_key(Description="in eu")
    east = strict.client("cloudtrail", region="us-east-1")
    west = strict.client("cloudtrail", region="eu-west-1")
    q = [{"AttributeKey": "EventName", "AttributeValue": "CreateKey"}]
    assert len(west.lookup_events(LookupAttributes=q)["Events"]) == 1
    assert east.lookup_events(LookupAttributes=q)["Events"] == []
    r = strict.aws("cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=CreateKey",
                   "--region", "eu-west-1", "--output", "json")
    assert r.returncode == 0, r.stderr
    events = json.loads(r.stdout)["Events"]
    assert len(events) == 1 and json.loads(events[0]["CloudTrailEvent"])["awsRegion"] == "eu-west-1"


@pytest.mark.parametrize("backend", BACKENDS)
def test_history_older_than_90_days_is_purged(make_warden, backend):
    w = make_warden(backend, dev=True, extra_args=["--job-interval", "0.2"])
    kms, ct = w.client("kms"), w.client("cloudtrail")
    kms.list_keys()
    requests.post(w.endpoint + "/_warden/clock?advance=%d" % (91 * 86400)).raise_for_status()
    kms.list_aliases()
    deadline = time.time() + 10
    while time.time() < deadline and len(w.audit_records()) > 0 and any(r["eventName"] == "ListKeys" for r in w.audit_records()):
        time.sleep(0.2)
    assert not any(r["eventName"] == "ListKeys" for r in w.audit_records())
    assert names(ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ListAliases"}])["Events"]) == ["ListAliases"]
