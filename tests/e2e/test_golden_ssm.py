"""Golden responses for every Parameter Store operation Warden serves: each success body compared as a whole raw JSON
document with one written from AWS's documentation examples or a response recorded from AWS.

Sources, named per case:
  CLI-EX    the AWS CLI command reference examples (awscli/examples/ssm/<command>.rst). Some predate members AWS added
            since (DataType in 2020, ARN in ParameterMetadata later); those members are taken from the API Reference
            shapes and from the recordings below.
  SSM-SNAP  localstack tests/aws/services/ssm/test_ssm.snapshot.json and resources/test_ssm.snapshot.json (recorded from AWS)
  REC-DP    `aws ssm describe-parameters` output recorded from AWS in 2026 (public pathfinding-labs write-up):
            Name, ARN, Type, LastModifiedDate, LastModifiedUser, Description, Version, Tier, Policies [], DataType
  API       the Systems Manager API Reference (API_Parameter, API_ParameterMetadata, API_ParameterHistory)

Error bodies live in test_fidelity_ssm.py; this file complements it with the success documents.
"""
import pytest

from conftest import BACKENDS
from golden import golden

CLI = "CLI-EX (awscli/examples/ssm)"
SNAP = "SSM-SNAP (localstack test_ssm.snapshot.json, recorded from AWS)"
REC = "REC-DP (describe-parameters recorded from AWS, 2026)"
API = "API Reference"
ACCT = r"\d{12}"


def param_arn(name, region="us-east-1"):
    return rf"re:arn:aws:ssm:{region}:{ACCT}:parameter/{name.lstrip('/')}"


USER = rf"re:arn:aws:(iam::{ACCT}:(root|user/.+)|sts::{ACCT}:assumed-role/.+)"


@pytest.fixture(params=BACKENDS)
def ssm(request, make_warden):
    return make_warden(request.param).client("ssm", validate=False)


def test_put_and_get_documents(ssm):
    golden(ssm, "put_parameter", {"Name": "MyStringParameter", "Type": "String", "Value": "Veni",
                                  "Description": "This is the first version of my String parameter"},
           {"Tier": "Standard", "Version": 1}, f"{CLI} put-parameter (Version and Tier)")
    golden(ssm, "put_parameter", {"Name": "MyStringParameter", "Type": "String", "Value": "Vidi", "Overwrite": True,
                                  "Description": "This is the second version of my String parameter"},
           {"Tier": "Standard", "Version": 2}, f"{CLI} put-parameter example 1 (to change a parameter value)")
    golden(ssm, "put_parameter", {"Name": "MyAdvancedParameter", "Description": "This is an advanced parameter", "Value": "Lorem ipsum",
                                  "Type": "String", "Tier": "Advanced"},
           {"Tier": "Advanced", "Version": 1}, f"{CLI} put-parameter example 2 (to create an advanced parameter)")
    golden(ssm, "put_parameter", {"Name": "MySecureStringParameter", "Type": "SecureString", "Value": "16679b88-310b-4895-a943-e0764EXAMPLE"},
           {"Tier": "Standard", "Version": 1}, f"{CLI} put-parameter")
    golden(ssm, "put_parameter", {"Name": "MyStringListParameter", "Type": "StringList", "Value": "alpha,beta,gamma"},
           {"Tier": "Standard", "Version": 1}, f"{CLI} put-parameter")

    def parameter(name, type_, value, version, **extra):
        return {"ARN": param_arn(name), "DataType": "text", "LastModifiedDate": "$timestamp", "Name": name, "Type": type_,
                "Value": value, "Version": version, **extra}

    golden(ssm, "get_parameter", {"Name": "MyStringParameter"}, {"Parameter": parameter("MyStringParameter", "String", "Vidi", 2)},
           f"{CLI} get-parameter example 1; {SNAP} test_get_parameter_by_arn / test_parameter_defaults")
    golden(ssm, "get_parameter", {"Name": "MySecureStringParameter", "WithDecryption": True},
           {"Parameter": parameter("MySecureStringParameter", "SecureString", "16679b88-310b-4895-a943-e0764EXAMPLE", 1)},
           f"{CLI} get-parameter example 2 (SecureString decrypted)")
    golden(ssm, "get_parameter", {"Name": "MySecureStringParameter"},
           {"Parameter": parameter("MySecureStringParameter", "SecureString", "$string", 1)},
           f"{API} GetParameter (without WithDecryption a SecureString's Value is its ciphertext)")
    golden(ssm, "get_parameter", {"Name": "MyStringParameter:1"},
           {"Parameter": parameter("MyStringParameter", "String", "Veni", 1, Selector=":1")},
           f"{CLI} get-parameter example 4 (Name without the selector, Selector ':<version>')")
    golden(ssm, "get_parameters", {"Names": ["MyStringParameter", "MyStringListParameter", "MyInvalidParameterName"]},
           {"Parameters": [parameter("MyStringListParameter", "StringList", "alpha,beta,gamma", 1),
                           parameter("MyStringParameter", "String", "Vidi", 2)],
            "InvalidParameters": ["MyInvalidParameterName"]},
           f"{CLI} get-parameters example 1")
    golden(ssm, "get_parameters", {"Names": ["MyStringParameter:1"]},
           {"Parameters": [parameter("MyStringParameter", "String", "Veni", 1, Selector=":1")], "InvalidParameters": []},
           f"{CLI} get-parameters example 3 (InvalidParameters present and empty)")

    for n, v in [("/site/newyork/department/infotech", "Floor 3"), ("/site/newyork/department/marketing", "Floor 2"),
                 ("/site/newyork/department/deep/below", "x")]:
        ssm.put_parameter(Name=n, Value=v, Type="String")
    golden(ssm, "get_parameters_by_path", {"Path": "/site/newyork/department/"},
           {"Parameters": [parameter("/site/newyork/department/infotech", "String", "Floor 3", 1),
                           parameter("/site/newyork/department/marketing", "String", "Floor 2", 1)]},
           f"{CLI} get-parameters-by-path (one level; DataType per {API} API_Parameter and the user guide's recorded output)")


def test_describe_and_history_documents(ssm):
    ssm.put_parameter(Name="MyStringParameter", Type="String", Value="Veni", Description="This is the first version of my String parameter")
    ssm.put_parameter(Name="MyStringParameter", Type="String", Value="Vidi", Overwrite=True,
                      Description="This is the second version of my String parameter")
    ssm.put_parameter(Name="MySecureStringParameter", Type="SecureString", Value="s3cret", Description="This is a SecureString parameter")
    ssm.put_parameter(Name="latestAmi", Type="String", Value="ami-1")

    def metadata(name, type_, version, **extra):
        return {"ARN": param_arn(name), "DataType": "text", "LastModifiedDate": "$timestamp", "LastModifiedUser": USER, "Name": name,
                "Policies": [], "Tier": "Standard", "Type": type_, "Version": version, **extra}

    golden(ssm, "describe_parameters", {},
           {"Parameters": [
               metadata("MySecureStringParameter", "SecureString", 1, KeyId="alias/aws/ssm", Description="This is a SecureString parameter"),
               metadata("MyStringParameter", "String", 2, Description="This is the second version of my String parameter"),
               metadata("latestAmi", "String", 1)]},
           f"{CLI} describe-parameters example 1 (KeyId alias/aws/ssm, Policies [], no Description when unset); {REC} (ARN, DataType)")
    golden(ssm, "describe_parameters", {"ParameterFilters": [{"Key": "Type", "Values": ["SecureString"]}]},
           {"Parameters": [metadata("MySecureStringParameter", "SecureString", 1, KeyId="alias/aws/ssm",
                                    Description="This is a SecureString parameter")]},
           f"{CLI} describe-parameters example 2 (filtered)")

    def history(value, version, description, labels=()):
        return {"DataType": "text", "Description": description, "Labels": list(labels), "LastModifiedDate": "$timestamp",
                "LastModifiedUser": USER, "Name": "MyStringParameter", "Policies": [], "Tier": "Standard", "Type": "String",
                "Value": value, "Version": version}

    golden(ssm, "get_parameter_history", {"Name": "MyStringParameter"},
           {"Parameters": [history("Veni", 1, "This is the first version of my String parameter"),
                           history("Vidi", 2, "This is the second version of my String parameter")]},
           f"{CLI} get-parameter-history (Labels [] and Policies [] present; DataType per {API} API_ParameterHistory)")
    golden(ssm, "get_parameter_history", {"Name": "MySecureStringParameter", "WithDecryption": True},
           {"Parameters": [{"DataType": "text", "Description": "This is a SecureString parameter", "KeyId": "alias/aws/ssm", "Labels": [],
                            "LastModifiedDate": "$timestamp", "LastModifiedUser": USER, "Name": "MySecureStringParameter", "Policies": [],
                            "Tier": "Standard", "Type": "SecureString", "Value": "s3cret", "Version": 1}]},
           f"{CLI} get-parameter-history; {API} API_ParameterHistory (KeyId for SecureString)")


def test_label_documents(ssm):
    for v in ["Veni", "Vidi", "Vici"]:
        ssm.put_parameter(Name="MyStringParameter", Type="String", Value=v, Overwrite=True)
    golden(ssm, "label_parameter_version", {"Name": "MyStringParameter", "Labels": ["ProductionReady"]},
           {"InvalidLabels": [], "ParameterVersion": 3}, f"{CLI} label-parameter-version example 1 (latest version)")
    golden(ssm, "label_parameter_version", {"Name": "MyStringParameter", "ParameterVersion": 2, "Labels": ["DevelopmentReady", "awsabc"]},
           {"InvalidLabels": ["awsabc"], "ParameterVersion": 2},
           "MOTO test_label_parameter_version_invalid_label (labels starting with aws are InvalidLabels, not an error)")
    golden(ssm, "get_parameter", {"Name": "MyStringParameter:ProductionReady"},
           {"Parameter": {"ARN": param_arn("MyStringParameter"), "DataType": "text", "LastModifiedDate": "$timestamp",
                          "Name": "MyStringParameter", "Selector": ":ProductionReady", "Type": "String", "Value": "Vici", "Version": 3}},
           f"{CLI} get-parameter example 3 (by label)")
    golden(ssm, "unlabel_parameter_version", {"Name": "MyStringParameter", "ParameterVersion": 2, "Labels": ["DevelopmentReady"]},
           {"RemovedLabels": ["DevelopmentReady"], "InvalidLabels": []}, f"{CLI} unlabel-parameter-version")
    golden(ssm, "get_parameter_history", {"Name": "MyStringParameter", "MaxResults": 1},
           {"NextToken": "$string", "Parameters": [
               {"DataType": "text", "Labels": [], "LastModifiedDate": "$timestamp", "LastModifiedUser": USER, "Name": "MyStringParameter",
                "Policies": [], "Tier": "Standard", "Type": "String", "Value": "Veni", "Version": 1}]},
           f"{CLI} get-parameter-history (a page with NextToken; no Description when none was given)")


def test_tags_and_delete_documents(ssm):
    ssm.put_parameter(Name="My-Parameter", Type="String", Value="v")
    golden(ssm, "add_tags_to_resource", {"ResourceType": "Parameter", "ResourceId": "My-Parameter",
                                         "Tags": [{"Key": "Environment", "Value": "Production"}, {"Key": "Region", "Value": "EMEA"}]},
           {}, f"{CLI} add-tags-to-resource example 2 (no output)")
    golden(ssm, "list_tags_for_resource", {"ResourceType": "Parameter", "ResourceId": "My-Parameter"},
           {"TagList": [{"Key": "Environment", "Value": "Production"}, {"Key": "Region", "Value": "EMEA"}]},
           f"{CLI} list-tags-for-resource")
    golden(ssm, "remove_tags_from_resource", {"ResourceType": "Parameter", "ResourceId": "My-Parameter", "TagKeys": ["Region"]},
           {}, f"{CLI} remove-tags-from-resource (no output)")
    golden(ssm, "list_tags_for_resource", {"ResourceType": "Parameter", "ResourceId": "My-Parameter"},
           {"TagList": [{"Key": "Environment", "Value": "Production"}]}, f"{CLI} list-tags-for-resource")
    golden(ssm, "delete_parameter", {"Name": "My-Parameter"}, {}, f"{CLI} delete-parameter (no output)")
    for n in ["MyFirstParameter", "MySecondParameter"]:
        ssm.put_parameter(Name=n, Type="String", Value="v")
    golden(ssm, "delete_parameters", {"Names": ["MyFirstParameter", "MySecondParameter", "MyInvalidParameterName"]},
           {"DeletedParameters": ["MyFirstParameter", "MySecondParameter"], "InvalidParameters": ["MyInvalidParameterName"]},
           f"{CLI} delete-parameters")
