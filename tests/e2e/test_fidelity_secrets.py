"""Secrets Manager answering as AWS does: whole response documents and error bodies compared with ones recorded from AWS
(LocalStack's snapshot of real AWS, `SM-SNAP`), AWS-validated assertions (LocalStack, moto `@aws_verified`) and AWS's
documentation. Every case names its source."""
import pytest
from botocore.exceptions import ClientError

from conftest import BACKENDS, code
from golden import golden

SNAP = "SM-SNAP (localstack tests/aws/services/secretsmanager/test_secretsmanager.snapshot.json)"
ARN = r"re:arn:aws:secretsmanager:us-east-1:\d{12}:secret:{name}-[A-Za-z0-9]{6}"


def arn(name):
    return ARN.replace("{name}", name)


@pytest.fixture(params=BACKENDS)
def sm(request, make_warden):
    return make_warden(request.param).client("secretsmanager", validate=False)


def err(code_, message):
    # Secrets Manager's modeled errors spell the key `Message`; ValidationException, which its model does not list,
    # arrives as `message` (the recorded snapshot has no top-level Message for it, which botocore copies only from
    # `Message`).
    return {"__type": code_, ("message" if code_ == "ValidationException" else "Message"): message}


def test_shapes_of_a_secret_without_a_value_and_its_first_version(sm):
    golden(sm, "create_secret", {"Name": "empty", "Description": ""}, {"ARN": arn("empty"), "Name": "empty"},
           f"{SNAP} test_create_secret_version_from_empty_secret")
    golden(sm, "describe_secret", {"SecretId": "empty"},
           {"ARN": arn("empty"), "CreatedDate": "$timestamp", "LastChangedDate": "$timestamp", "Name": "empty"},
           f"{SNAP} test_create_secret_version_from_empty_secret (no VersionIdsToStages, no Description for '')")
    golden(sm, "get_secret_value", {"SecretId": "empty"},
           err("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"),
           f"{SNAP} test_secret_version_not_found get_secret_value_no_version_ex", status=400)
    # The first version gets AWSCURRENT even when the request names other stages (PutSecretValue API reference).
    r = golden(sm, "put_secret_value", {"SecretId": "empty", "SecretString": "v", "VersionStages": ["CUSTOM"]},
               {"ARN": arn("empty"), "Name": "empty", "VersionId": "$uuid", "VersionStages": ["AWSCURRENT", "CUSTOM"]},
               "PutSecretValue API reference: the first version always gets AWSCURRENT")
    assert sm.get_secret_value(SecretId="empty")["VersionId"] == r["VersionId"]


def test_describe_and_update_shapes(sm):
    created = golden(sm, "create_secret", {"Name": "s1", "SecretString": "one"},
                     {"ARN": arn("s1"), "Name": "s1", "VersionId": "$uuid"}, f"{SNAP} test_can_recreate_delete_secret create_secret_res_0")
    v1 = created["VersionId"]
    golden(sm, "describe_secret", {"SecretId": "s1"},
           {"ARN": arn("s1"), "CreatedDate": "$timestamp", "LastChangedDate": "$timestamp", "Name": "s1",
            "VersionIdsToStages": {v1: ["AWSCURRENT"]}},
           f"{SNAP} test_update_secret_description describe_secret_res_0 (no LastAccessedDate before a read, no RotationEnabled)")
    golden(sm, "get_secret_value", {"SecretId": "s1"},
           {"ARN": arn("s1"), "CreatedDate": "$timestamp", "Name": "s1", "SecretString": "one", "VersionId": v1,
            "VersionStages": ["AWSCURRENT"]}, f"{SNAP} GetSecretValue shape")
    d = golden(sm, "describe_secret", {"SecretId": "s1"},
               {"ARN": arn("s1"), "CreatedDate": "$timestamp", "LastAccessedDate": "$timestamp", "LastChangedDate": "$timestamp",
                "Name": "s1", "VersionIdsToStages": {v1: ["AWSCURRENT"]}},
               f"{SNAP} test_update_secret_description: LastAccessedDate after a read")
    assert d["LastAccessedDate"] % 86400 == 0, "LastAccessedDate is truncated to the day (SM-SNAP test_last_accessed_date)"
    golden(sm, "update_secret", {"SecretId": "s1", "Description": "only a description"}, {"ARN": arn("s1"), "Name": "s1"},
           f"{SNAP} test_update_secret_description update_secret_res_3 (no VersionId)")
    v2 = golden(sm, "update_secret", {"SecretId": "s1", "SecretString": "two"},
                {"ARN": arn("s1"), "Name": "s1", "VersionId": "$uuid"}, f"{SNAP} update_secret_res_0")["VersionId"]
    golden(sm, "update_secret_version_stage",
           {"SecretId": "s1", "VersionStage": "AWSCURRENT", "MoveToVersionId": v1, "RemoveFromVersionId": v2},
           {"ARN": arn("s1"), "Name": "s1"}, f"{SNAP} test_update_secret_version_stages_return_type")
    # ListSecretVersionIds: LastAccessedDate only on the version that was read.
    versions = golden(sm, "list_secret_version_ids", {"SecretId": "s1"},
                      {"ARN": arn("s1"), "Name": "s1", "Versions": [
                          {"CreatedDate": "$timestamp", "KmsKeyIds": ["DefaultEncryptionKey"], "LastAccessedDate": "$timestamp",
                           "VersionId": v1, "VersionStages": ["AWSCURRENT"]},
                          {"CreatedDate": "$timestamp", "KmsKeyIds": ["DefaultEncryptionKey"], "VersionId": v2,
                           "VersionStages": ["AWSPREVIOUS"]}]},
                      f"{SNAP} test_update_secret_version_stages_current_previous")
    assert versions


def test_stages_and_deprecated_versions(sm):
    v0 = sm.create_secret(Name="st", SecretString="0")["VersionId"]
    golden(sm, "put_secret_value", {"SecretId": "st", "SecretString": "1", "VersionStages": ["SAMPLESTAGE1", "SAMPLESTAGE0"]},
           {"ARN": arn("st"), "Name": "st", "VersionId": "$uuid", "VersionStages": ["SAMPLESTAGE0", "SAMPLESTAGE1"]},
           f"{SNAP} test_put_secret_value_with_version_stages (stages listed in order)")
    assert sm.get_secret_value(SecretId="st")["VersionId"] == v0
    v2 = sm.put_secret_value(SecretId="st", SecretString="2")["VersionId"]
    v3 = sm.put_secret_value(SecretId="st", SecretString="3")["VersionId"]
    # v0 lost AWSPREVIOUS to v2 and has no stage left: it leaves VersionIdsToStages and the default listing.
    stages = sm.describe_secret(SecretId="st")["VersionIdsToStages"]
    assert v0 not in stages and stages[v3] == ["AWSCURRENT"] and stages[v2] == ["AWSPREVIOUS"]
    deprecated = [v for v in sm.list_secret_version_ids(SecretId="st", IncludeDeprecated=True)["Versions"] if v["VersionId"] == v0]
    assert deprecated and "VersionStages" not in deprecated[0], f"{SNAP} test_deprecated_secret_version_stage list_secret_version_ids_5"


def test_invalid_names(sm):
    for name in ["Inv Name", " Inv Name", " Inv*Name? "]:
        golden(sm, "create_secret", {"Name": name, "SecretString": "x"},
               err("ValidationException",
                   "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"),
               f"{SNAP} test_invalid_secret_name", status=400)


def test_error_texts(sm):
    v1 = sm.create_secret(Name="e", SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId="e", SecretString="two")["VersionId"]
    golden(sm, "create_secret", {"Name": "e", "SecretString": "x"},
           err("ResourceExistsException", "The operation failed because the secret e already exists."),
           f"{SNAP} test_secret_exists_snapshots", status=400)
    golden(sm, "get_secret_value", {"SecretId": "nope"},
           err("ResourceNotFoundException", "Secrets Manager can't find the specified secret."), f"{SNAP} test_secret_not_found", status=400)
    golden(sm, "get_secret_value", {"SecretId": "e", "VersionStage": "AWSPENDING"},
           err("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: AWSPENDING"),
           f"{SNAP} get_secret_value_stage_not_found_ex", status=400)
    missing = "a" * 36
    golden(sm, "get_secret_value", {"SecretId": "e", "VersionId": missing},
           err("ResourceNotFoundException", f"Secrets Manager can't find the specified secret value for VersionId: {missing}"),
           f"{SNAP} get_secret_value_version_not_found_ex", status=400)
    golden(sm, "get_secret_value", {"SecretId": "e", "VersionId": v1, "VersionStage": "AWSCURRENT"},
           err("InvalidRequestException", "You provided a VersionStage that is not associated to the provided VersionId."),
           f"{SNAP} test_get_secret_value_errors mismatch_version_id_and_stage", status=400)
    golden(sm, "update_secret_version_stage", {"SecretId": "e", "VersionStage": "AWSCURRENT", "MoveToVersionId": v1},
           err("InvalidParameterException", "The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently "
               f"attached to version {v2}, so you must explicitly reference that version in RemoveFromVersionId."),
           "AWS text quoted in terraform-provider-aws CHANGELOG 5.33.0 (#19943)", status=400)
    # Scheduled for deletion.
    sm.delete_secret(SecretId="e", RecoveryWindowInDays=7)
    golden(sm, "create_secret", {"Name": "e", "SecretString": "x"},
           err("InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion."),
           f"{SNAP} test_exp_raised_on_creation_of_secret_scheduled_for_deletion", status=400)
    for op, params in [("get_secret_value", {}), ("put_secret_value", {"SecretString": "y"}),
                       ("put_resource_policy", {"ResourcePolicy": '{"Version":"2012-10-17","Statement":[]}'})]:
        golden(sm, op, {"SecretId": "e", **params},
               err("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion."),
               "real AWS text, terraform-provider-aws secret_policy.go", status=400)
    assert "DeletedDate" in sm.describe_secret(SecretId="e")
    golden(sm, "delete_secret", {"SecretId": "never", "ForceDeleteWithoutRecovery": True},
           {"ARN": arn("never"), "DeletionDate": "$timestamp", "Name": "never"},
           "LocalStack aws-validated test_delete_non_existent_secret_returns_as_if_secret_exists")


def test_batch_get_errors_per_secret(sm):
    sm.create_secret(Name="b1", SecretString="x")
    r = golden(sm, "batch_get_secret_value", {"SecretIdList": ["b1", "missing"]},
               {"SecretValues": [{"ARN": arn("b1"), "CreatedDate": "$timestamp", "Name": "b1", "SecretString": "x",
                                  "VersionId": "$uuid", "VersionStages": ["AWSCURRENT"]}],
                "Errors": [{"SecretId": "missing", "ErrorCode": "ResourceNotFoundException",
                            "Message": "Secrets Manager can't find the specified secret."}]},
               "API_BatchGetSecretValue / API_APIErrorType (per-secret text as GetSecretValue's, unverified)")
    assert r


def test_tags_member_after_untagging(sm):
    sm.create_secret(Name="t", SecretString="x")
    assert "Tags" not in sm.describe_secret(SecretId="t")
    sm.tag_resource(SecretId="t", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    assert sm.describe_secret(SecretId="t")["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    sm.untag_resource(SecretId="t", TagKeys=["a", "b"])
    assert sm.describe_secret(SecretId="t")["Tags"] == [], f"{SNAP} test_secret_tags describe_secret_6"


def names(sm, *filters, **kw):
    got = sm.list_secrets(Filters=[{"Key": k, "Values": v} for k, v in filters], **kw)["SecretList"]
    return sorted(s["Name"] for s in got)


def test_list_secrets_filters(sm):
    """Semantics as LocalStack's aws.validated test_list_secrets_filtering and moto's @aws_verified list tests record."""
    for name, desc in [("testing1/one-123", "a secret"), ("/prefixed", "an secret"), ("plain", "asecret"), ("other", "thesecret")]:
        sm.create_secret(Name=name, SecretString="x", Description=desc)
    assert names(sm, ("name", ["/"])) == ["/prefixed"]
    assert names(sm, ("name", ["!/"])) == ["other", "plain", "testing1/one-123"]
    assert names(sm, ("name", ["testing1 one"])) == []
    assert names(sm, ("name", ["Testing1"])) == []  # case-sensitive
    assert names(sm, ("description", ["a"])) == ["/prefixed", "plain", "testing1/one-123"]
    assert names(sm, ("description", ["!a"])) == ["other"]
    assert names(sm, ("description", ["A SECRET"])) == ["/prefixed", "testing1/one-123"]
    assert names(sm, ("description", ["!c"])) == ["/prefixed", "other", "plain", "testing1/one-123"]
    assert names(sm, ("description", ["a"]), ("name", ["secret"])) == []
    assert names(sm, ("description", ["a"]), ("name", ["an"])) == []
    # Values within a filter OR; the same key twice ANDs (moto test_with_duplicate_filter_keys, aws_verified).
    assert names(sm, ("name", ["plain", "other"])) == ["other", "plain"]
    assert names(sm, ("description", ["a"]), ("description", ["secret"])) == ["/prefixed", "testing1/one-123"]


def test_list_secrets_filter_all_and_tags(sm):
    sm.create_secret(Name="SecretOne", SecretString="x", Description="one two", Tags=[{"Key": "Team", "Value": "COMPANYthings"}])
    sm.create_secret(Name="db+main", SecretString="x", Description="one and two", Tags=[{"Key": "env", "Value": "prod"}])
    sm.create_secret(Name="third", SecretString="x", Description="two")
    assert names(sm, ("description", ["one two"])) == ["SecretOne", "db+main"]
    assert names(sm, ("description", ["o t"])) == ["SecretOne", "db+main"]
    assert names(sm, ("description", ["t"])) == ["SecretOne", "db+main", "third"]
    assert names(sm, ("all", ["sec"])) == ["SecretOne"]
    assert names(sm, ("all", ["one"])) == ["SecretOne", "db+main"]
    assert names(sm, ("all", ["ret"])) == []
    assert names(sm, ("all", ["+"])) == []
    assert names(sm, ("all", ["SomeSecret"])) == []
    assert names(sm, ("all", ["ythings"])) == ["SecretOne"]
    assert names(sm, ("all", ["main"])) == ["db+main"]
    assert names(sm, ("tag-key", ["Te"])) == ["SecretOne"]
    assert names(sm, ("tag-key", ["te"])) == []  # case-sensitive
    assert names(sm, ("tag-value", ["pro"])) == ["db+main"]
    assert names(sm, ("tag-value", ["!pro"])) == ["SecretOne", "third"]
    assert names(sm, ("owning-service", ["rds"])) == []
    assert names(sm, ("primary-region", ["us-"])) == []  # none is replicated
    with pytest.raises(ClientError) as e:
        sm.list_secrets(Filters=[{"Key": "invalid", "Values": ["x"]}])
    # AWS (per moto) answers ValidationException naming 'filters.1.member.key'; Warden's model check names the member.
    assert "filters.1.member.key" in e.value.response["Error"]["Message"]
    assert code(e) in ("ValidationException", "InvalidParameterException")
