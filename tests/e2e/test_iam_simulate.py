"""The IAM policy simulator end to end on both backends: SimulatePrincipalPolicy, SimulateCustomPolicy,
GetContextKeysForPrincipalPolicy and GetContextKeysForCustomPolicy. Decisions (allowed / explicitDeny / implicitDeny),
the statements that decided them, missing context keys, context entries that make a condition match, the permissions
boundary's part, and that a simulation decides exactly as the real, enforced call does.

Sources:
- "API": IAM API Reference, SimulatePrincipalPolicy / SimulateCustomPolicy / EvaluationResult /
  PermissionsBoundaryDecisionDetail / Statement / GetContextKeysForPrincipalPolicy.
- "OUT": simulator answers AWS sent, as published in public examples: MatchedStatements name an input policy
  "PolicyInputList.1", a managed policy by its name ("AdministratorAccess"), an inline policy as
  "role_<role>_<policy>"; SourcePolicyType "IAM Policy"; each matched statement has StartPosition/EndPosition
  ({"Line": 3, "Column": 17} .. {"Line": 8, "Column": 6} for AdministratorAccess).
- "CTF": a public CTF log quoting SimulatePrincipalPolicy on a session ARN: InvalidInput "Invalid ARN provided in the
  request: arn:aws:sts::...:assumed-role/...".
- "UG": IAM User Guide, Policy evaluation logic and Testing IAM policies with the IAM policy simulator.
"""
import json
import uuid

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "000000000000"


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return dict({"Effect": "Allow", "Action": action, "Resource": resource}, **extra)


def deny(action, resource="*", **extra):
    return dict({"Effect": "Deny", "Action": action, "Resource": resource}, **extra)


def name(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def user_arn(u):
    return f"arn:aws:iam::{ACCOUNT}:user/{u}"


def matched(result):
    """The statements that decided a result, as (SourcePolicyId, SourcePolicyType)."""
    return [(s["SourcePolicyId"], s["SourcePolicyType"]) for s in result["MatchedStatements"]]


def results(response):
    return {r["EvalActionName"]: r for r in response["EvaluationResults"]}


def error(call):
    with pytest.raises(ClientError) as e:
        call()
    r = e.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"]


def keys(w):
    kms = w.client("kms")
    return kms.create_key()["KeyMetadata"]["Arn"], kms.create_key()["KeyMetadata"]["Arn"]


def test_principal_policy_decisions_and_the_statements_behind_them(strict):
    iam = strict.client("iam")
    k1, _ = keys(strict)
    u, g = name("sim"), name("simgroup")
    iam.create_user(UserName=u)
    iam.put_user_policy(UserName=u, PolicyName="enc", PolicyDocument=policy(allow("kms:Encrypt", k1)))
    deny_name = name("no-decrypt")
    deny_arn = iam.create_policy(PolicyName=deny_name, PolicyDocument=policy(deny("kms:Decrypt")))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=u, PolicyArn=deny_arn)
    iam.create_group(GroupName=g)
    iam.add_user_to_group(GroupName=g, UserName=u)
    iam.put_group_policy(GroupName=g, PolicyName="lister", PolicyDocument=policy(allow("kms:ListKeys")))

    out = iam.simulate_principal_policy(PolicySourceArn=user_arn(u), ActionNames=["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"],
                                        ResourceArns=[k1])
    assert out["IsTruncated"] is False
    r = results(out)
    # API EvaluationResult: EvalActionName, EvalResourceName, EvalDecision, MatchedStatements, MissingContextValues.
    assert (r["kms:Encrypt"]["EvalDecision"], r["kms:Encrypt"]["EvalResourceName"]) == ("allowed", k1)
    assert matched(r["kms:Encrypt"]) == [(f"user_{u}_enc", "IAM Policy")]  # OUT: inline policies as <kind>_<entity>_<policy>
    assert r["kms:Decrypt"]["EvalDecision"] == "explicitDeny"
    assert matched(r["kms:Decrypt"]) == [(deny_name, "IAM Policy")]  # OUT: managed policies by name
    assert (r["kms:DescribeKey"]["EvalDecision"], r["kms:DescribeKey"]["MatchedStatements"]) == ("implicitDeny", [])
    assert all(x["MissingContextValues"] == [] for x in r.values())
    # A user's simulation includes the policies of its groups (API SimulatePrincipalPolicy).
    listed = results(iam.simulate_principal_policy(PolicySourceArn=user_arn(u), ActionNames=["kms:ListKeys"]))["kms:ListKeys"]
    assert (listed["EvalDecision"], listed["EvalResourceName"]) == ("allowed", "*")  # no ResourceArns: "*"
    assert matched(listed) == [(f"group_{g}_lister", "IAM Policy")]
    # Extra policies in PolicyInputList join the principal's (API PolicyInputList).
    extra = results(iam.simulate_principal_policy(PolicySourceArn=user_arn(u), ActionNames=["kms:DescribeKey"], ResourceArns=[k1],
                                                  PolicyInputList=[policy(allow("kms:DescribeKey"))]))["kms:DescribeKey"]
    assert (extra["EvalDecision"], matched(extra)) == ("allowed", [("PolicyInputList.1", "IAM Policy")])

    # A role and a group are simulated the same way.
    r_name = name("simrole")
    trust = policy({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
    role_arn = iam.create_role(RoleName=r_name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=r_name, PolicyName="logs", PolicyDocument=policy(allow("logs:CreateLogGroup")))
    role = results(iam.simulate_principal_policy(PolicySourceArn=role_arn, ActionNames=["logs:CreateLogGroup", "logs:DeleteLogGroup"]))
    assert (role["logs:CreateLogGroup"]["EvalDecision"], matched(role["logs:CreateLogGroup"])) == \
        ("allowed", [(f"role_{r_name}_logs", "IAM Policy")])  # OUT: role_<role>_<policy>
    assert role["logs:DeleteLogGroup"]["EvalDecision"] == "implicitDeny"
    group = results(iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:group/{g}", ActionNames=["kms:ListKeys"]))
    assert group["kms:ListKeys"]["EvalDecision"] == "allowed"


def test_custom_policy_decisions(strict):
    iam = strict.client("iam")
    first = policy(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::bucket/*"))
    second = policy(deny("s3:PutObject", "arn:aws:s3:::bucket/locked/*"))
    out = iam.simulate_custom_policy(PolicyInputList=[first, second], ActionNames=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                                     ResourceArns=["arn:aws:s3:::bucket/locked/file"])
    r = results(out)
    assert (r["s3:GetObject"]["EvalDecision"], matched(r["s3:GetObject"])) == ("allowed", [("PolicyInputList.1", "IAM Policy")])
    assert (r["s3:PutObject"]["EvalDecision"], matched(r["s3:PutObject"])) == ("explicitDeny", [("PolicyInputList.2", "IAM Policy")])
    assert (r["s3:DeleteObject"]["EvalDecision"], r["s3:DeleteObject"]["MatchedStatements"]) == ("implicitDeny", [])
    assert r["s3:GetObject"]["EvalResourceName"] == "arn:aws:s3:::bucket/locked/file"
    # Wildcards in actions match case-insensitively (UG, IAM JSON policy elements: Action).
    star = results(iam.simulate_custom_policy(PolicyInputList=[policy(allow("S3:Get*"))], ActionNames=["s3:getobject", "s3:ListBucket"]))
    assert (star["s3:getobject"]["EvalDecision"], star["s3:ListBucket"]["EvalDecision"]) == ("allowed", "implicitDeny")
    # A malformed input policy is refused with IAM's document error (the grammar of CreatePolicy, LS invalid-0).
    assert error(lambda: iam.simulate_custom_policy(PolicyInputList=["This is not a json document"], ActionNames=["s3:GetObject"])) == \
        (400, "MalformedPolicyDocument", "Syntax errors in policy.")


def test_missing_context_values_and_context_entries(strict):
    """API EvaluationResult.MissingContextValues: the context keys the input policies need that the request did not
    supply; ContextEntries supply them (API ContextEntry: ContextKeyName, ContextKeyValues, ContextKeyType)."""
    iam = strict.client("iam")
    conditional = policy(allow("s3:GetObject", Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"},
                                                           "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    r = results(iam.simulate_custom_policy(PolicyInputList=[conditional], ActionNames=["s3:GetObject"]))["s3:GetObject"]
    assert r["EvalDecision"] == "implicitDeny"
    assert sorted(r["MissingContextValues"]) == ["aws:PrincipalTag/team", "aws:SourceIp"]
    entries = [{"ContextKeyName": "aws:PrincipalTag/team", "ContextKeyValues": ["blue"], "ContextKeyType": "string"},
               {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.2.3"], "ContextKeyType": "ip"}]
    r = results(iam.simulate_custom_policy(PolicyInputList=[conditional], ActionNames=["s3:GetObject"], ContextEntries=entries))["s3:GetObject"]
    assert (r["EvalDecision"], r["MissingContextValues"], matched(r)) == ("allowed", [], [("PolicyInputList.1", "IAM Policy")])
    # Supplied but not matching: denied, nothing missing.
    wrong = [dict(entries[0], ContextKeyValues=["red"]), entries[1]]
    r = results(iam.simulate_custom_policy(PolicyInputList=[conditional], ActionNames=["s3:GetObject"], ContextEntries=wrong))["s3:GetObject"]
    assert (r["EvalDecision"], r["MissingContextValues"]) == ("implicitDeny", [])
    # Dates, numbers and multi-valued keys.
    timed = policy(allow("s3:ListBucket", Condition={"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"},
                                                      "NumericLessThanEquals": {"s3:max-keys": "10"},
                                                      "ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}))
    ctx = [{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["2026-06-01T00:00:00Z"], "ContextKeyType": "date"},
           {"ContextKeyName": "s3:max-keys", "ContextKeyValues": ["5"], "ContextKeyType": "numeric"},
           {"ContextKeyName": "aws:TagKeys", "ContextKeyValues": ["env"], "ContextKeyType": "stringList"}]
    r = results(iam.simulate_custom_policy(PolicyInputList=[timed], ActionNames=["s3:ListBucket"], ContextEntries=ctx))["s3:ListBucket"]
    assert r["EvalDecision"] == "allowed"
    too_many = [ctx[0], dict(ctx[1], ContextKeyValues=["50"]), ctx[2]]
    r = results(iam.simulate_custom_policy(PolicyInputList=[timed], ActionNames=["s3:ListBucket"], ContextEntries=too_many))["s3:ListBucket"]
    assert r["EvalDecision"] == "implicitDeny"
    # An explicit deny whose condition matches the context wins (UG, policy evaluation logic).
    guarded = policy(allow("s3:*"), deny("s3:*", Condition={"Bool": {"aws:SecureTransport": "false"}}))
    r = results(iam.simulate_custom_policy(PolicyInputList=[guarded], ActionNames=["s3:GetObject"], ContextEntries=[
        {"ContextKeyName": "aws:SecureTransport", "ContextKeyValues": ["false"], "ContextKeyType": "boolean"}]))["s3:GetObject"]
    assert (r["EvalDecision"], matched(r)) == ("explicitDeny", [("PolicyInputList.1", "IAM Policy")])


def test_permissions_boundary_decision_detail(strict):
    """API PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary: whether the boundary allows the action; the
    decision is allowed only when both the identity policies and the boundary allow it (UG, Permissions boundaries)."""
    iam = strict.client("iam")
    identity = policy(allow("s3:*"))
    boundary = policy(allow("s3:GetObject"))
    r = results(iam.simulate_custom_policy(PolicyInputList=[identity], PermissionsBoundaryPolicyInputList=[boundary],
                                           ActionNames=["s3:GetObject", "s3:PutObject"]))
    assert r["s3:GetObject"]["EvalDecision"] == "allowed"
    assert r["s3:GetObject"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert r["s3:PutObject"]["EvalDecision"] == "implicitDeny"
    assert r["s3:PutObject"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    # Without a boundary there is no boundary detail.
    plain = results(iam.simulate_custom_policy(PolicyInputList=[identity], ActionNames=["s3:PutObject"]))["s3:PutObject"]
    assert "PermissionsBoundaryDecisionDetail" not in plain and plain["EvalDecision"] == "allowed"
    # A user's own boundary takes part in SimulatePrincipalPolicy.
    u = name("bounded")
    b_arn = iam.create_policy(PolicyName=name("boundary"), PolicyDocument=boundary)["Policy"]["Arn"]
    iam.create_user(UserName=u, PermissionsBoundary=b_arn)
    iam.put_user_policy(UserName=u, PolicyName="all", PolicyDocument=identity)
    r = results(iam.simulate_principal_policy(PolicySourceArn=user_arn(u), ActionNames=["s3:GetObject", "s3:PutObject"]))
    assert (r["s3:GetObject"]["EvalDecision"], r["s3:GetObject"]["PermissionsBoundaryDecisionDetail"]) == \
        ("allowed", {"AllowedByPermissionsBoundary": True})
    assert (r["s3:PutObject"]["EvalDecision"], r["s3:PutObject"]["PermissionsBoundaryDecisionDetail"]) == \
        ("implicitDeny", {"AllowedByPermissionsBoundary": False})
    # PermissionsBoundaryPolicyInputList replaces the user's boundary for the simulation (API).
    r = results(iam.simulate_principal_policy(PolicySourceArn=user_arn(u), ActionNames=["s3:PutObject"],
                                              PermissionsBoundaryPolicyInputList=[policy(allow("s3:PutObject"))]))
    assert r["s3:PutObject"]["EvalDecision"] == "allowed"


def test_context_keys_of_custom_and_principal_policies(strict):
    """API GetContextKeysForCustomPolicy / GetContextKeysForPrincipalPolicy: the condition keys the policies use; for a
    principal, those of all its policies (its groups' too) plus PolicyInputList."""
    iam = strict.client("iam")
    a = policy(allow("s3:GetObject", Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}, "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    b = policy(allow("kms:Decrypt", Condition={"StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}}))
    got = iam.get_context_keys_for_custom_policy(PolicyInputList=[a, b])["ContextKeyNames"]
    assert sorted(got) == ["aws:PrincipalTag/team", "aws:SourceIp", "kms:ViaService"]
    assert iam.get_context_keys_for_custom_policy(PolicyInputList=[policy(allow("s3:*"))]).get("ContextKeyNames", []) == []
    u, g = name("ctx"), name("ctxgroup")
    iam.create_user(UserName=u)
    iam.put_user_policy(UserName=u, PolicyName="a", PolicyDocument=a)
    iam.create_group(GroupName=g)
    iam.add_user_to_group(GroupName=g, UserName=u)
    iam.put_group_policy(GroupName=g, PolicyName="b", PolicyDocument=b)
    extra = policy(allow("s3:PutObject", Condition={"StringLike": {"s3:prefix": "home/*"}}))
    got = iam.get_context_keys_for_principal_policy(PolicySourceArn=user_arn(u), PolicyInputList=[extra])["ContextKeyNames"]
    assert sorted(got) == ["aws:PrincipalTag/team", "aws:SourceIp", "kms:ViaService", "s3:prefix"]


def test_simulator_errors(strict):
    iam = strict.client("iam")
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/ctf_participant_role/d6d7ee068aa0"
    assert error(lambda: iam.simulate_principal_policy(PolicySourceArn=session, ActionNames=["s3:GetObject"])) == \
        (400, "InvalidInput", f"Invalid ARN provided in the request: {session}")  # CTF
    # A user that does not exist (API SimulatePrincipalPolicy errors: NoSuchEntity, 404).
    status, code, _ = error(lambda: iam.simulate_principal_policy(PolicySourceArn=user_arn("ghost"), ActionNames=["s3:GetObject"]))
    assert (status, code) == (404, "NoSuchEntity")
    status, code, _ = error(lambda: iam.get_context_keys_for_principal_policy(PolicySourceArn=user_arn("ghost")))
    assert (status, code) == (404, "NoSuchEntity")


def test_simulation_agrees_with_enforced_calls(strict):
    """A user allowed kms:Encrypt on one key (and kms:ListKeys), denied kms:DescribeKey from loopback addresses,
    bounded to kms:Encrypt/kms:ListKeys/kms:DescribeKey: for every action and key, SimulatePrincipalPolicy says
    allowed exactly where the real call, signed by the user, succeeds (UG: the simulator evaluates the same policies
    the request would)."""
    iam = strict.client("iam")
    kms = strict.client("kms")
    k1, k2 = keys(strict)
    blobs = {k: kms.encrypt(KeyId=k, Plaintext=b"x")["CiphertextBlob"] for k in (k1, k2)}
    u = name("agree")
    iam.create_user(UserName=u)
    iam.put_user_policy(UserName=u, PolicyName="p", PolicyDocument=policy(
        allow("kms:Encrypt", k1), allow(["kms:ListKeys", "kms:Decrypt", "kms:DescribeKey", "kms:GetKeyPolicy"]),
        deny("kms:DescribeKey", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}})))
    boundary = iam.create_policy(PolicyName=name("agree-boundary"), PolicyDocument=policy(
        allow(["kms:Encrypt", "kms:ListKeys", "kms:DescribeKey", "kms:GetKeyPolicy"])))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName=u, PermissionsBoundary=boundary)
    key = iam.create_access_key(UserName=u)["AccessKey"]
    as_user = strict.client("kms", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    calls = {"kms:Encrypt": lambda k: as_user.encrypt(KeyId=k, Plaintext=b"x"),
             "kms:Decrypt": lambda k: as_user.decrypt(CiphertextBlob=blobs[k]),
             "kms:DescribeKey": lambda k: as_user.describe_key(KeyId=k),
             "kms:GetKeyPolicy": lambda k: as_user.get_key_policy(KeyId=k, PolicyName="default"),
             "kms:ListKeys": lambda k: as_user.list_keys()}
    context = [{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["127.0.0.1"], "ContextKeyType": "ip"}]
    expected = {("kms:Encrypt", k1): "allowed", ("kms:Encrypt", k2): "implicitDeny", ("kms:Decrypt", k1): "implicitDeny",
                ("kms:DescribeKey", k1): "explicitDeny", ("kms:GetKeyPolicy", k2): "allowed", ("kms:ListKeys", "*"): "allowed"}
    seen = {}
    for action, call in calls.items():
        for resource in ([k1, k2] if action != "kms:ListKeys" else ["*"]):
            sim = iam.simulate_principal_policy(PolicySourceArn=user_arn(u), ActionNames=[action], ResourceArns=[resource],
                                                ContextEntries=context)["EvaluationResults"][0]
            try:
                call(resource)
                real = True
            except ClientError as e:
                assert e.response["Error"]["Code"] == "AccessDeniedException", e.response
                real = False
            assert (sim["EvalDecision"] == "allowed") == real, (action, resource, sim["EvalDecision"], real)
            seen[(action, resource)] = sim["EvalDecision"]
    assert {k: seen[k] for k in expected} == expected


@pytest.mark.xfail(strict=True, reason="MatchedStatements carry no StartPosition/EndPosition; IAM gives each matched "
                                       "statement's position in its policy")
def test_matched_statements_carry_their_position(strict):
    """API Statement: StartPosition and EndPosition (Position: Line, Column) of the statement in its policy; OUT shows
    them in every matched statement. A one-line document's statement starts after '"Statement":['."""
    iam = strict.client("iam")
    document = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'
    r = iam.simulate_custom_policy(PolicyInputList=[document], ActionNames=["s3:GetObject"])["EvaluationResults"][0]
    statement = r["MatchedStatements"][0]
    assert statement["StartPosition"]["Line"] == 1 and statement["EndPosition"]["Line"] == 1
    assert statement["StartPosition"]["Column"] < statement["EndPosition"]["Column"]


def test_simulate_custom_policy_with_awscli(strict):
    r = strict.aws("iam", "simulate-custom-policy", "--policy-input-list", policy(allow("sqs:SendMessage")),
                   "--action-names", "sqs:SendMessage", "sqs:DeleteQueue", "--output", "json")
    assert r.returncode == 0, r.stderr
    decisions = {x["EvalActionName"]: x["EvalDecision"] for x in json.loads(r.stdout)["EvaluationResults"]}
    assert decisions == {"sqs:SendMessage": "allowed", "sqs:DeleteQueue": "implicitDeny"}
