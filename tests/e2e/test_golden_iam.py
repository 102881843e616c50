"""Golden responses for IAM: the raw XML body of each call, as the server sent it, compared whole with the document
recorded from AWS.

IAM speaks the Query protocol. The raw body (captured with golden.Raw) is read into a document that keeps the XML's
own names and text: {"<Op>Response": {"<Op>Result": {...}, "ResponseMetadata": {"RequestId": ...}}}; leaves stay the
text on the wire ("false", "0", the timestamp as written), lists are the <member> items, maps the <entry> key/value
pairs (the botocore model says which element is which). Policy documents travel URL-encoded (API Reference: "The
policy document returned in this structure is URL-encoded compliant with RFC 3986"); they are checked to be so and
shown decoded, as {"url-encoded": <document>}. golden.assert_document compares: a missing or extra element fails.

Sources, named per case:
- "LS-users", "LS-roles", "LS-policies", "LS-summary": responses recorded from AWS in LocalStack
  tests/aws/services/iam/test_iam_users / test_iam_roles / test_iam_policies / test_iam_account_summary
  .snapshot.json (recorded 02-2026), with the snapshot key. Their <datetime>, ids and names are patterns here.
- "API": the IAM API Reference (response elements, the Query envelope of its sample responses: <OpResponse
  xmlns="https://iam.amazonaws.com/doc/2010-05-08/"> with <OpResult> then <ResponseMetadata><RequestId>).
"""
import json
import re
import urllib.parse
import xml.etree.ElementTree as ET

from botocore.exceptions import ClientError

from golden import Raw, assert_document

NS = "{https://iam.amazonaws.com/doc/2010-05-08/}"
ACCOUNT = "000000000000"
DATE = r"re:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"
REQUEST = {"RequestId": "$uuid"}
DOCUMENT_MEMBERS = {"Document", "AssumeRolePolicyDocument", "PolicyDocument"}
TRUST = {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def local(tag):
    return tag[len(NS):] if tag.startswith(NS) else f"<no namespace>{tag}"


def xml_name(shape, default):
    return shape.serialization.get("name", default)


def convert(elem, shape, member_name=""):
    if member_name in DOCUMENT_MEMBERS:
        text = elem.text or ""
        assert re.fullmatch(r"[A-Za-z0-9\-._~%]*", text), f"{member_name} is not RFC 3986 URL-encoded: {text[:80]!r}"
        return {"url-encoded": json.loads(urllib.parse.unquote(text))}
    kind = shape.type_name
    if kind == "structure":
        names = {xml_name(m, n): (n, m) for n, m in shape.members.items()}
        out = {}
        for child in elem:
            tag = local(child.tag)
            assert tag not in out, f"<{tag}> twice"
            n, m = names.get(tag, (tag, None))
            out[tag] = convert(child, m, n) if m is not None else f"<unmodelled>{child.text}"
        return out
    if kind == "list":
        item = xml_name(shape.member, "member")
        assert all(local(c.tag) == item for c in elem), [local(c.tag) for c in elem]
        return [convert(c, shape.member) for c in elem]
    if kind == "map":
        key, value = xml_name(shape.key, "key"), xml_name(shape.value, "value")
        out = {}
        for entry in elem:
            assert local(entry.tag) == "entry", local(entry.tag)
            out[entry.find(NS + key).text] = convert(entry.find(NS + value), shape.value)
        return out
    return elem.text or ""


def raw_document(client, operation, params, status=200):
    """Calls `operation`; returns its raw XML body as a document (see the module docstring)."""
    raw = Raw(client)
    try:
        getattr(client, operation)(**params)
    except ClientError:
        if status == 200:
            raise
    assert raw.status == status, (raw.status, raw.body)
    root = ET.fromstring(raw.body)
    op = client.meta.method_to_api_mapping[operation]
    if status != 200:
        assert local(root.tag) == "ErrorResponse", raw.body
        return {"ErrorResponse": {local(c.tag): ({local(g.tag): g.text for g in c} if len(c) else c.text) for c in root}}
    assert local(root.tag) == f"{op}Response", raw.body
    model = client.meta.service_model.operation_model(op)
    doc = {}
    for child in root:
        tag = local(child.tag)
        if tag == f"{op}Result":
            doc[tag] = convert(child, model.output_shape)
        elif tag == "ResponseMetadata":
            doc[tag] = {local(g.tag): g.text for g in child}
        else:
            doc[tag] = child.text
    assert list(doc) == [f"{op}Result", "ResponseMetadata"] or (model.output_shape is None and list(doc) == ["ResponseMetadata"]), list(doc)
    return {f"{op}Response": doc}


def envelope(op, result):
    return {f"{op}Response": {f"{op}Result": result, "ResponseMetadata": REQUEST}}


def golden(client, operation, params, result, source):
    doc = raw_document(client, operation, params)
    op = client.meta.method_to_api_mapping[operation]
    assert_document(doc, envelope(op, result), source)
    return doc[f"{op}Response"][f"{op}Result"]


# --- users ---------------------------------------------------------------------------------------------------------

def user_doc(name, path="/", **extra):
    return dict({"Path": path, "UserName": name, "UserId": r"re:AIDA[A-Z2-7]{17}",
                 "Arn": f"arn:aws:iam::{ACCOUNT}:user{path}{name}", "CreateDate": DATE}, **extra)


def test_user_documents(strict):
    iam = strict.client("iam")
    created = golden(iam, "create_user", {"UserName": "golden-user"}, {"User": user_doc("golden-user")},
                     "LS-users test_user_lifecycle[None] -> create-user (Arn, CreateDate, Path, UserId, UserName only)")
    golden(iam, "get_user", {"UserName": "golden-user"}, {"User": dict(user_doc("golden-user"), UserId=created["User"]["UserId"])},
           "LS-users test_user_lifecycle[None] -> get-user")
    golden(iam, "create_user", {"UserName": "pathed", "Path": "/test-lifecycle-path/"},
           {"User": user_doc("pathed", "/test-lifecycle-path/")},
           "LS-users test_user_lifecycle[/test-lifecycle-path/] -> create-user")
    tags = [{"Key": "Environment", "Value": "Test"}, {"Key": "Team", "Value": "Platform"}]
    golden(iam, "create_user", {"UserName": "tagged", "Tags": tags}, {"User": user_doc("tagged", Tags=tags)},
           "LS-users test_user_tag_lifecycle -> create-user-with-tags")
    golden(iam, "get_user", {"UserName": "tagged"}, {"User": user_doc("tagged", Tags=tags)},
           "LS-users test_user_tag_lifecycle -> get-user-with-tags")
    golden(iam, "list_users", {"PathPrefix": "/test-lifecycle-path/"},
           {"Users": [user_doc("pathed", "/test-lifecycle-path/")], "IsTruncated": "false"},
           "LS-users test_user_lifecycle[/test-lifecycle-path/] -> list-filtered-users")


def test_error_document(strict):
    """LS-users get-nonexistent-user-error: Code NoSuchEntity, Type Sender, HTTP 404; API Common Errors: the Query
    error envelope <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>."""
    iam = strict.client("iam")
    doc = raw_document(iam, "get_user", {"UserName": "nonexistent-user"}, status=404)
    assert_document(doc, {"ErrorResponse": {"Error": {"Type": "Sender", "Code": "NoSuchEntity",
                                                      "Message": "The user with name nonexistent-user cannot be found."},
                                            "RequestId": "$uuid"}}, "LS-users get-nonexistent-user-error")


# --- roles ---------------------------------------------------------------------------------------------------------

def role_doc(name, **extra):
    return dict({"Path": "/", "RoleName": name, "RoleId": r"re:AROA[A-Z2-7]{17}", "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
                 "CreateDate": DATE, "AssumeRolePolicyDocument": {"url-encoded": TRUST}}, **extra)


def test_role_documents(strict):
    iam = strict.client("iam")
    golden(iam, "create_role", {"RoleName": "golden-role", "AssumeRolePolicyDocument": json.dumps(TRUST)},
           {"Role": role_doc("golden-role")},
           "LS-roles test_create_role_defaults -> create-role-response (no Description, MaxSessionDuration or RoleLastUsed)")
    golden(iam, "get_role", {"RoleName": "golden-role"},
           {"Role": role_doc("golden-role", MaxSessionDuration="3600", RoleLastUsed={})},
           "LS-roles test_create_role_defaults -> get-role-response")
    golden(iam, "create_role", {"RoleName": "described", "AssumeRolePolicyDocument": json.dumps(TRUST),
                                "Description": "initial description", "Tags": [{"Key": "test", "Value": "value"}]},
           {"Role": role_doc("described", Tags=[{"Key": "test", "Value": "value"}])},
           "LS-roles test_role_with_tags -> create-role-response (Tags, no Description)")
    golden(iam, "get_role", {"RoleName": "described"},
           {"Role": role_doc("described", Description="initial description", MaxSessionDuration="3600", RoleLastUsed={},
                             Tags=[{"Key": "test", "Value": "value"}])},
           "LS-roles test_update_role -> get-role-initial; test_role_with_tags -> get-role-response")


# --- managed policies ----------------------------------------------------------------------------------------------

SAMPLE = {"Version": "2012-10-17", "Statement": [{"Sid": "Statement1", "Effect": "Allow", "Action": ["iam:ListUsers"], "Resource": "*"}]}


def policy_doc(name, **extra):
    return dict({"PolicyName": name, "PolicyId": r"re:ANPA[A-Z2-7]{17}", "Arn": f"arn:aws:iam::{ACCOUNT}:policy/{name}",
                 "Path": "/", "DefaultVersionId": "v1", "AttachmentCount": "0", "PermissionsBoundaryUsageCount": "0",
                 "IsAttachable": "true", "CreateDate": DATE, "UpdateDate": DATE}, **extra)


def test_policy_documents(strict):
    iam = strict.client("iam")
    arn = golden(iam, "create_policy", {"PolicyName": "golden-policy", "PolicyDocument": json.dumps(SAMPLE)},
                 {"Policy": policy_doc("golden-policy")},
                 "LS-policies test_policy_lifecycle[None] -> create-policy-response")["Policy"]["Arn"]
    golden(iam, "get_policy", {"PolicyArn": arn}, {"Policy": policy_doc("golden-policy", Tags=[])},
           "LS-policies test_policy_lifecycle[None] -> get-policy-response (Tags present, empty)")
    golden(iam, "get_policy_version", {"PolicyArn": arn, "VersionId": "v1"},
           {"PolicyVersion": {"Document": {"url-encoded": SAMPLE}, "VersionId": "v1", "IsDefaultVersion": "true", "CreateDate": DATE}},
           "LS-policies test_policy_version_lifecycle -> get-version-v2 (Document, VersionId, IsDefaultVersion, CreateDate)")
    second = dict(SAMPLE, Statement=[dict(SAMPLE["Statement"][0], Action=["s3:ListBucket"])])
    golden(iam, "create_policy_version", {"PolicyArn": arn, "PolicyDocument": json.dumps(second), "SetAsDefault": True},
           {"PolicyVersion": {"VersionId": "v2", "IsDefaultVersion": "true", "CreateDate": DATE}},
           "LS-policies test_policy_version_lifecycle -> create-version-v2")
    golden(iam, "get_policy_version", {"PolicyArn": arn, "VersionId": "v2"},
           {"PolicyVersion": {"Document": {"url-encoded": second}, "VersionId": "v2", "IsDefaultVersion": "true", "CreateDate": DATE}},
           "LS-policies test_policy_version_lifecycle -> get-version-v2")
    golden(iam, "list_policy_versions", {"PolicyArn": arn},
           {"Versions": [{"VersionId": "v2", "IsDefaultVersion": "true", "CreateDate": DATE},
                         {"VersionId": "v1", "IsDefaultVersion": "false", "CreateDate": DATE}], "IsTruncated": "false"},
           "LS-policies test_policy_version_lifecycle -> list-versions (newest first, no Document)")


def test_attached_policy_documents(strict):
    iam = strict.client("iam")
    iam.create_user(UserName="attached")
    golden(iam, "list_attached_user_policies", {"UserName": "attached"}, {"AttachedPolicies": [], "IsTruncated": "false"},
           "LS-users test_user_managed_policy_lifecycle -> list-attached-user-policies-empty")
    arn = iam.create_policy(PolicyName="attached-policy", PolicyDocument=json.dumps(SAMPLE))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="attached", PolicyArn=arn)
    golden(iam, "list_attached_user_policies", {"UserName": "attached"},
           {"AttachedPolicies": [{"PolicyName": "attached-policy", "PolicyArn": arn}], "IsTruncated": "false"},
           "LS-users test_user_managed_policy_lifecycle -> list-attached-user-policies")
    inline = {"Version": "2012-10-17", "Statement": [{"Action": "iam:ListUsers", "Effect": "Allow", "Resource": "*"}]}
    iam.put_user_policy(UserName="attached", PolicyName="inline", PolicyDocument=json.dumps(inline))
    golden(iam, "get_user_policy", {"UserName": "attached", "PolicyName": "inline"},
           {"UserName": "attached", "PolicyName": "inline", "PolicyDocument": {"url-encoded": inline}},
           "LS-users test_user_inline_policy_lifecycle -> get-user-policy")


# --- access keys ---------------------------------------------------------------------------------------------------

def test_access_key_documents(strict):
    iam = strict.client("iam")
    iam.create_user(UserName="keyholder")
    golden(iam, "list_access_keys", {"UserName": "keyholder"}, {"AccessKeyMetadata": [], "IsTruncated": "false"},
           "LS-users test_access_key_lifecycle -> list-access-keys-empty")
    key = golden(iam, "create_access_key", {"UserName": "keyholder"},
                 {"AccessKey": {"UserName": "keyholder", "AccessKeyId": r"re:AKIA[A-Z0-9]{16}", "Status": "Active",
                                "SecretAccessKey": r"re:[A-Za-z0-9/+]{40}", "CreateDate": DATE}},
                 "LS-users test_access_key_lifecycle -> create-access-key")["AccessKey"]
    golden(iam, "list_access_keys", {"UserName": "keyholder"},
           {"AccessKeyMetadata": [{"UserName": "keyholder", "AccessKeyId": key["AccessKeyId"], "Status": "Active", "CreateDate": DATE}],
            "IsTruncated": "false"},
           "LS-users test_access_key_lifecycle -> list-access-keys (no SecretAccessKey)")
    golden(iam, "get_access_key_last_used", {"AccessKeyId": key["AccessKeyId"]},
           {"UserName": "keyholder", "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}},
           "LS-users test_access_key_last_used -> get-access-key-last-used-unused")


# --- account summary -----------------------------------------------------------------------------------------------

QUOTAS = {"AccessKeysPerUserQuota": "2", "AccountMFAEnabled": "0", "AccountSigningCertificatesPresent": "0",
          "AssumeRolePolicySizeQuota": "2048", "AttachedPoliciesPerGroupQuota": "10", "AttachedPoliciesPerRoleQuota": "10",
          "AttachedPoliciesPerUserQuota": "10", "GlobalEndpointTokenVersion": "1", "GroupPolicySizeQuota": "5120",
          "GroupsPerUserQuota": "10", "GroupsQuota": "300", "InstanceProfilesQuota": "1000", "PoliciesQuota": "1500",
          "PolicySizeQuota": "6144", "PolicyVersionsInUseQuota": "10000", "RolePolicySizeQuota": "10240", "RolesQuota": "1000",
          "ServerCertificatesQuota": "20", "SigningCertificatesPerUserQuota": "2", "UserPolicySizeQuota": "2048",
          "UsersQuota": "5000", "VersionsPerPolicyQuota": "5"}


def test_account_summary_document(strict):
    """LS-summary test_get_account_summary_format -> transformed-summary: exactly these keys, these quota values; the
    counts (transformed there) are this fresh account's."""
    iam = strict.client("iam")
    iam.create_user(UserName="counted")
    iam.create_role(RoleName="counted", AssumeRolePolicyDocument=json.dumps(TRUST))
    arn = iam.create_policy(PolicyName="counted", PolicyDocument=json.dumps(SAMPLE))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="counted", PolicyArn=arn)
    counts = {"AccountAccessKeysPresent": "re:[01]", "AccountPasswordPresent": "0", "Groups": "0", "InstanceProfiles": "0",
              "MFADevices": "0", "MFADevicesInUse": "0", "Policies": "1", "PolicyVersionsInUse": "1", "Providers": "0",
              "Roles": "1", "ServerCertificates": "0", "Users": "1"}
    golden(iam, "get_account_summary", {}, {"SummaryMap": dict(QUOTAS, **counts)},
           "LS-summary transformed-summary (keys, quotas); test_get_account_summary_with_resources (one entity each)")
