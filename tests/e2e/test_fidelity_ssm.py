"""Parameter Store answering as AWS does: response documents and error bodies compared with AWS's (LocalStack's
AWS-validated tests and snapshot, `SSM-T`/`SSM-SNAP`; texts moto's tests copy from AWS, `MOTO`; AWS's user guide).
Every case names its source."""
import json

import pytest
from botocore.exceptions import ClientError

from conftest import BACKENDS, code
from golden import golden

SSMT = "SSM-T (localstack tests/aws/services/ssm/test_ssm.py, aws.validated)"
MOTO = "MOTO (getmoto tests/test_ssm, texts copied from AWS; unverified)"


@pytest.fixture(params=BACKENDS)
def w(request, make_warden):
    return make_warden(request.param)


def account(w):
    return w.client("sts").get_caller_identity()["Account"]


def test_name_and_slash_name_are_one_parameter(w):
    c = w.client("ssm", validate=False)
    acct = account(w)
    c.put_parameter(Name="param-x", Value="v1", Type="String")
    assert c.get_parameter(Name="param-x")["Parameter"]["Name"] == "param-x"
    p = c.get_parameter(Name="/param-x")["Parameter"]
    assert (p["Name"], p["Value"]) == ("/param-x", "v1"), f"{SSMT} test_put_parameters"
    got = c.get_parameters(Names=["/param-x"])
    assert [(q["Name"], q["Value"]) for q in got["Parameters"]] == [("/param-x", "v1")] and got["InvalidParameters"] == []
    with pytest.raises(ClientError) as e:
        c.put_parameter(Name="/param-x", Value="v2", Type="String")
    assert code(e) == "ParameterAlreadyExists"
    assert c.put_parameter(Name="/param-x", Value="v2", Overwrite=True)["Version"] == 2
    assert c.get_parameter(Name="param-x")["Parameter"]["Value"] == "v2"
    # GetParameter by ARN: Name is the plain name (SSM-SNAP test_get_parameter_by_arn).
    golden(c, "get_parameter", {"Name": f"arn:aws:ssm:us-east-1:{acct}:parameter/param-x"},
           {"Parameter": {"ARN": f"arn:aws:ssm:us-east-1:{acct}:parameter/param-x", "DataType": "text", "LastModifiedDate": "$timestamp",
                          "Name": "param-x", "Type": "String", "Value": "v2", "Version": 2}},
           "SSM-SNAP test_get_parameter_by_arn")
    c.put_parameter(Name="/foo/bar-x", Value="deep", Type="String")
    p = c.get_parameter(Name=f"arn:aws:ssm:us-east-1:{acct}:parameter/foo/bar-x")["Parameter"]
    assert p["Name"] == "/foo/bar-x" and p["ARN"] == f"arn:aws:ssm:us-east-1:{acct}:parameter/foo/bar-x", "SSM-SNAP test_put_and_get_via_arn"
    c.delete_parameter(Name="/param-x")
    with pytest.raises(ClientError) as e:
        c.get_parameter(Name="param-x")
    assert code(e) == "ParameterNotFound"


def test_parameter_not_found_bodies(w):
    c = w.client("ssm", validate=False)
    golden(c, "get_parameter", {"Name": "/does/not/exist"}, {"__type": "ParameterNotFound"},
           "real AWS body quoted in a deployment log; aws-sdk-js #4330 (no message)", status=400)
    golden(c, "get_parameter", {"Name": "test-3:2"}, {"__type": "ParameterNotFound"}, "GetParameter never has a message", status=400)
    golden(c, "delete_parameter", {"Name": "test_noexist"},
           {"__type": "ParameterNotFound", "message": "Parameter test_noexist not found."}, f"{MOTO} test_delete_nonexistent_parameter",
           status=400)
    golden(c, "get_parameter_history", {"Name": "invalid_parameter_name"},
           {"__type": "ParameterNotFound", "message": "Parameter invalid_parameter_name not found."}, f"{MOTO} get_parameter_history",
           status=400)
    c.put_parameter(Name="/a/b/c", Value="v", Type="String")
    for bad in ["/a//b//c", "a/b/c"]:
        with pytest.raises(ClientError) as e:
            c.get_parameter(Name=bad)
        assert code(e) == "ValidationException" and "sub-paths divided by slash symbol" in e.value.response["Error"]["Message"], \
            f"{SSMT} test_hierarchical_parameter"


def test_reserved_names(w):
    c = w.client("ssm", validate=False)
    for name in ["ssm_test", "SSM_TEST", "aws_test", "AWS_TEST"]:
        golden(c, "put_parameter", {"Name": name, "Value": "v", "Type": "String"},
               {"__type": "ValidationException", "message": 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).'},
               f"{MOTO} test_put_parameter_invalid_names", status=400)
    with pytest.raises(ClientError) as e:
        c.put_parameter(Name="/ssm_test/path/to/var", Value="v", Type="String")
    assert e.value.response["Error"]["Message"].startswith('Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path')
    with pytest.raises(ClientError) as e:
        c.put_parameter(Name="/aws_test/path/to/var", Value="v", Type="String")
    assert e.value.response["Error"]["Message"] == "No access to reserved parameter name: /aws_test/path/to/var."


def describe_error(c, filters):
    with pytest.raises(ClientError) as e:
        c.describe_parameters(ParameterFilters=filters)
    return code(e), e.value.response["Error"]["Message"]


def test_describe_parameters_filter_rules(w):
    c = w.client("ssm", validate=False)
    for n in ["param", "/param-2", "/x/y", "/x/z/deep", "top"]:
        c.put_parameter(Name=n, Value="v", Type="String")
    assert describe_error(c, [{"Key": "Label", "Values": ["x"]}]) == (
        "InvalidFilterKey", "The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, Tier].")
    assert describe_error(c, [{"Key": "Name"}]) == (
        "InvalidFilterValue", "The following filter values are missing : null for filter key Name.")
    assert describe_error(c, [{"Key": "Name", "Values": ["test"]}, {"Key": "Name", "Values": ["test test"]}]) == (
        "InvalidFilterKey",
        "The following filter is duplicated in the request: Name. A request can contain only one occurrence of a specific filter.")
    assert describe_error(c, [{"Key": "Path", "Option": "Equals", "Values": ["/x"]}]) == (
        "InvalidFilterOption", "The following filter option is not valid: Equals. Valid options include: [Recursive, OneLevel].")
    assert describe_error(c, [{"Key": "Name", "Option": "option", "Values": ["x"]}]) == (
        "InvalidFilterOption", "The following filter option is not valid: option. Valid options include: [BeginsWith, Equals].")
    for path in ["/aws", "/ssm"]:
        got = describe_error(c, [{"Key": "Path", "Values": [path]}])
        assert got[0] == "ValidationException" and got[1].startswith(
            'Filters for common parameters can\'t be prefixed with "aws" or "ssm" (case-insensitive).'), got
    for path in ["/###", "//", "test"]:
        got = describe_error(c, [{"Key": "Path", "Values": [path]}])
        assert got[0] == "ValidationException" and "The parameter doesn't meet the parameter name requirements" in got[1], (path, got)
    got = describe_error(c, [{"Key": "Tier", "Values": ["test"]}])
    assert got[1] == "The following filter value is not valid: test. Valid values include: [Standard, Advanced, Intelligent-Tiering].", got
    got = describe_error(c, [{"Key": "Type", "Values": ["test"]}])
    assert got[1] == "The following filter value is not valid: test. Valid values include: [String, StringList, SecureString].", got
    with pytest.raises(ClientError) as e:
        c.describe_parameters(Filters=[{"Key": "Name", "Values": ["x"]}], ParameterFilters=[{"Key": "Name", "Values": ["x"]}])
    assert e.value.response["Error"]["Message"] == "You can use either Filters or ParameterFilters in a single request."

    def described(filters):
        return sorted(p["Name"] for p in c.describe_parameters(ParameterFilters=filters)["Parameters"])

    # Path without Option is OneLevel; `/` is the top level (MOTO test_describe_parameters_with_parameter_filters_path).
    assert described([{"Key": "Path", "Values": ["/x"]}]) == ["/x/y"]
    assert described([{"Key": "Path", "Option": "Recursive", "Values": ["/x"]}]) == ["/x/y", "/x/z/deep"]
    assert described([{"Key": "Path", "Values": ["/"]}]) == ["/param-2", "param", "top"]
    assert described([{"Key": "Path", "Values": ["/fo"]}]) == []
    # Name matches with or without the leading slash (MOTO test_describe_parameters_with_parameter_filters_name).
    assert described([{"Key": "Name", "Values": ["/param"]}]) == ["param"]
    assert described([{"Key": "Name", "Values": ["param-2"]}]) == ["/param-2"]
    assert described([{"Key": "Name", "Option": "BeginsWith", "Values": ["param"]}]) == ["/param-2", "param"]
    # GetParametersByPath: Label is a filter there; Name is not; `/` gives the top-level names.
    with pytest.raises(ClientError) as e:
        c.get_parameters_by_path(Path="/x", ParameterFilters=[{"Key": "Name", "Values": ["x"]}])
    assert code(e) == "InvalidFilterKey" and \
        e.value.response["Error"]["Message"] == "The following filter key is not valid: Name. Valid filter keys include: [Type, KeyId]."
    top = c.get_parameters_by_path(Path="/")["Parameters"]
    assert sorted(p["Name"] for p in top) == ["/param-2", "param", "top"], f"{MOTO} get_parameters_by_path Path /"


def test_secrets_manager_references(w):
    c, sm = w.client("ssm", validate=False), w.client("secretsmanager")
    created = sm.create_secret(Name="s1-secret", SecretString="hello")
    v2 = sm.put_secret_value(SecretId="s1-secret", SecretString="again")["VersionId"]
    p = golden(c, "get_parameter", {"Name": "/aws/reference/secretsmanager/s1-secret", "WithDecryption": True},
               {"Parameter": {"ARN": created["ARN"], "DataType": "text", "LastModifiedDate": "$timestamp",
                              "Name": "/aws/reference/secretsmanager/s1-secret", "SourceResult": "$string", "Type": "SecureString",
                              "Value": "again", "Version": 0}},
               "user guide integration-ps-secretsmanager (ARN = the secret's); Version/DataType as moto (unverified)")
    source = json.loads(p["Parameter"]["SourceResult"])
    assert source["name"] == "s1-secret" and ":secretsmanager:" in source["ARN"], f"{SSMT} test_get_secret_parameter"
    q = c.get_parameter(Name=f"/aws/reference/secretsmanager/s1-secret:{v2}", WithDecryption=True)["Parameter"]
    assert q["Name"] == "/aws/reference/secretsmanager/s1-secret" and q["Selector"] == f":{v2}" and q["Value"] == "again"
    q = c.get_parameter(Name="/aws/reference/secretsmanager/s1-secret:AWSPREVIOUS", WithDecryption=True)["Parameter"]
    assert q["Selector"] == ":AWSPREVIOUS" and q["Value"] == "hello"
    with pytest.raises(ClientError) as e:
        c.get_parameter(Name="/aws/reference/secretsmanager/inexistent", WithDecryption=True)
    import re
    assert code(e) == "ParameterNotFound" and re.search(r"Secret .*aws/reference/secretsmanager/inexistent.* not found\.",
                                                        e.value.response["Error"]["Message"]), f"{SSMT} test_get_inexistent_secret"
    got = c.get_parameters(Names=["/aws/reference/secretsmanager/s1-secret", "/aws/reference/secretsmanager/inexistent_secret"],
                           WithDecryption=True)
    assert [q["Value"] for q in got["Parameters"]] == ["again"], f"{SSMT} test_get_parameters_and_secrets"
    assert got["InvalidParameters"] == ["/aws/reference/secretsmanager/inexistent_secret"]
    with pytest.raises(ClientError) as e:
        c.get_parameter(Name="s1-secret", WithDecryption=True)
    assert code(e) == "ParameterNotFound"


GI = "/aws/service/global-infrastructure"
GUIDE = "user guide parameter-store-public-parameters-global-infrastructure (CLI output recorded from AWS)"


def test_global_infrastructure_public_parameters(make_warden):
    w = make_warden("sqlite")
    c = w.client("ssm", region="us-east-2", validate=False)
    golden(c, "get_parameter", {"Name": f"{GI}/regions/us-east-1/longName"},
           {"Parameter": {"ARN": f"arn:aws:ssm:us-east-2::parameter{GI}/regions/us-east-1/longName", "DataType": "text",
                          "LastModifiedDate": "$timestamp", "Name": f"{GI}/regions/us-east-1/longName", "Type": "String",
                          "Value": "US East (N. Virginia)", "Version": 1}}, GUIDE)
    one_level = c.get_parameters_by_path(Path=f"{GI}/regions/us-east-1")["Parameters"]
    assert {p["Name"].rsplit("/", 1)[1]: p["Value"] for p in one_level} == {
        "domain": "amazonaws.com", "geolocationCountry": "US", "geolocationRegion": "US-VA", "longName": "US East (N. Virginia)",
        "partition": "aws"}, GUIDE
    assert all(p["ARN"].startswith("arn:aws:ssm:us-east-2::parameter/aws/") for p in one_level)
    regions, token = [], None
    while True:
        page = c.get_parameters_by_path(Path=f"{GI}/regions", **({"NextToken": token} if token else {}))
        assert len(page["Parameters"]) <= 10
        regions += [(p["Name"].rsplit("/", 1)[1], p["Value"]) for p in page["Parameters"]]
        token = page.get("NextToken")
        if not token:
            break
    assert all(name == value for name, value in regions) and {"us-east-1", "eu-west-1", "af-south-1"} <= {r for r, _ in regions}
    assert c.get_parameter(Name=f"{GI}/regions/us-east-2/services/ssm/endpoint")["Parameter"]["Value"] == "ssm.us-east-2.amazonaws.com"
    assert c.get_parameter(Name=f"{GI}/services/sqs")["Parameter"]["Value"] == "sqs"
    assert c.get_parameter(Name=f"{GI}/services/sqs/regions/eu-west-1")["Parameter"]["Value"] == "eu-west-1"
    got = c.get_parameters(Names=[f"{GI}/regions/eu-west-1/longName", f"{GI}/regions/xx-none-1"])
    assert [p["Value"] for p in got["Parameters"]] == ["Europe (Ireland)"] and got["InvalidParameters"] == [f"{GI}/regions/xx-none-1"]
    golden(c, "get_parameter", {"Name": f"{GI}/regions/xx-none-1"}, {"__type": "ParameterNotFound"}, "GetParameter has no message",
           status=400)
