"""CloudTrail trails API with boto3: create/update/delete/describe, logging state, status, tags, selectors, errors."""
import pytest
from botocore.exceptions import ClientError

from conftest import code
from trail_helpers import trail_bucket


def ct(w, region="us-east-1"):
    return w.client("cloudtrail", region=region, validate=False)


def test_trail_lifecycle(strict):
    trail_bucket(strict, "trail-logs")
    c = ct(strict)
    r = c.create_trail(Name="main-trail", S3BucketName="trail-logs", S3KeyPrefix="pre", EnableLogFileValidation=True,
                       TagsList=[{"Key": "team", "Value": "sec"}])
    account = strict.client("sts").get_caller_identity()["Account"]
    arn = f"arn:aws:cloudtrail:us-east-1:{account}:trail/main-trail"
    assert r["TrailARN"] == arn and r["LogFileValidationEnabled"] is True and r["IsMultiRegionTrail"] is False
    assert r["IncludeGlobalServiceEvents"] is True and r["S3KeyPrefix"] == "pre"
    # A new trail does not log until StartLogging.
    assert c.get_trail_status(Name="main-trail")["IsLogging"] is False
    t = c.get_trail(Name=arn)["Trail"]
    assert t["HomeRegion"] == "us-east-1" and t["HasCustomEventSelectors"] is False and t["S3BucketName"] == "trail-logs"
    assert [x["Name"] for x in c.describe_trails()["trailList"]] == ["main-trail"]
    assert c.describe_trails(trailNameList=["nope"])["trailList"] == []
    assert c.list_trails()["Trails"] == [{"TrailARN": arn, "Name": "main-trail", "HomeRegion": "us-east-1"}]
    c.start_logging(Name="main-trail")
    s = c.get_trail_status(Name="main-trail")
    assert s["IsLogging"] is True and "StartLoggingTime" in s
    c.stop_logging(Name=arn)
    s = c.get_trail_status(Name="main-trail")
    assert s["IsLogging"] is False and "StopLoggingTime" in s
    r = c.update_trail(Name="main-trail", S3KeyPrefix="", IsMultiRegionTrail=True)
    assert r["IsMultiRegionTrail"] is True and "S3KeyPrefix" not in r
    # Tags.
    c.add_tags(ResourceId=arn, TagsList=[{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "ops"}])
    tags = c.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"]
    assert sorted((x["Key"], x["Value"]) for x in tags) == [("env", "test"), ("team", "ops")]
    c.remove_tags(ResourceId=arn, TagsList=[{"Key": "team"}])
    assert [x["Key"] for x in c.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"]] == ["env"]
    with pytest.raises(ClientError) as e:
        c.add_tags(ResourceId=arn, TagsList=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert code(e) == "TagsLimitExceededException"
    with pytest.raises(ClientError) as e:
        c.add_tags(ResourceId=arn, TagsList=[{"Key": "aws:reserved", "Value": "v"}])
    assert code(e) == "InvalidTagParameterException"
    # A multi-Region trail shows in other regions as a shadow trail; it is changed only from its home region.
    eu = ct(strict, "eu-west-1")
    shadow = eu.describe_trails()["trailList"]
    assert [(x["Name"], x["HomeRegion"]) for x in shadow] == [("main-trail", "us-east-1")]
    assert eu.describe_trails(includeShadowTrails=False)["trailList"] == []
    assert eu.get_trail(Name="main-trail")["Trail"]["TrailARN"] == arn
    with pytest.raises(ClientError) as e:
        eu.start_logging(Name=arn)
    assert code(e) == "InvalidHomeRegionException"
    with pytest.raises(ClientError) as e:
        eu.delete_trail(Name="main-trail")
    assert code(e) == "InvalidHomeRegionException"
    c.delete_trail(Name="main-trail")
    with pytest.raises(ClientError) as e:
        c.get_trail(Name="main-trail")
    assert code(e) == "TrailNotFoundException"
    with pytest.raises(ClientError) as e:
        c.get_trail_status(Name="main-trail")
    assert code(e) == "TrailNotFoundException"
    assert c.describe_trails()["trailList"] == []


def test_trails_survive_restart(strict):
    trail_bucket(strict, "durable-trail-logs")
    c = ct(strict)
    c.create_trail(Name="durable", S3BucketName="durable-trail-logs", IsMultiRegionTrail=True)
    c.put_event_selectors(TrailName="durable", EventSelectors=[{"ReadWriteType": "WriteOnly"}])
    c.start_logging(Name="durable")
    strict.stop()
    strict.start()
    c = ct(strict)
    t = c.get_trail(Name="durable")["Trail"]
    assert t["IsMultiRegionTrail"] is True and t["HasCustomEventSelectors"] is True
    assert c.get_trail_status(Name="durable")["IsLogging"] is True
    assert c.get_event_selectors(TrailName="durable")["EventSelectors"][0]["ReadWriteType"] == "WriteOnly"


@pytest.mark.parametrize("name", ["ab", "x" * 129, "-start", "end-", "has space", "two..dots", "a_-b", "10.0.0.1", "bad/slash"])
def test_invalid_trail_names(strict, name):
    with pytest.raises(ClientError) as e:
        ct(strict).create_trail(Name=name, S3BucketName="whatever-bucket")
    assert code(e) == "InvalidTrailNameException"


def test_create_trail_errors(strict):
    c = ct(strict)
    with pytest.raises(ClientError) as e:
        c.create_trail(Name="no-bucket", S3BucketName="missing-bucket")
    assert code(e) == "S3BucketDoesNotExistException"
    with pytest.raises(ClientError) as e:
        c.create_trail(Name="bad-bucket", S3BucketName="Bad_Bucket")
    assert code(e) == "InvalidS3BucketNameException"
    strict.client("s3").create_bucket(Bucket="no-policy")
    with pytest.raises(ClientError) as e:
        c.create_trail(Name="no-policy", S3BucketName="no-policy")
    assert code(e) == "InsufficientS3BucketPolicyException"
    trail_bucket(strict, "ok-bucket")
    with pytest.raises(ClientError) as e:
        c.create_trail(Name="prefix", S3BucketName="ok-bucket", S3KeyPrefix="p" * 201)
    assert code(e) == "InvalidS3PrefixException"
    with pytest.raises(ClientError) as e:
        c.create_trail(Name="no-global", S3BucketName="ok-bucket", IsMultiRegionTrail=True, IncludeGlobalServiceEvents=False)
    assert code(e) == "InvalidParameterCombinationException"
    with pytest.raises(ClientError) as e:
        c.create_trail(Name="org", S3BucketName="ok-bucket", IsOrganizationTrail=True)
    assert code(e) == "OrganizationsNotInUseException"
    with pytest.raises(ClientError) as e:
        c.create_trail(Name="kms", S3BucketName="ok-bucket", KmsKeyId="alias/missing")
    assert code(e) == "KmsKeyNotFoundException"
    kms = strict.client("kms")
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as e:
        c.create_trail(Name="kms", S3BucketName="ok-bucket", KmsKeyId=signing)
    assert code(e) == "InvalidKmsKeyIdException"
    disabled = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=disabled)
    with pytest.raises(ClientError) as e:
        c.create_trail(Name="kms", S3BucketName="ok-bucket", KmsKeyId=disabled)
    assert code(e) == "KmsKeyDisabledException"
    with pytest.raises(ClientError) as e:
        c.create_trail(Name="sns", S3BucketName="ok-bucket", SnsTopicName="topic")
    assert code(e) == "UnsupportedOperationException"
    with pytest.raises(ClientError) as e:
        c.create_trail(S3BucketName="ok-bucket")
    assert code(e) == "ValidationException"
    c.create_trail(Name="dup", S3BucketName="ok-bucket")
    with pytest.raises(ClientError) as e:
        c.create_trail(Name="dup", S3BucketName="ok-bucket")
    assert code(e) == "TrailAlreadyExistsException"
    for name in ["t2", "t3", "t4", "t5"]:
        c.create_trail(Name=name + "-trail", S3BucketName="ok-bucket")
    with pytest.raises(ClientError) as e:
        c.create_trail(Name="sixth", S3BucketName="ok-bucket")
    assert code(e) == "MaximumNumberOfTrailsExceededException"
    # A multi-Region trail homed elsewhere counts in every region.
    c.delete_trail(Name="t5-trail")
    ct(strict, "eu-west-1").create_trail(Name="global", S3BucketName="ok-bucket", IsMultiRegionTrail=True)
    with pytest.raises(ClientError) as e:
        c.create_trail(Name="sixth", S3BucketName="ok-bucket")
    assert code(e) == "MaximumNumberOfTrailsExceededException"
    for op, kw in [("get_trail", {"Name": "missing"}), ("start_logging", {"Name": "missing"}), ("delete_trail", {"Name": "missing"}),
                   ("get_event_selectors", {"TrailName": "missing"})]:
        with pytest.raises(ClientError) as e:
            getattr(c, op)(**kw)
        assert code(e) == "TrailNotFoundException", op
    with pytest.raises(ClientError) as e:
        c.get_trail(Name="arn:aws:cloudtrail:us-east-1:bad")
    assert code(e) == "CloudTrailARNInvalidException"


def test_event_selectors(strict):
    trail_bucket(strict, "selector-logs")
    c = ct(strict)
    c.create_trail(Name="sel", S3BucketName="selector-logs")
    default = c.get_event_selectors(TrailName="sel")
    assert default["EventSelectors"] == [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
                                          "ExcludeManagementEventSources": []}]
    basic = [{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True,
              "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::data-bucket/"]}],
              "ExcludeManagementEventSources": ["kms.amazonaws.com"]}]
    r = c.put_event_selectors(TrailName="sel", EventSelectors=basic)
    assert r["EventSelectors"] == basic and r["TrailARN"].endswith(":trail/sel")
    assert c.get_event_selectors(TrailName="sel")["EventSelectors"] == basic
    assert c.get_trail(Name="sel")["Trail"]["HasCustomEventSelectors"] is True
    advanced = [{"Name": "mgmt writes", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                                                          {"Field": "readOnly", "Equals": ["false"]}]},
                {"Name": "sns publish", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                                                          {"Field": "resources.type", "Equals": ["AWS::SNS::Topic"]},
                                                          {"Field": "eventName", "Equals": ["Publish"]}]}]
    r = c.put_event_selectors(TrailName="sel", AdvancedEventSelectors=advanced)
    assert r["AdvancedEventSelectors"] == advanced and "EventSelectors" not in r
    got = c.get_event_selectors(TrailName="sel")
    assert got["AdvancedEventSelectors"] == advanced and "EventSelectors" not in got
    bad = [
        {"EventSelectors": basic, "AdvancedEventSelectors": advanced},
        {},
    ]
    for kw in bad:
        with pytest.raises(ClientError) as e:
            c.put_event_selectors(TrailName="sel", **kw)
        assert code(e) == "InvalidParameterCombinationException", kw
    invalid = [
        {"EventSelectors": [{"ReadWriteType": "All"}] * 6},
        {"EventSelectors": [{"DataResources": [{"Type": "AWS::SNS::Topic", "Values": ["arn:aws:sns"]}]}]},
        {"EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:lambda"]}]}]},
        {"EventSelectors": [{"ExcludeManagementEventSources": ["sts.amazonaws.com"]}]},
        {"EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::b{i}/" for i in range(251)]}]}]},
        {"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "readOnly", "Equals": ["true"]}]}]},
        {"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Sometimes"]}]}]},
        {"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                                                        {"Field": "readOnly", "Equals": ["maybe"]}]}]},
        {"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}]},
        {"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                                                        {"Field": "eventName", "Equals": ["CreateKey"]}]}]},
        {"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                                                        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                                                        {"Field": "noSuchField", "Equals": ["x"]}]}]},
    ]
    for kw in invalid:
        with pytest.raises(ClientError) as e:
            c.put_event_selectors(TrailName="sel", **kw)
        assert code(e) == "InvalidEventSelectorsException", kw
    # The selectors that were accepted last are still in place.
    assert c.get_event_selectors(TrailName="sel")["AdvancedEventSelectors"] == advanced


def test_list_public_keys_has_the_current_key_from_the_start(strict):
    c = ct(strict)
    # A region always has a current key, before any digest (API reference: "If not specified, the current time is
    # used, and the current public key is returned").
    keys = c.list_public_keys()["PublicKeyList"]
    assert len(keys) == 1 and keys[0]["ValidityStartTime"] <= keys[0]["ValidityEndTime"] and len(keys[0]["Fingerprint"]) == 32
    assert c.list_public_keys()["PublicKeyList"] == keys
    with pytest.raises(ClientError) as e:
        import datetime
        now = datetime.datetime.now(datetime.timezone.utc)
        c.list_public_keys(StartTime=now, EndTime=now - datetime.timedelta(hours=1))
    assert code(e) == "InvalidTimeRangeException"
