"""IAM enforced on every call, end to end with boto3 and awscli on both backends: identity policies, key policies,
grants, role sessions with session policies, explicit denies on global condition keys, KMS use through Parameter
Store, expired sessions, presigned GetCallerIdentity, and how denials are answered and recorded.

Expected messages follow the IAM User Guide ("Troubleshoot access denied error messages") and responses quoted from
AWS in public threads (see each test)."""
import json
import time

import pytest
import requests
from botocore.exceptions import ClientError

ACCOUNT = "000000000000"


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return dict({"Effect": "Allow", "Action": action, "Resource": resource}, **extra)


def make_user(w, name, inline=None, managed=()):
    """A user with an access key; returns (key id, secret)."""
    iam = w.client("iam")
    iam.create_user(UserName=name)
    if inline:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=inline)
    for arn in managed:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return k["AccessKeyId"], k["SecretAccessKey"]


def as_user(w, creds, service, token=None):
    kw = {"aws_session_token": token} if token else {}
    return w.client(service, key=creds[0], secret=creds[1], **kw)


def denied(call, code="AccessDeniedException"):
    with pytest.raises(ClientError) as e:
        call()
    assert e.value.response["Error"]["Code"] == code, e.value.response
    return e.value.response["Error"]["Message"]


def user_arn(name):
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


def test_identity_policy_limits_a_user_to_encrypt_with_one_key(strict):
    kms = strict.client("kms")
    k1 = kms.create_key()["KeyMetadata"]["Arn"]
    k2 = kms.create_key()["KeyMetadata"]["Arn"]
    creds = make_user(strict, "alice", policy(allow("kms:Encrypt", k1)))
    alice = as_user(strict, creds, "kms")
    blob = alice.encrypt(KeyId=k1, Plaintext=b"secret")["CiphertextBlob"]
    msg = denied(lambda: alice.decrypt(CiphertextBlob=blob))
    assert msg == (f"User: {user_arn('alice')} is not authorized to perform: kms:Decrypt on resource: {k1} "
                   "because no identity-based policy allows the kms:Decrypt action")
    msg = denied(lambda: alice.encrypt(KeyId=k2, Plaintext=b"x"))
    assert msg.endswith(f"kms:Encrypt on resource: {k2} because no identity-based policy allows the kms:Encrypt action")
    # The same decisions through awscli, with the key in the environment.
    env = {"AWS_ACCESS_KEY_ID": creds[0], "AWS_SECRET_ACCESS_KEY": creds[1]}
    r = strict.aws("kms", "encrypt", "--key-id", k1, "--plaintext", "aGVsbG8=", env=env)
    assert r.returncode == 0, r.stderr
    r = strict.aws("kms", "describe-key", "--key-id", k1, env=env)
    assert r.returncode != 0 and "AccessDeniedException" in r.stderr
    # A list action without a resource names `*` for KMS (quoted: "kms:ListKeys on resource: *").
    msg = denied(lambda: alice.list_keys())
    assert msg == (f"User: {user_arn('alice')} is not authorized to perform: kms:ListKeys on resource: * "
                   "because no identity-based policy allows the kms:ListKeys action")
    # The denied call is in CloudTrail with the message the client got, and the user's identity.
    rec = [r for r in strict.audit_records() if r["eventName"] == "ListKeys" and r.get("errorCode")][-1]
    assert rec["errorMessage"] == msg
    ident = rec["userIdentity"]
    assert ident["type"] == "IAMUser" and ident["arn"] == user_arn("alice") and ident["userName"] == "alice"
    assert ident["principalId"].startswith("AIDA") and ident["accessKeyId"] == creds[0]


def test_key_policy_without_the_root_statement_makes_iam_policies_useless(strict):
    iam = strict.client("iam")
    bob = make_user(strict, "bob")
    admin = make_user(strict, "admin", managed=["arn:aws:iam::aws:policy/AdministratorAccess"])
    kp = policy({"Sid": "OnlyBob", "Effect": "Allow", "Principal": {"AWS": user_arn("bob")}, "Action": "kms:*", "Resource": "*"})
    key = strict.client("kms").create_key(Policy=kp, BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]["Arn"]
    # Bob is named by the key policy: no identity policy is needed.
    as_user(strict, bob, "kms").encrypt(KeyId=key, Plaintext=b"x")
    # An administrator's identity policy does not count when the key policy does not delegate to the account.
    msg = denied(lambda: as_user(strict, admin, "kms").encrypt(KeyId=key, Plaintext=b"x"))
    assert msg == (f"User: {user_arn('admin')} is not authorized to perform: kms:Encrypt on resource: {key} "
                   "because no resource-based policy allows the kms:Encrypt action")
    # Not even the root: the key is locked to Bob.
    denied(lambda: strict.client("kms").describe_key(KeyId=key))
    assert iam.get_user(UserName="bob")["User"]["UserName"] == "bob"


def test_grant_with_encryption_context_subset_allows_only_matching_contexts(strict):
    kms = strict.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    carol = make_user(strict, "carol")
    kms.create_grant(KeyId=key, GranteePrincipal=user_arn("carol"), Operations=["Encrypt", "Decrypt"],
                     Constraints={"EncryptionContextSubset": {"dept": "a"}})
    c = as_user(strict, carol, "kms")
    blob = c.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"dept": "a", "extra": "1"})["CiphertextBlob"]
    assert c.decrypt(CiphertextBlob=blob, EncryptionContext={"dept": "a", "extra": "1"})["Plaintext"] == b"x"
    denied(lambda: c.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"dept": "b"}))
    denied(lambda: c.encrypt(KeyId=key, Plaintext=b"x"))
    # The grant does not reach operations it does not name.
    denied(lambda: c.describe_key(KeyId=key))


def role_with(w, name, trust, inline):
    iam = w.client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=inline)
    return arn


def test_assumed_role_with_session_policy_gets_the_intersection(strict):
    trust = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"})
    role = role_with(strict, "worker", trust, policy(allow(["kms:Encrypt", "kms:DescribeKey"])))
    dave = make_user(strict, "dave", policy(allow("sts:AssumeRole", role)))
    key = strict.client("kms").create_key()["KeyMetadata"]["Arn"]
    sts = as_user(strict, dave, "sts")
    full = sts.assume_role(RoleArn=role, RoleSessionName="full")
    narrow = sts.assume_role(RoleArn=role, RoleSessionName="narrow", Policy=policy(allow("kms:DescribeKey")))
    assert narrow["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/worker/narrow"
    assert narrow["Credentials"]["AccessKeyId"].startswith("ASIA")

    def session(resp, service):
        c = resp["Credentials"]
        return strict.client(service, key=c["AccessKeyId"], secret=c["SecretAccessKey"], aws_session_token=c["SessionToken"])

    ident = session(narrow, "sts").get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/worker/narrow"
    assert ident["UserId"].startswith("AROA") and ident["UserId"].endswith(":narrow")
    session(full, "kms").encrypt(KeyId=key, Plaintext=b"x")
    session(narrow, "kms").describe_key(KeyId=key)
    msg = denied(lambda: session(narrow, "kms").encrypt(KeyId=key, Plaintext=b"x"))
    assert msg == (f"User: arn:aws:sts::{ACCOUNT}:assumed-role/worker/narrow is not authorized to perform: kms:Encrypt "
                   f"on resource: {key} because no session policy allows the kms:Encrypt action")
    # The session's CloudTrail identity names the role it came from.
    rec = [r for r in strict.audit_records() if r["eventName"] == "DescribeKey" and not r.get("errorCode")][-1]
    ident = rec["userIdentity"]
    assert ident["type"] == "AssumedRole"
    issuer = ident["sessionContext"]["sessionIssuer"]
    assert issuer == {"type": "Role", "principalId": issuer["principalId"], "arn": role, "accountId": ACCOUNT, "userName": "worker"}
    assert ident["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"


def test_assume_role_is_refused_without_trust_and_for_the_root(strict):
    trust = policy({"Effect": "Allow", "Principal": {"AWS": user_arn("nobody-else")}, "Action": "sts:AssumeRole"})
    strict.client("iam").create_user(UserName="nobody-else")
    role = role_with(strict, "closed", trust, policy(allow("kms:*")))
    erin = make_user(strict, "erin", policy(allow("sts:AssumeRole", "*")))
    msg = denied(lambda: as_user(strict, erin, "sts").assume_role(RoleArn=role, RoleSessionName="s1"), code="AccessDenied")
    # STS's denial has no reason clause (quoted in aws-solutions/instance-scheduler-on-aws#558).
    assert msg == f"User: {user_arn('erin')} is not authorized to perform: sts:AssumeRole on resource: {role}"
    msg = denied(lambda: strict.client("sts").assume_role(RoleArn=role, RoleSessionName="s1"), code="AccessDenied")
    assert msg == "Roles may not be assumed by root accounts."


def test_explicit_deny_on_source_ip_wins(strict):
    deny = {"Effect": "Deny", "Action": "kms:*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}}
    creds = make_user(strict, "eve", policy(allow("kms:*"), deny))
    msg = denied(lambda: as_user(strict, creds, "kms").list_keys())
    assert msg == (f"User: {user_arn('eve')} is not authorized to perform: kms:ListKeys on resource: * "
                   "with an explicit deny in an identity-based policy")
    # A customer managed policy that denies is named by its ARN at the end of the message.
    iam = strict.client("iam")
    arn = iam.create_policy(PolicyName="no-loopback", PolicyDocument=policy(deny))["Policy"]["Arn"]
    creds = make_user(strict, "eve2", policy(allow("kms:*")), managed=[arn])
    msg = denied(lambda: as_user(strict, creds, "kms").list_keys())
    assert msg.endswith(f"with an explicit deny in an identity-based policy: {arn}")
    # Elsewhere the Deny does not match, and the Allow stands.
    deny_elsewhere = dict(deny, Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})
    creds = make_user(strict, "eve3", policy(allow("kms:*"), deny_elsewhere))
    as_user(strict, creds, "kms").list_keys()


def test_securestring_read_without_the_keys_permission_gets_kms_denial(strict):
    key = strict.client("kms").create_key()["KeyMetadata"]["Arn"]
    strict.client("ssm").put_parameter(Name="/app/db", Value="hunter2", Type="SecureString", KeyId=key)
    frank = make_user(strict, "frank", policy(allow("ssm:GetParameter")))
    ssm = as_user(strict, frank, "ssm")
    assert ssm.get_parameter(Name="/app/db")["Parameter"]["Type"] == "SecureString"
    msg = denied(lambda: ssm.get_parameter(Name="/app/db", WithDecryption=True))
    assert msg == (f"User: {user_arn('frank')} is not authorized to perform: kms:Decrypt on resource: {key} "
                   "because no identity-based policy allows the kms:Decrypt action")
    # Allowed to use the key only through Parameter Store (kms:ViaService), the read succeeds.
    via = allow("kms:Decrypt", key, Condition={"StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}})
    grace = make_user(strict, "grace", policy(allow("ssm:GetParameter"), via))
    assert as_user(strict, grace, "ssm").get_parameter(Name="/app/db", WithDecryption=True)["Parameter"]["Value"] == "hunter2"
    # The same permission does not let grace call KMS directly.
    denied(lambda: as_user(strict, grace, "kms").describe_key(KeyId=key))


def test_denials_in_each_protocols_shape(strict):
    creds = make_user(strict, "henry")
    msg = denied(lambda: as_user(strict, creds, "sqs").list_queues(), code="AccessDenied")
    assert "is not authorized to perform: sqs:listqueues" in msg
    msg = denied(lambda: as_user(strict, creds, "sns").list_topics(), code="AuthorizationError")
    assert "is not authorized to perform: SNS:ListTopics" in msg
    msg = denied(lambda: as_user(strict, creds, "iam").list_users(), code="AccessDenied")
    assert "is not authorized to perform: iam:ListUsers" in msg
    msg = denied(lambda: as_user(strict, creds, "secretsmanager").list_secrets())
    assert msg == (f"User: {user_arn('henry')} is not authorized to perform: secretsmanager:ListSecrets "
                   "because no identity-based policy allows the secretsmanager:ListSecrets action")
    # GetCallerIdentity needs no permission.
    assert as_user(strict, creds, "sts").get_caller_identity()["Arn"] == user_arn("henry")


def test_presigned_get_caller_identity_for_user_and_role(strict):
    """The identity proof of aws-iam-authenticator and Vault: a presigned GetCallerIdentity, replayed by someone else."""
    creds = make_user(strict, "ivan", policy(allow("sts:AssumeRole")))
    sts = as_user(strict, creds, "sts")
    # botocore presigns with the operation's method (POST) unless told otherwise.
    r = requests.post(sts.generate_presigned_url("get_caller_identity"))
    assert r.status_code == 200, r.text
    assert f"<Arn>{user_arn('ivan')}</Arn>" in r.text
    url = sts.generate_presigned_url("get_caller_identity", HttpMethod="GET")
    r = requests.get(url)
    assert r.status_code == 200, r.text
    assert f"<Arn>{user_arn('ivan')}</Arn>" in r.text
    # STS answers JSON when asked (aws-iam-authenticator sends Accept: application/json).
    r = requests.get(url, headers={"Accept": "application/json"})
    body = r.json()["GetCallerIdentityResponse"]
    assert body["GetCallerIdentityResult"]["Arn"] == user_arn("ivan")
    assert body["ResponseMetadata"]["RequestId"]
    # Altered: the signature covers the query.
    r = requests.get(url.replace("Version=2011-06-15", "Version=2011-06-16"))
    assert r.status_code == 403 and "SignatureDoesNotMatch" in r.text
    trust = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"})
    role = role_with(strict, "presigner", trust, policy(allow("kms:ListKeys")))
    c = sts.assume_role(RoleArn=role, RoleSessionName="eks")["Credentials"]
    rs = strict.client("sts", key=c["AccessKeyId"], secret=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
    r = requests.get(rs.generate_presigned_url("get_caller_identity", HttpMethod="GET"))
    assert r.status_code == 200, r.text
    assert "assumed-role/presigner/eks</Arn>" in r.text
    # Expired: a URL valid for one second, used after it.
    short = sts.generate_presigned_url("get_caller_identity", HttpMethod="GET", ExpiresIn=1)
    time.sleep(2.5)
    r = requests.get(short)
    assert r.status_code == 403, r.text


def test_expired_session_tokens_fail(make_warden):
    w = make_warden("sqlite", dev=True)
    creds = make_user(w, "jane", policy(allow("kms:*")))
    s = as_user(w, creds, "sts").get_session_token(DurationSeconds=900)["Credentials"]
    kms = w.client("kms", key=s["AccessKeyId"], secret=s["SecretAccessKey"], aws_session_token=s["SessionToken"])
    kms.list_keys()
    assert requests.post(w.endpoint + "/_warden/clock?advance=1000").status_code == 200
    msg = denied(lambda: kms.list_keys(), code="ExpiredTokenException")
    assert msg == "The security token included in the request is expired"
    sts = w.client("sts", key=s["AccessKeyId"], secret=s["SecretAccessKey"], aws_session_token=s["SessionToken"])
    denied(lambda: sts.get_caller_identity(), code="ExpiredToken")


def test_forged_or_foreign_session_tokens_are_refused(strict):
    creds = make_user(strict, "jim")
    s = as_user(strict, creds, "sts").get_session_token()["Credentials"]
    # GetSessionToken's session is the user itself.
    same = strict.client("sts", key=s["AccessKeyId"], secret=s["SecretAccessKey"], aws_session_token=s["SessionToken"])
    assert same.get_caller_identity()["Arn"] == user_arn("jim")
    forged = strict.client("sts", key=s["AccessKeyId"], secret=s["SecretAccessKey"], aws_session_token="AAAA" + s["SessionToken"][4:])
    assert denied(lambda: forged.get_caller_identity(), code="InvalidClientTokenId") == \
        "The security token included in the request is invalid."
    # Another session's token with this key: not issued for it.
    other = as_user(strict, creds, "sts").get_session_token()["Credentials"]
    mixed = strict.client("sts", key=s["AccessKeyId"], secret=s["SecretAccessKey"], aws_session_token=other["SessionToken"])
    denied(lambda: mixed.get_caller_identity(), code="InvalidClientTokenId")
    # Session credentials cannot make more sessions.
    assert denied(lambda: same.get_session_token(), code="AccessDenied") == "Cannot call GetSessionToken with session credentials"
    # Nor call IAM: IAM answers as for a token it does not know.
    iam = strict.client("iam", key=s["AccessKeyId"], secret=s["SecretAccessKey"], aws_session_token=s["SessionToken"])
    assert denied(lambda: iam.get_user(), code="InvalidClientTokenId") == "The security token included in the request is invalid."


def test_dev_mode_unknown_keys_are_root_and_created_keys_are_users(make_warden):
    w = make_warden("sqlite", dev=True)
    creds = make_user(w, "kim")
    assert as_user(w, creds, "sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/kim"
    denied(lambda: as_user(w, creds, "kms").list_keys())
    assert w.client("sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_audit_mode_allows_and_logs_what_would_be_denied(make_warden):
    w = make_warden("sqlite", extra_args=["--iam", "audit"])
    creds = make_user(w, "leo")
    as_user(w, creds, "kms").list_keys()
    assert "would deny (audit mode)" in w.read_log()
    w2 = make_warden("sqlite", extra_args=["--iam", "off"])
    creds = make_user(w2, "mia")
    as_user(w2, creds, "kms").list_keys()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_alert_on_denied_api_calls(make_warden, backend):
    """The classic CIS alarm: trail → log group → metric filter on denied calls → alarm → SNS → SQS."""
    from test_sns import drain, queue
    from trail_helpers import trail_bucket
    w = make_warden(backend)
    logs, cw, ct, sns, sqs = (w.client(s) for s in ("logs", "cloudwatch", "cloudtrail", "sns", "sqs"))
    logs.create_log_group(logGroupName="CloudTrail/denied")
    group_arn = logs.describe_log_groups(logGroupNamePrefix="CloudTrail/denied")["logGroups"][0]["arn"]
    trail_bucket(w, "audit-denied")
    ct.create_trail(Name="all", S3BucketName="audit-denied", CloudWatchLogsLogGroupArn=group_arn,
                    CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/CloudTrail_CloudWatchLogs_Role")
    ct.start_logging(Name="all")
    logs.put_metric_filter(logGroupName="CloudTrail/denied", filterName="denied-calls",
                           filterPattern='{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
                           metricTransformations=[{"metricName": "DeniedCalls", "metricNamespace": "CloudTrailMetrics", "metricValue": "1"}])
    topic = sns.create_topic(Name="denied-alarms")["TopicArn"]
    url, qarn = queue(sqs, "denied-alarms")
    # The queue lets the topic deliver to it, as a queue must on AWS.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy({
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": qarn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic}}})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    cw.put_metric_alarm(AlarmName="denied-burst", Namespace="CloudTrailMetrics", MetricName="DeniedCalls", Statistic="Sum",
                        Period=10, EvaluationPeriods=1, Threshold=3, ComparisonOperator="GreaterThanOrEqualToThreshold",
                        TreatMissingData="notBreaching", AlarmActions=[topic])
    deadline = time.time() + 15
    while cw.describe_alarms(AlarmNames=["denied-burst"])["MetricAlarms"][0]["StateValue"] != "OK" and time.time() < deadline:
        time.sleep(0.2)
    # A burst of denied calls by a user with no permissions, over three protocols.
    creds = make_user(w, "intruder")
    for _ in range(2):
        denied(lambda: as_user(w, creds, "kms").list_keys())
        denied(lambda: as_user(w, creds, "sqs").list_queues(), code="AccessDenied")
        denied(lambda: as_user(w, creds, "iam").list_users(), code="AccessDenied")
    envelope = json.loads(drain(sqs, url, 1, timeout=30)[0]["Body"])
    assert envelope["Subject"] == 'ALARM: "denied-burst" in US East (N. Virginia)'
    note = json.loads(envelope["Message"])
    assert note["NewStateValue"] == "ALARM" and note["Trigger"]["MetricName"] == "DeniedCalls"
    # The denied calls are in the log group as CloudTrail records with their error codes.
    events = logs.filter_log_events(logGroupName="CloudTrail/denied", filterPattern='{ $.userIdentity.userName = "intruder" }')["events"]
    codes = sorted({json.loads(e["message"])["errorCode"] for e in events if "errorCode" in json.loads(e["message"])})
    assert codes == ["AccessDenied", "AccessDeniedException"]
