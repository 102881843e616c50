"""Names list in byte order on both backends, as AWS lists them ("-y" < "B" < "Z1" < "_x" < "a" < "b"), page after
page. The PostgreSQL database here is created with a locale whose order is not byte order (ICU en-US, or en_US.UTF-8:
"_x" < "-y" < "a" < "b" < "B" < "Z1"), so a name column left to the database's collation shows up as a wrong order,
or as a page boundary that skips or repeats a name when a marker is compared in Swift."""
import json
import os
import subprocess
import uuid

import pytest

from conftest import BACKENDS, PG_URL, Warden
from test_lambda import ROLE, lam, zipped

# Differ in case and punctuation; byte order and the usual locale orders all disagree on these.
NAMES = ["B", "a", "b", "_x", "-y", "Z1", "a_b", "a-b", "aB", "ab"]
# IAM names are unique regardless of case, so no two of these differ only in case.
IAM_NAMES = ["B", "a", "_x", "-y", "Z1", "a_b", "a-b", "c.d", "C1"]
PAGE = 2


def by_bytes(names):
    return sorted(names, key=lambda s: s.encode())


def iam_order(names):
    """Warden's IAM order: by the lowercased name (IAM names are unique regardless of case), in byte order."""
    return sorted(names, key=lambda s: (s.lower().encode(), s.encode()))


def collated_postgres_database():
    """A new database on the test PostgreSQL server whose default collation is not byte order; returns its URL, or
    skips when the server has no such locale (a "C" database would pass whether or not names sort by bytes)."""
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL backend (scripts/test sets WARDEN_TEST_POSTGRES_URL)")
        pytest.skip("WARDEN_TEST_POSTGRES_URL not set")
    base = PG_URL.rsplit("/", 1)[0]
    for options in ("LOCALE_PROVIDER icu ICU_LOCALE 'en-US'", "LOCALE 'en_US.UTF-8'", "LOCALE 'en_US.utf8'"):
        name = "w" + uuid.uuid4().hex[:12]
        made = subprocess.run(["psql", PG_URL, "-q", "-v", "ON_ERROR_STOP=1", "-c",
                               f"CREATE DATABASE {name} TEMPLATE template0 {options}"], capture_output=True, text=True)
        if made.returncode != 0:
            continue
        check = subprocess.run(["psql", f"{base}/{name}", "-tA", "-c", "SELECT 'a' < 'B'"], capture_output=True, text=True)
        if check.stdout.strip() == "t":
            return f"{base}/{name}"
        subprocess.run(["psql", PG_URL, "-q", "-c", f"DROP DATABASE {name}"], capture_output=True)
    pytest.skip("the test PostgreSQL server has no ICU or en_US locale to create a non-byte-order database with")


def pages(call, items, token_in, token_out, **kw):
    """Every item of a paged listing: `call(**kw)` again and again with the previous page's token."""
    out, token, seen = [], None, 0
    while True:
        r = call(**kw, **({token_in: token} if token else {}))
        out += r.get(items, [])
        token = r.get(token_out)
        seen += 1
        assert seen < 100, "the listing never ends"
        if not token:
            return out


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory):
    """One server per backend with the same names made in every service."""
    storage = "sqlite" if request.param == "sqlite" else collated_postgres_database()
    w = Warden(str(tmp_path_factory.mktemp("order")), storage=storage, extra_args=["--enable-functions"])
    w.start()
    ssm, sm, sqs, sns = w.client("ssm"), w.client("secretsmanager"), w.client("sqs"), w.client("sns")
    kms, events, logs, iam, cw = w.client("kms"), w.client("events"), w.client("logs"), w.client("iam"), w.client("cloudwatch")
    fn = lam(w)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                               "Action": "sts:AssumeRole"}]})
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    code = zipped({"app.py": "def handler(event, context):\n    return event\n"})
    logs.create_log_group(logGroupName="streams")
    for n in NAMES:
        ssm.put_parameter(Name=f"/order/{n}", Value="v", Type="String")
        sm.create_secret(Name=n, SecretString="v")
        sqs.create_queue(QueueName=n)
        sns.create_topic(Name=n)
        kms.create_alias(AliasName=f"alias/{n}", TargetKeyId=key)
        events.put_rule(Name=n, EventPattern=json.dumps({"source": ["order.test"]}))
        logs.create_log_group(logGroupName=n)
        logs.create_log_stream(logGroupName="streams", logStreamName=n)
        cw.put_metric_alarm(AlarmName=n, Namespace="Order", MetricName="m", Statistic="Average", Period=60,
                            EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
        cw.put_metric_data(Namespace="Order", MetricData=[{"MetricName": n, "Value": 1},
                                                          {"MetricName": "dim", "Dimensions": [{"Name": "d", "Value": n}], "Value": 1}])
        fn.create_function(FunctionName=n, Runtime="python3.12", Role=ROLE, Handler="app.handler", Code={"ZipFile": code})
    for n in IAM_NAMES:
        iam.create_user(UserName=n)
        iam.create_role(RoleName=n, AssumeRolePolicyDocument=trust)
        iam.create_policy(PolicyName=n, PolicyDocument=policy)
    for _ in range(3):
        kms.create_key()
    yield w
    w.stop()


def test_parameter_store(server):
    ssm = server.client("ssm")
    want = ["/order/" + n for n in by_bytes(NAMES)]
    got = pages(ssm.get_parameters_by_path, "Parameters", "NextToken", "NextToken", Path="/order", MaxResults=PAGE)
    assert [p["Name"] for p in got] == want
    got = pages(ssm.describe_parameters, "Parameters", "NextToken", "NextToken", MaxResults=PAGE,
                ParameterFilters=[{"Key": "Path", "Values": ["/order"]}])
    assert [p["Name"] for p in got] == want


def test_secrets(server):
    """ListSecrets lists by CreatedDate unless SortBy says otherwise (its SortOrder documentation); Warden breaks ties
    of the same millisecond by name. SortBy=name is byte order both ways."""
    sm = server.client("secretsmanager")
    for order, reverse in (("asc", False), ("desc", True)):
        got = pages(sm.list_secrets, "SecretList", "NextToken", "NextToken", MaxResults=PAGE, SortBy="name", SortOrder=order)
        assert [s["Name"] for s in got] == sorted(NAMES, key=lambda s: s.encode(), reverse=reverse)
    got = pages(sm.list_secrets, "SecretList", "NextToken", "NextToken", MaxResults=PAGE)
    assert sorted(s["Name"] for s in got) == sorted(NAMES)
    assert [s["Name"] for s in got] == [s["Name"] for s in sorted(got, key=lambda s: (s["CreatedDate"], s["Name"].encode()))]


def test_queues(server):
    sqs = server.client("sqs")
    got = pages(sqs.list_queues, "QueueUrls", "NextToken", "NextToken", MaxResults=PAGE)
    assert [u.rsplit("/", 1)[1] for u in got] == by_bytes(NAMES)


def test_topics(server):
    sns = server.client("sns")
    got = pages(sns.list_topics, "Topics", "NextToken", "NextToken")
    assert [t["TopicArn"].rsplit(":", 1)[1] for t in got] == by_bytes(NAMES)


def test_kms_aliases_and_keys(server):
    kms = server.client("kms")
    got = pages(kms.list_aliases, "Aliases", "Marker", "NextMarker", Limit=PAGE)
    names = [a["AliasName"] for a in got]
    assert len(names) == len(set(names)), "a page boundary repeated an alias"
    assert names == by_bytes(names)
    assert [n for n in names if not n.startswith("alias/aws/")] == ["alias/" + n for n in by_bytes(NAMES)]
    ids = [k["KeyId"] for k in pages(kms.list_keys, "Keys", "Marker", "NextMarker", Limit=PAGE)]
    assert len(ids) >= 4 and ids == by_bytes(set(ids))


def test_rules(server):
    events = server.client("events")
    got = pages(events.list_rules, "Rules", "NextToken", "NextToken", Limit=PAGE)
    assert [r["Name"] for r in got] == by_bytes(NAMES)


def test_log_groups_and_streams(server):
    logs = server.client("logs")
    got = pages(logs.describe_log_groups, "logGroups", "nextToken", "nextToken", limit=PAGE)
    assert [g["logGroupName"] for g in got] == by_bytes(NAMES + ["streams"])
    got = pages(logs.describe_log_streams, "logStreams", "nextToken", "nextToken", logGroupName="streams", limit=PAGE)
    assert [s["logStreamName"] for s in got] == by_bytes(NAMES)


def test_iam(server):
    iam = server.client("iam")
    want = iam_order(IAM_NAMES)
    assert [u["UserName"] for u in pages(iam.list_users, "Users", "Marker", "Marker", MaxItems=PAGE)] == want
    assert [r["RoleName"] for r in pages(iam.list_roles, "Roles", "Marker", "Marker", MaxItems=PAGE)] == want
    got = pages(iam.list_policies, "Policies", "Marker", "Marker", Scope="Local", MaxItems=PAGE)
    assert [p["PolicyName"] for p in got] == want


def test_alarms_and_metrics(server):
    cw = server.client("cloudwatch")
    got = pages(cw.describe_alarms, "MetricAlarms", "NextToken", "NextToken", MaxRecords=PAGE)
    assert [a["AlarmName"] for a in got] == by_bytes(NAMES)
    got = pages(cw.list_metrics, "Metrics", "NextToken", "NextToken", Namespace="Order")
    listed = [(m["MetricName"], [d["Value"] for d in m.get("Dimensions", [])]) for m in got]
    assert [n for n, _ in listed if n != "dim"] == by_bytes(NAMES)
    assert [d[0] for n, d in listed if n == "dim"] == by_bytes(NAMES)
    assert [n for n, _ in listed] == by_bytes(n for n, _ in listed)


def test_functions(server):
    got = pages(lam(server).list_functions, "Functions", "Marker", "NextMarker", MaxItems=PAGE)
    assert [f["FunctionName"] for f in got] == by_bytes(NAMES)
