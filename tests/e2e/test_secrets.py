"""Secrets Manager with boto3 on both backends: versions and staging labels, reads, batch reads, listing, deletion
and restore, random passwords, resource policies, tags, KMS encryption, and rotation through a Python function."""
import json
import os
import time

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import BACKENDS, allow_service, code
from stored import stored_values
from test_lambda import ROLE, lam, zipped


def stages(c, sid):
    return {k: sorted(v) for k, v in c.describe_secret(SecretId=sid)["VersionIdsToStages"].items()}


def test_versions_and_staging_labels(strict):
    c = strict.client("secretsmanager")
    r = c.create_secret(Name="app/db", SecretString='{"password":"one"}', Description="db", Tags=[{"Key": "team", "Value": "a"}])
    arn, v1 = r["ARN"], r["VersionId"]
    assert arn.startswith("arn:aws:secretsmanager:us-east-1:") and ":secret:app/db-" in arn and len(arn.rsplit("-", 1)[1]) == 6
    got = c.get_secret_value(SecretId="app/db")
    assert got["SecretString"] == '{"password":"one"}' and got["VersionStages"] == ["AWSCURRENT"] and got["VersionId"] == v1
    assert c.get_secret_value(SecretId=arn)["VersionId"] == v1
    assert c.get_secret_value(SecretId=arn.rsplit("-", 1)[0])["VersionId"] == v1  # partial ARN
    # A partial ARN names exactly its secret, not another whose name merely starts the same way.
    longer = c.create_secret(Name="app/db-extra", SecretString="x")["ARN"]
    with pytest.raises(ClientError) as e:
        c.describe_secret(SecretId=longer.split(":secret:")[0] + ":secret:app/db-ex")
    assert code(e) == "ResourceNotFoundException"
    assert c.get_secret_value(SecretId=arn.rsplit("-", 1)[0])["VersionId"] == v1  # still its own, beside app/db-extra
    c.delete_secret(SecretId=longer, ForceDeleteWithoutRecovery=True)
    v2 = c.put_secret_value(SecretId="app/db", SecretString='{"password":"two"}')["VersionId"]
    assert stages(c, "app/db") == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}
    assert c.get_secret_value(SecretId="app/db", VersionStage="AWSPREVIOUS")["SecretString"] == '{"password":"one"}'
    # Idempotent by token; the same token with another value is refused.
    token = "t" * 40
    v3 = c.put_secret_value(SecretId="app/db", SecretString="three", ClientRequestToken=token, VersionStages=["AWSPENDING"])
    assert v3["VersionStages"] == ["AWSPENDING"]
    assert c.put_secret_value(SecretId="app/db", SecretString="three", ClientRequestToken=token)["VersionId"] == token
    with pytest.raises(ClientError) as e:
        c.put_secret_value(SecretId="app/db", SecretString="other", ClientRequestToken=token)
    assert code(e) == "ResourceExistsException"
    # Moving AWSCURRENT needs RemoveFromVersionId, and the old current becomes AWSPREVIOUS.
    with pytest.raises(ClientError) as e:
        c.update_secret_version_stage(SecretId="app/db", VersionStage="AWSCURRENT", MoveToVersionId=token)
    assert code(e) == "InvalidParameterException"
    c.update_secret_version_stage(SecretId="app/db", VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=v2)
    assert stages(c, "app/db") == {v2: ["AWSPREVIOUS"], token: ["AWSCURRENT", "AWSPENDING"]}
    ids = c.list_secret_version_ids(SecretId="app/db", IncludeDeprecated=True)["Versions"]
    assert {v["VersionId"] for v in ids} == {v1, v2, token}
    assert {v["VersionId"] for v in c.list_secret_version_ids(SecretId="app/db")["Versions"]} == {v2, token}
    with pytest.raises(ClientError) as e:
        c.get_secret_value(SecretId="app/db", VersionStage="NOPE")
    assert code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        c.create_secret(Name="app/db", SecretString="x")
    assert code(e) == "ResourceExistsException"
    retried = c.create_secret(Name="retried", SecretString="same", ClientRequestToken="r" * 36)
    assert c.create_secret(Name="retried", SecretString="same", ClientRequestToken="r" * 36)["ARN"] == retried["ARN"]
    with pytest.raises(ClientError) as e:
        c.create_secret(Name="both", SecretString="x", SecretBinary=b"y")
    assert code(e) == "InvalidParameterException"
    # Binary secrets, UpdateSecret, and a secret with no value yet.
    c.create_secret(Name="bin", SecretBinary=b"\x00\x01\x02")
    assert c.get_secret_value(SecretId="bin")["SecretBinary"] == b"\x00\x01\x02"
    c.create_secret(Name="empty")
    with pytest.raises(ClientError) as e:
        c.get_secret_value(SecretId="empty")
    assert code(e) == "ResourceNotFoundException"
    c.update_secret(SecretId="empty", SecretString="now", Description="filled")
    assert c.get_secret_value(SecretId="empty")["SecretString"] == "now"
    d = c.describe_secret(SecretId="empty")
    assert d["Description"] == "filled" and d["LastChangedDate"] and "LastAccessedDate" in d
    # Batch reads, with errors per secret.
    b = c.batch_get_secret_value(SecretIdList=["app/db", "bin", "missing"])
    assert sorted(v["Name"] for v in b["SecretValues"]) == ["app/db", "bin"]
    assert [(e["SecretId"], e["ErrorCode"]) for e in b["Errors"]] == [("missing", "ResourceNotFoundException")]
    b = c.batch_get_secret_value(Filters=[{"Key": "name", "Values": ["app/"]}])
    assert [v["Name"] for v in b["SecretValues"]] == ["app/db"]
    # Parameter Store reads secrets through /aws/reference/secretsmanager/ (WithDecryption only).
    ssm = strict.client("ssm")
    p = ssm.get_parameter(Name="/aws/reference/secretsmanager/app/db", WithDecryption=True)["Parameter"]
    assert p["Value"] == "three" and p["Type"] == "SecureString" and json.loads(p["SourceResult"])["ARN"] == arn
    p = ssm.get_parameter(Name="/aws/reference/secretsmanager/app/db:AWSPREVIOUS", WithDecryption=True)["Parameter"]
    assert p["Value"] == '{"password":"two"}' and p["Selector"] == ":AWSPREVIOUS"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name="/aws/reference/secretsmanager/app/db")
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name="/aws/reference/secretsmanager/nope", WithDecryption=True)
    assert code(e) == "ParameterNotFound"
    listed = c.list_secrets(Filters=[{"Key": "tag-key", "Values": ["team"]}])["SecretList"]
    assert [s["Name"] for s in listed] == ["app/db"] and listed[0]["SecretVersionsToStages"]
    c.tag_resource(SecretId="bin", Tags=[{"Key": "k", "Value": "v"}])
    c.untag_resource(SecretId="app/db", TagKeys=["team"])
    assert c.describe_secret(SecretId="bin")["Tags"] == [{"Key": "k", "Value": "v"}]
    assert c.describe_secret(SecretId="app/db")["Tags"] == []  # as recorded from AWS once a secret had tags


def test_deletion_window_restore_and_force(strict):
    c = strict.client("secretsmanager")
    c.create_secret(Name="old", SecretString="x")
    for kw in [dict(RecoveryWindowInDays=6), dict(RecoveryWindowInDays=31), dict(RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)]:
        with pytest.raises(ClientError) as e:
            c.delete_secret(SecretId="old", **kw)
        assert code(e) == "InvalidParameterException", kw
    r = c.delete_secret(SecretId="old", RecoveryWindowInDays=7)
    assert (r["DeletionDate"].timestamp() - time.time()) / 86400 == pytest.approx(7, abs=0.01)
    for call in [lambda: c.get_secret_value(SecretId="old"), lambda: c.put_secret_value(SecretId="old", SecretString="y"),
                 lambda: c.create_secret(Name="old", SecretString="z")]:
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "InvalidRequestException"
    assert "DeletedDate" in c.describe_secret(SecretId="old")
    assert [s["Name"] for s in c.list_secrets()["SecretList"]] == []
    assert [s["Name"] for s in c.list_secrets(IncludePlannedDeletion=True)["SecretList"]] == ["old"]
    c.restore_secret(SecretId="old")
    assert c.get_secret_value(SecretId="old")["SecretString"] == "x"
    c.delete_secret(SecretId="old", ForceDeleteWithoutRecovery=True)
    with pytest.raises(ClientError) as e:
        c.describe_secret(SecretId="old")
    assert code(e) == "ResourceNotFoundException"
    c.delete_secret(SecretId="never-existed", ForceDeleteWithoutRecovery=True)  # no error, as AWS


@pytest.mark.parametrize("backend", BACKENDS)
def test_recovery_window_ends_in_deletion(make_warden, backend):
    w = make_warden(backend, dev=True, extra_args=["--job-interval", "0.2"])
    c = w.client("secretsmanager")
    c.create_secret(Name="doomed", SecretString="x")
    c.delete_secret(SecretId="doomed", RecoveryWindowInDays=7)
    requests.post(f"{w.endpoint}/_warden/clock?advance={8 * 86400}")
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            c.describe_secret(SecretId="doomed")
            time.sleep(0.2)
        except ClientError as e:
            assert e.response["Error"]["Code"] == "ResourceNotFoundException"
            break
    else:
        pytest.fail("the secret outlived its recovery window")


@pytest.mark.parametrize("backend", BACKENDS)
def test_kms_random_passwords_and_policies(make_warden, backend):
    w = make_warden(backend)
    c, kms = w.client("secretsmanager", validate=False), w.client("kms")
    c.create_secret(Name="default-key", SecretString="plain-default-secret")
    assert "alias/aws/secretsmanager" in [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    c.create_secret(Name="own-key", SecretString="plain-own-secret", KmsKeyId=key)
    raw = stored_values(w, "sm_secret_versions", "value")
    assert len(raw) == 2 and all(b"plain-" not in r for r in raw)
    kms.disable_key(KeyId=key)
    with pytest.raises(ClientError) as e:
        c.get_secret_value(SecretId="own-key")
    assert code(e) == "DecryptionFailure"
    with pytest.raises(ClientError) as e:
        c.put_secret_value(SecretId="own-key", SecretString="new")
    assert code(e) == "EncryptionFailure"
    kms.enable_key(KeyId=key)
    assert c.get_secret_value(SecretId="own-key")["SecretString"] == "plain-own-secret"
    # Random passwords.
    p = c.get_random_password()["RandomPassword"]
    assert len(p) == 32 and any(ch.islower() for ch in p) and any(ch.isupper() for ch in p) and any(ch.isdigit() for ch in p)
    p = c.get_random_password(PasswordLength=64, ExcludePunctuation=True, ExcludeCharacters="abcABC123")["RandomPassword"]
    assert len(p) == 64 and p.isalnum() and not set(p) & set("abcABC123")
    assert c.get_random_password(PasswordLength=5, IncludeSpace=True, ExcludeLowercase=True, ExcludeUppercase=True,
                                 ExcludeNumbers=True, ExcludePunctuation=True)["RandomPassword"] == "     "
    assert len({c.get_random_password()["RandomPassword"] for _ in range(20)}) == 20
    for kw in [dict(PasswordLength=0), dict(PasswordLength=4097),
               dict(ExcludeLowercase=True, ExcludeUppercase=True, ExcludeNumbers=True, ExcludePunctuation=True),
               dict(PasswordLength=2, RequireEachIncludedType=True)]:
        with pytest.raises(ClientError) as e:
            c.get_random_password(**kw)
        assert code(e) == "InvalidParameterException", kw
    # Resource policies.
    private = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                                                       "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    public = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:*", "Resource": "*"}]}
    c.put_resource_policy(SecretId="own-key", ResourcePolicy=json.dumps(private), BlockPublicPolicy=True)
    assert json.loads(c.get_resource_policy(SecretId="own-key")["ResourcePolicy"]) == private
    with pytest.raises(ClientError) as e:
        c.put_resource_policy(SecretId="own-key", ResourcePolicy=json.dumps(public), BlockPublicPolicy=True)
    assert code(e) == "PublicPolicyException"
    with pytest.raises(ClientError) as e:
        c.put_resource_policy(SecretId="own-key", ResourcePolicy="{not json")
    assert code(e) == "MalformedPolicyDocumentException"
    assert c.validate_resource_policy(ResourcePolicy=json.dumps(public))["PolicyValidationPassed"] is False
    assert c.validate_resource_policy(ResourcePolicy=json.dumps(private))["PolicyValidationPassed"] is True
    c.delete_resource_policy(SecretId="own-key")
    assert "ResourcePolicy" not in c.get_resource_policy(SecretId="own-key")


ROTATOR = '''
import boto3, os
sm = boto3.client("secretsmanager")
def handler(event, context):
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    if step == "createSecret":
        try:
            sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except sm.exceptions.ResourceNotFoundException:
            pw = sm.get_random_password(ExcludePunctuation=True)["RandomPassword"]
            sm.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=pw, VersionStages=["AWSPENDING"])
    elif step == "setSecret":
        pass
    elif step == "testSecret":
        if os.environ.get("FAIL_TEST"):
            raise RuntimeError("the new secret does not work")
        assert sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")["SecretString"]
    elif step == "finishSecret":
        current = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
        old = next(v for v, s in current.items() if "AWSCURRENT" in s)
        if old != token:
            sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=old)
'''


@pytest.mark.parametrize("backend", BACKENDS)
def test_rotation_with_a_python_function(make_warden, backend):
    w = make_warden(backend, extra_args=["--enable-functions"])
    c, fn = w.client("secretsmanager"), lam(w)
    arns = {}
    for name, env in [("rotator", {}), ("broken-rotator", {"FAIL_TEST": "1"})]:
        arns[name] = fn.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler", Timeout=30,
                                        Code={"ZipFile": zipped({"app.py": ROTATOR})}, Environment={"Variables": env})["FunctionArn"]
        fn.add_permission(FunctionName=name, StatementId="sm", Action="lambda:InvokeFunction", Principal="secretsmanager.amazonaws.com")
    # Rotation outcomes reach EventBridge's default bus as CloudTrail service events.
    ev, sqs = w.client("events"), w.client("sqs")
    events_url = sqs.create_queue(QueueName="rotation-events")["QueueUrl"]
    events_arn = sqs.get_queue_attributes(QueueUrl=events_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule_arn = ev.put_rule(Name="rotations", EventPattern=json.dumps({
        "source": ["aws.secretsmanager"], "detail-type": ["AWS Service Event via CloudTrail"],
        "detail": {"eventName": [{"prefix": "Rotation"}]}}))["RuleArn"]
    allow_service(sqs, events_url, "events.amazonaws.com", rule_arn)
    ev.put_targets(Rule="rotations", Targets=[{"Id": "q", "Arn": events_arn}])
    first = c.create_secret(Name="rotating", SecretString="initial")["VersionId"]
    # Secrets Manager's own client-side cache library, reading through against Warden.
    from aws_secretsmanager_caching import SecretCache, SecretCacheConfig
    cache = SecretCache(config=SecretCacheConfig(secret_refresh_interval=3600), client=c)
    assert cache.get_secret_string("rotating") == "initial"
    with pytest.raises(ClientError) as e:
        c.rotate_secret(SecretId="rotating")
    assert code(e) == "InvalidRequestException"  # no function yet
    token = c.rotate_secret(SecretId="rotating", RotationLambdaARN=arns["rotator"], RotationRules={"AutomaticallyAfterDays": 30})["VersionId"]
    deadline = time.time() + 60
    while time.time() < deadline and c.get_secret_value(SecretId="rotating")["VersionId"] != token:
        time.sleep(0.3)
    deadline = time.time() + 10
    # The new version keeps AWSPENDING beside AWSCURRENT (recorded from Secrets Manager: test_rotate_secret_with_lambda_success).
    while time.time() < deadline and stages(c, "rotating") != {first: ["AWSPREVIOUS"], token: ["AWSCURRENT", "AWSPENDING"]}:
        time.sleep(0.2)
    assert stages(c, "rotating") == {first: ["AWSPREVIOUS"], token: ["AWSCURRENT", "AWSPENDING"]}
    d = c.describe_secret(SecretId="rotating")
    assert d["RotationEnabled"] and d["RotationLambdaARN"] == arns["rotator"] and d["RotationRules"]["AutomaticallyAfterDays"] == 30
    assert "LastRotatedDate" in d and (d["NextRotationDate"].timestamp() - time.time()) / 86400 == pytest.approx(30, abs=0.1)
    new_value = c.get_secret_value(SecretId="rotating")["SecretString"]
    assert new_value != "initial" and len(new_value) == 32
    assert cache.get_secret_string("rotating") == "initial"  # still cached
    cache.refresh_secret_now("rotating")
    assert cache.get_secret_string("rotating") == new_value
    # A function failing at testSecret: AWSCURRENT stays, the new version keeps AWSPENDING.
    failing = c.rotate_secret(SecretId="rotating", RotationLambdaARN=arns["broken-rotator"])["VersionId"]
    deadline = time.time() + 60
    while time.time() < deadline and failing not in stages(c, "rotating"):
        time.sleep(0.3)
    time.sleep(2)
    secret_arn = c.describe_secret(SecretId="rotating")["ARN"]
    got, deadline = [], time.time() + 15
    while len(got) < 4 and time.time() < deadline:
        for m in sqs.receive_message(QueueUrl=events_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=events_url, ReceiptHandle=m["ReceiptHandle"])
    assert sorted(e["detail"]["eventName"] for e in got) == ["RotationFailed", "RotationStarted", "RotationStarted", "RotationSucceeded"]
    assert all(e["source"] == "aws.secretsmanager" and e["detail"]["eventType"] == "AwsServiceEvent"
               and e["detail"]["additionalEventData"] == {"SecretId": secret_arn} for e in got)
    assert stages(c, "rotating")[failing] == ["AWSPENDING"] and c.get_secret_value(SecretId="rotating")["VersionId"] == token
    with pytest.raises(ClientError) as e:
        c.rotate_secret(SecretId="rotating")
    assert code(e) == "InvalidRequestException"  # the previous rotation is not complete
    c.cancel_rotate_secret(SecretId="rotating")
    assert failing not in stages(c, "rotating") and c.describe_secret(SecretId="rotating").get("RotationEnabled") is False


@pytest.fixture
def password_postgres():
    """A PostgreSQL server of the test's own that checks passwords (scram-sha-256); superuser admin/adminpw."""
    import pathlib
    import shutil
    import subprocess
    import tempfile
    from conftest import free_port
    d = pathlib.Path(tempfile.mkdtemp(prefix="warden-pg-"))
    os.chmod(d, 0o755)  # the server runs as `postgres` when the tests run as root
    (d / "pw").write_text("adminpw\n")
    as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    if os.getuid() == 0:
        subprocess.run(["id", "postgres"], check=True, capture_output=True)
        shutil.chown(d, "postgres")
        shutil.chown(d / "pw", "postgres")
    port = free_port()
    subprocess.run(as_pg + ["initdb", "-D", str(d / "data"), "-U", "admin", "--auth=scram-sha-256", f"--pwfile={d / 'pw'}", "-E", "UTF8"],
                   check=True, capture_output=True)
    subprocess.run(as_pg + ["pg_ctl", "-D", str(d / "data"), "-l", str(d / "log"), "-w", "-o",
                            f"-p {port} -k {d} -c listen_addresses=127.0.0.1 -c fsync=off", "start"], check=True, capture_output=True)
    yield port
    subprocess.run(as_pg + ["pg_ctl", "-D", str(d / "data"), "-m", "fast", "stop"], capture_output=True)
    shutil.rmtree(d, ignore_errors=True)


def can_login(port, user, password):
    import subprocess
    r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", "postgres", "-tAc", "select current_user"],
                       capture_output=True, text=True, env=dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="5"))
    return r.returncode == 0 and r.stdout.strip() == user


def psql_admin(port, sql):
    import subprocess
    subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "admin", "-d", "postgres", "-c", sql],
                   check=True, capture_output=True, env=dict(os.environ, PGPASSWORD="adminpw"))


def wait_current(c, sid, not_version, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = c.get_secret_value(SecretId=sid)
        # AWSCURRENT has moved off the old version (the new one keeps AWSPENDING beside it, as Secrets Manager does).
        if v["VersionId"] != not_version:
            return v
        time.sleep(0.3)
    pytest.fail(f"{sid} did not rotate: {stages(c, sid)}")


def test_managed_postgres_rotation(make_warden, password_postgres):
    port = password_postgres
    psql_admin(port, "CREATE ROLE app LOGIN PASSWORD 'app-initial'")
    psql_admin(port, "CREATE ROLE reporter LOGIN PASSWORD 'reporter-initial'")
    psql_admin(port, "CREATE TABLE report (n int); GRANT SELECT ON report TO reporter")
    assert can_login(port, "app", "app-initial")
    w = make_warden("sqlite")
    c = w.client("secretsmanager")
    # Single user: the user's own password changes; no function needed.
    first = c.create_secret(Name="db/app", SecretString=json.dumps({
        "engine": "postgres", "host": "127.0.0.1", "port": port, "username": "app", "password": "app-initial", "dbname": "postgres"}))["VersionId"]
    c.rotate_secret(SecretId="db/app")
    new = json.loads(wait_current(c, "db/app", first)["SecretString"])
    assert new["username"] == "app" and new["password"] != "app-initial"
    assert can_login(port, "app", new["password"]) and not can_login(port, "app", "app-initial")
    assert c.describe_secret(SecretId="db/app")["RotationEnabled"]
    # Alternating users: the master creates app's clone with the new password; the original keeps working meanwhile.
    master = c.create_secret(Name="db/master", SecretString=json.dumps({
        "engine": "postgres", "host": "127.0.0.1", "port": port, "username": "admin", "password": "adminpw", "dbname": "postgres"}))["ARN"]
    v0 = c.create_secret(Name="db/reporter", SecretString=json.dumps({
        "engine": "postgres", "host": "127.0.0.1", "port": port, "username": "reporter", "password": "reporter-initial",
        "dbname": "postgres", "masterarn": master}))["VersionId"]
    fn = f"arn:aws:lambda:us-east-1:000000000000:function:SecretsManagerRDSPostgreSQLRotationMultiUser"
    c.rotate_secret(SecretId="db/reporter", RotationLambdaARN=fn)
    clone = json.loads(wait_current(c, "db/reporter", v0)["SecretString"])
    assert clone["username"] == "reporter_clone" and can_login(port, "reporter_clone", clone["password"])
    assert can_login(port, "reporter", "reporter-initial")  # the previous user still logs in until the next rotation
    # A rotation whose database refuses the login: AWSCURRENT stays, AWSPENDING waits on the new version.
    bad = c.create_secret(Name="db/wrong", SecretString=json.dumps({
        "engine": "postgres", "host": "127.0.0.1", "port": port, "username": "app", "password": "not-the-password", "dbname": "postgres"}))["VersionId"]
    token = c.rotate_secret(SecretId="db/wrong")["VersionId"]
    deadline = time.time() + 20
    while time.time() < deadline and token not in stages(c, "db/wrong"):
        time.sleep(0.3)
    time.sleep(1)
    assert stages(c, "db/wrong") == {bad: ["AWSCURRENT"], token: ["AWSPENDING"]}


def test_replica_regions(strict):
    east, west, west2 = (strict.client("secretsmanager", region=r) for r in ("us-east-1", "eu-west-1", "eu-west-2"))
    r = east.create_secret(Name="shared", SecretString="v1", AddReplicaRegions=[{"Region": "eu-west-1"}])
    assert [(s["Region"], s["Status"]) for s in r["ReplicationStatus"]] == [("eu-west-1", "InSync")]
    replica = west.describe_secret(SecretId="shared")
    assert replica["PrimaryRegion"] == "us-east-1" and replica["ARN"] == r["ARN"].replace("us-east-1", "eu-west-1")
    assert west.get_secret_value(SecretId="shared")["SecretString"] == "v1"
    east.put_secret_value(SecretId="shared", SecretString="v2")
    got = west.get_secret_value(SecretId="shared")
    assert got["SecretString"] == "v2" and got["VersionStages"] == ["AWSCURRENT"]
    with pytest.raises(ClientError) as e:
        west.put_secret_value(SecretId="shared", SecretString="from the replica")
    assert code(e) == "InvalidRequestException"
    # A name taken in the destination region fails the replica, unless overwriting is asked for.
    west2.create_secret(Name="shared", SecretString="someone else's")
    status = east.replicate_secret_to_regions(SecretId="shared", AddReplicaRegions=[{"Region": "eu-west-2"}])["ReplicationStatus"]
    assert {s["Region"]: s["Status"] for s in status} == {"eu-west-1": "InSync", "eu-west-2": "Failed"}
    east.remove_regions_from_replication(SecretId="shared", RemoveReplicaRegions=["eu-west-2"])
    west2.delete_secret(SecretId="shared", ForceDeleteWithoutRecovery=True)
    status = east.replicate_secret_to_regions(SecretId="shared", AddReplicaRegions=[{"Region": "eu-west-2"}])["ReplicationStatus"]
    assert {s["Region"]: s["Status"] for s in status} == {"eu-west-1": "InSync", "eu-west-2": "InSync"}
    with pytest.raises(ClientError) as e:
        east.delete_secret(SecretId="shared")
    assert code(e) == "InvalidRequestException"
    east.remove_regions_from_replication(SecretId="shared", RemoveReplicaRegions=["eu-west-2"])
    with pytest.raises(ClientError) as e:
        west2.describe_secret(SecretId="shared")
    assert code(e) == "ResourceNotFoundException"
    # Promoting the remaining replica: it stands alone, and the primary forgets it.
    west.stop_replication_to_replica(SecretId="shared")
    west.put_secret_value(SecretId="shared", SecretString="west only")
    assert east.get_secret_value(SecretId="shared")["SecretString"] == "v2"
    assert "ReplicationStatus" not in east.describe_secret(SecretId="shared")
    assert "PrimaryRegion" not in west.describe_secret(SecretId="shared")
