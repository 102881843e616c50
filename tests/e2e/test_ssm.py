"""Parameter Store with boto3 and awscli on both backends: versions, selectors, labels, hierarchy reads, filters,
SecureString through Warden's KMS, tags, the 100-version rule, the Expiration policy, and the error codes."""
import json
from datetime import datetime, timedelta, timezone

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import BACKENDS, code
from stored import stored_values


def test_versions_selectors_labels_and_history(strict):
    c = strict.client("ssm")
    r = c.put_parameter(Name="/app/db/host", Value="db1", Type="String", Description="primary")
    assert r["Version"] == 1 and r["Tier"] == "Standard"
    with pytest.raises(ClientError) as e:
        c.put_parameter(Name="/app/db/host", Value="db2", Type="String")
    assert code(e) == "ParameterAlreadyExists"
    assert c.put_parameter(Name="/app/db/host", Value="db2", Overwrite=True)["Version"] == 2
    p = c.get_parameter(Name="/app/db/host")["Parameter"]
    account = strict.client("sts").get_caller_identity()["Account"]
    assert p["Value"] == "db2" and p["Version"] == 2 and p["Type"] == "String" and p["DataType"] == "text"
    assert p["ARN"] == f"arn:aws:ssm:us-east-1:{account}:parameter/app/db/host"
    assert c.get_parameter(Name=p["ARN"])["Parameter"]["Value"] == "db2"
    one = c.get_parameter(Name="/app/db/host:1")["Parameter"]
    assert one["Value"] == "db1" and one["Selector"] == ":1" and one["Name"] == "/app/db/host"
    # Labels move between versions; invalid ones are reported, not fatal.
    r = c.label_parameter_version(Name="/app/db/host", ParameterVersion=1, Labels=["stable", "1bad", "awsx"])
    assert r["InvalidLabels"] == ["1bad", "awsx"] and r["ParameterVersion"] == 1
    assert c.get_parameter(Name="/app/db/host:stable")["Parameter"]["Value"] == "db1"
    c.label_parameter_version(Name="/app/db/host", Labels=["stable"])
    assert c.get_parameter(Name="/app/db/host:stable")["Parameter"]["Version"] == 2
    history = c.get_parameter_history(Name="/app/db/host")["Parameters"]
    assert [(h["Version"], h["Value"], h["Labels"]) for h in history] == [(1, "db1", []), (2, "db2", ["stable"])]
    assert history[0]["Description"] == "primary"
    r = c.unlabel_parameter_version(Name="/app/db/host", ParameterVersion=2, Labels=["stable", "nope"])
    assert r["RemovedLabels"] == ["stable"] and r["InvalidLabels"] == ["nope"]
    for bad, want in [("/app/db/host:9", "ParameterVersionNotFound"), ("/app/db/host:nolabel", "ParameterVersionNotFound"),
                      ("/app/missing", "ParameterNotFound")]:
        with pytest.raises(ClientError) as e:
            c.get_parameter(Name=bad)
        assert code(e) == want, bad
    got = c.get_parameters(Names=["/app/db/host", "/app/missing", "/app/db/host:1"])
    assert [p["Value"] for p in got["Parameters"]] == ["db2", "db1"] and got["InvalidParameters"] == ["/app/missing"]
    # StringList, and awscli.
    c.put_parameter(Name="/app/hosts", Value="a,b,c", Type="StringList")
    r = strict.aws("ssm", "get-parameter", "--name", "/app/hosts", "--output", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["Parameter"]["Value"] == "a,b,c"
    # Deletes.
    r = c.delete_parameters(Names=["/app/hosts", "/app/none"])
    assert r["DeletedParameters"] == ["/app/hosts"] and r["InvalidParameters"] == ["/app/none"]
    c.delete_parameter(Name="/app/db/host")
    with pytest.raises(ClientError) as e:
        c.delete_parameter(Name="/app/db/host")
    assert code(e) == "ParameterNotFound"


@pytest.mark.parametrize("backend", BACKENDS)
def test_secure_strings_go_through_kms(make_warden, backend):
    w = make_warden(backend)
    c, kms = w.client("ssm"), w.client("kms")
    c.put_parameter(Name="/secret/default", Value="s3cr3t-default", Type="SecureString")
    meta = c.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/secret/default"]}])["Parameters"][0]
    assert meta["KeyId"] == "alias/aws/ssm" and meta["Type"] == "SecureString"
    hidden = c.get_parameter(Name="/secret/default")["Parameter"]["Value"]
    assert hidden != "s3cr3t-default" and "s3cr3t" not in hidden
    assert c.get_parameter(Name="/secret/default", WithDecryption=True)["Parameter"]["Value"] == "s3cr3t-default"
    assert "alias/aws/ssm" in [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    c.put_parameter(Name="/secret/own", Value="s3cr3t-own", Type="SecureString", KeyId=key)
    raw = stored_values(w, "ssm_parameter_versions", "value")
    assert len(raw) == 2 and all(b"s3cr3t" not in r for r in raw)
    kms.disable_key(KeyId=key)
    with pytest.raises(ClientError) as e:
        c.get_parameter(Name="/secret/own", WithDecryption=True)
    assert code(e) == "InvalidKeyId"
    assert c.get_parameter(Name="/secret/own")["Parameter"]["Value"] != "s3cr3t-own"
    kms.enable_key(KeyId=key)
    assert c.get_parameter(Name="/secret/own", WithDecryption=True)["Parameter"]["Value"] == "s3cr3t-own"
    with pytest.raises(ClientError) as e:
        c.put_parameter(Name="/secret/bad", Value="x", Type="SecureString", KeyId="alias/does-not-exist")
    assert code(e) == "InvalidKeyId"
    # The parameter's ARN is the encryption context: KMS records it.
    enc = [r for r in w.audit_records() if r["eventName"] in ("GenerateDataKey", "Decrypt")]
    assert enc == [] or all("PARAMETER_ARN" in json.dumps(r.get("requestParameters", {})) for r in enc)


def test_paths_filters_and_paging(strict):
    c = strict.client("ssm")
    names = ["/p/a", "/p/b", "/p/c/d", "/p/c/e/f", "/q/x", "/p_other"]
    for i, n in enumerate(names):
        c.put_parameter(Name=n, Value=f"v{i}", Type="SecureString" if n == "/p/b" else "String", Tags=[{"Key": "k", "Value": n}])
    c.label_parameter_version(Name="/p/a", Labels=["live"])
    one = c.get_parameters_by_path(Path="/p")["Parameters"]
    assert [p["Name"] for p in one] == ["/p/a", "/p/b"]
    seen, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        page = c.get_parameters_by_path(Path="/p/", Recursive=True, MaxResults=2, WithDecryption=True, **kw)
        seen += [(p["Name"], p["Value"]) for p in page["Parameters"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [("/p/a", "v0"), ("/p/b", "v1"), ("/p/c/d", "v2"), ("/p/c/e/f", "v3")]
    typed = c.get_parameters_by_path(Path="/p", Recursive=True, ParameterFilters=[{"Key": "Type", "Values": ["SecureString"]}])
    assert [p["Name"] for p in typed["Parameters"]] == ["/p/b"]
    labelled = c.get_parameters_by_path(Path="/p", ParameterFilters=[{"Key": "Label", "Option": "Equals", "Values": ["live"]}])
    assert [p["Name"] for p in labelled["Parameters"]] == ["/p/a"]
    with pytest.raises(ClientError) as e:
        c.get_parameters_by_path(Path="/p", ParameterFilters=[{"Key": "Name", "Values": ["x"]}])
    assert code(e) == "InvalidFilterKey"
    with pytest.raises(ClientError) as e:
        c.get_parameters_by_path(Path="p")
    assert code(e) == "ValidationException"
    d = c.describe_parameters(ParameterFilters=[{"Key": "Path", "Option": "OneLevel", "Values": ["/p/c"]}])["Parameters"]
    assert [p["Name"] for p in d] == ["/p/c/d"]
    d = c.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": ["/p/c"]}])["Parameters"]
    assert [p["Name"] for p in d] == ["/p/c/d", "/p/c/e/f"]
    d = c.describe_parameters(ParameterFilters=[{"Key": "tag:k", "Values": ["/q/x"]}])["Parameters"]
    assert [p["Name"] for p in d] == ["/q/x"] and "Value" not in d[0]
    d = c.describe_parameters(Filters=[{"Key": "Type", "Values": ["SecureString"]}])["Parameters"]
    assert [p["Name"] for p in d] == ["/p/b"]
    all_names, token = [], None
    while True:
        kw = {"NextToken": token} if token else {}
        page = c.describe_parameters(MaxResults=4, **kw)
        all_names += [p["Name"] for p in page["Parameters"]]
        token = page.get("NextToken")
        if not token:
            break
    assert all_names == sorted(names)
    # Tags.
    c.add_tags_to_resource(ResourceType="Parameter", ResourceId="/q/x", Tags=[{"Key": "env", "Value": "prod"}])
    c.remove_tags_from_resource(ResourceType="Parameter", ResourceId="/q/x", TagKeys=["k"])
    assert c.list_tags_for_resource(ResourceType="Parameter", ResourceId="/q/x")["TagList"] == [{"Key": "env", "Value": "prod"}]
    with pytest.raises(ClientError) as e:
        c.list_tags_for_resource(ResourceType="Parameter", ResourceId="/nope")
    assert code(e) == "InvalidResourceId"


def test_name_type_size_and_pattern_rules(strict):
    c = strict.client("ssm", validate=False)
    for name, want in [("aws-thing", "ValidationException"), ("/ssm/x", "ValidationException"),
                       ("a/b", "ParameterPatternMismatchException"), ("/a b", "ValidationException"),
                       ("/" + "/".join(["l"] * 16), "HierarchyLevelLimitExceededException"), ("/bad$char", "ParameterPatternMismatchException")]:
        with pytest.raises(ClientError) as e:
            c.put_parameter(Name=name, Value="v", Type="String")
        assert code(e) == want, name
    c.put_parameter(Name="/t", Value="v", Type="String")
    with pytest.raises(ClientError) as e:
        c.put_parameter(Name="/t", Value="v", Type="SecureString", Overwrite=True)
    assert code(e) == "HierarchyTypeMismatchException"
    with pytest.raises(ClientError) as e:
        c.put_parameter(Name="/t", Value="v", Overwrite=True, Tags=[{"Key": "a", "Value": "b"}])
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        c.put_parameter(Name="/big", Value="x" * 4097, Type="String")
    assert code(e) == "ValidationException"
    assert c.put_parameter(Name="/big", Value="x" * 8192, Type="String", Tier="Advanced")["Tier"] == "Advanced"
    assert c.put_parameter(Name="/auto", Value="x" * 5000, Type="String", Tier="Intelligent-Tiering")["Tier"] == "Advanced"
    with pytest.raises(ClientError) as e:
        c.put_parameter(Name="/big", Value="x", Overwrite=True, Tier="Standard")
    assert code(e) == "ValidationException"
    c.put_parameter(Name="/pat", Value="123", Type="String", AllowedPattern="^[0-9]+$")
    with pytest.raises(ClientError) as e:
        c.put_parameter(Name="/pat", Value="abc", Overwrite=True)
    assert code(e) == "ParameterPatternMismatchException"
    with pytest.raises(ClientError) as e:
        c.put_parameter(Name="/pat2", Value="1", Type="String", AllowedPattern="([")
    assert code(e) == "InvalidAllowedPatternException"
    with pytest.raises(ClientError) as e:
        c.put_parameter(Name="/dt", Value="x", Type="String", DataType="aws:ec2:image")
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        c.put_parameter(Name="/pol", Value="x", Type="String",
                        Policies=json.dumps([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "2099-01-01T00:00:00Z"}}]))
    assert code(e) == "ValidationException"  # policies need the Advanced tier
    for policies, want in [([{"Type": "Nope", "Version": "1.0", "Attributes": {}}], "InvalidPolicyTypeException"),
                           ([{"Type": "Expiration", "Attributes": {"Timestamp": "2099-01-01T00:00:00Z"}}] * 2, "IncompatiblePolicyException")]:
        with pytest.raises(ClientError) as e:
            c.put_parameter(Name="/pol", Value="x", Type="String", Tier="Advanced", Policies=json.dumps(policies))
        assert code(e) == want


def test_hundred_versions_and_labelled_oldest(strict):
    c = strict.client("ssm")
    c.put_parameter(Name="/many", Value="v1", Type="String")
    for i in range(2, 102):
        c.put_parameter(Name="/many", Value=f"v{i}", Overwrite=True)
    history = c.get_parameter_history(Name="/many", MaxResults=50)
    versions = [h["Version"] for h in history["Parameters"]]
    while history.get("NextToken"):
        history = c.get_parameter_history(Name="/many", MaxResults=50, NextToken=history["NextToken"])
        versions += [h["Version"] for h in history["Parameters"]]
    assert versions == list(range(2, 102))
    c.label_parameter_version(Name="/many", ParameterVersion=2, Labels=["pinned"])
    with pytest.raises(ClientError) as e:
        c.put_parameter(Name="/many", Value="v102", Overwrite=True)
    assert code(e) == "ParameterMaxVersionLimitExceeded"


@pytest.mark.parametrize("backend", BACKENDS)
def test_expiration_policy_deletes_the_parameter(make_warden, backend):
    import time
    from test_sns import queue
    w = make_warden(backend, dev=True, extra_args=["--job-interval", "0.2"])
    c, sqs, ev = w.client("ssm"), w.client("sqs"), w.client("events")
    # The policies' events reach EventBridge's default bus: a rule sends them to a queue.
    url, arn = queue(sqs, "policy-events")
    ev.put_rule(Name="ssm-policies", EventPattern=json.dumps({"source": ["aws.ssm"], "detail-type": ["Parameter Store Policy Action"]}))
    ev.put_targets(Rule="ssm-policies", Targets=[{"Id": "q", "Arn": arn}])
    seen = []

    def events():
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            seen.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return seen

    def wait_for(predicate, what):
        deadline = time.time() + 15
        while time.time() < deadline:
            if predicate():
                return
            time.sleep(0.1)
        pytest.fail(what)

    at = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    c.put_parameter(Name="/temp", Value="short-lived", Type="String", Tier="Advanced",
                    Policies=json.dumps([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": at}},
                                         {"Type": "ExpirationNotification", "Version": "1.0", "Attributes": {"Before": "1", "Unit": "Hours"}}]))
    c.put_parameter(Name="/quiet", Value="unchanged", Type="String", Tier="Advanced",
                    Policies=json.dumps([{"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "2", "Unit": "Hours"}}]))
    # The expiration notification is due at once (1 hour before an expiration 1 hour away).
    wait_for(lambda: [e["detail"]["policy-type"] for e in events()] == ["ExpirationNotification"], "no ExpirationNotification event")
    e = seen[0]
    assert e["source"] == "aws.ssm" and e["detail-type"] == "Parameter Store Policy Action"
    assert e["detail"]["parameter-name"] == "/temp" and e["resources"][0].endswith(":parameter/temp")
    meta = {p["Name"]: p for p in c.describe_parameters()["Parameters"]}
    assert {p["PolicyType"]: p["PolicyStatus"] for p in meta["/temp"]["Policies"]} == {"Expiration": "Pending", "ExpirationNotification": "Finished"}
    assert c.get_parameter(Name="/temp")["Parameter"]["Value"] == "short-lived"
    # An hour later the parameter is gone, with an Expiration event; two hours on, the unchanged one notifies.
    requests.post(f"{w.endpoint}/_warden/clock?advance=3700")

    def gone():
        try:
            c.get_parameter(Name="/temp")
            return False
        except ClientError as e:
            return e.response["Error"]["Code"] == "ParameterNotFound"
    wait_for(gone, "the parameter did not expire")
    wait_for(lambda: "Expiration" in [e["detail"]["policy-type"] for e in events()], "no Expiration event")
    requests.post(f"{w.endpoint}/_warden/clock?advance=3700")
    wait_for(lambda: "NoChangeNotification" in [e["detail"]["policy-type"] for e in events()], "no NoChangeNotification event")
    assert [e["detail"]["parameter-name"] for e in seen if e["detail"]["policy-type"] == "NoChangeNotification"] == ["/quiet"]
