"""Several Warden nodes on one PostgreSQL behind HAProxy, started by scripts/cluster as users start them: concurrent
writes through different nodes lose nothing, a change made on one node holds on the others at once, a long poll on one
node wakes for a message sent through another, each background job runs on exactly one node, and a node killed (-9) or
stopped (SIGTERM) hands its jobs to the others without losing an acknowledged call, a trail's digest chain or a
scheduled rule's minute. Also: one process per SQLite data directory, and libpq's sslmode in a PostgreSQL URL.

Every wait has a generous deadline; nothing asserts how fast something happened. A failing module keeps its cluster's
directory (logs, cluster.json) under /tmp/warden-cluster-*."""
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import PG_URL, ROOT, WARDEN, Warden, allow_service, code, free_port, fresh_postgres_database, read_credentials
from test_sns import drain, queue
from trail_helpers import CLOUDTRAIL_POLICY, digest_keys, log_keys, read_gz_json, wait_for

CLUSTER = os.path.join(ROOT, "scripts", "cluster")
# Trails deliver every half second and sign a digest every 3 s, so a failover spans several of each.
TRAIL_FLAGS = ["--trail-delivery-interval", "0.5", "--trail-digest-interval", "3"]


def postgres_database():
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL backend (scripts/test sets WARDEN_TEST_POSTGRES_URL)")
        pytest.skip("WARDEN_TEST_POSTGRES_URL not set")
    return fresh_postgres_database()


def running(pid):
    """The process exists and is not a zombie (nodes outlive the script that started them; nobody may reap them)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def until(predicate, what, timeout=60, interval=0.2):
    return wait_for(predicate, timeout=timeout, interval=interval, what=what)


class Node:
    def __init__(self, d):
        self.id, self.endpoint, self.pid, self.data_dir = d["id"], d["endpoint"], d["pid"], d["data_dir"]

    def __repr__(self):
        return f"{self.id}({self.endpoint}, pid {self.pid})"


class Cluster:
    """A cluster started by `scripts/cluster --detach`: its HAProxy endpoint, its nodes, clients for either."""

    def __init__(self, dev=False, extra_args=()):
        self.dev = dev
        database = postgres_database()
        self.dir = tempfile.mkdtemp(prefix="warden-cluster-")
        serve_args = (["--dev"] if dev else []) + list(extra_args)
        r = subprocess.run([CLUSTER, "--detach", "--dir", self.dir, "--nodes", "3", "--bin", WARDEN,
                            "--postgres", database, "--", *serve_args],
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, f"scripts/cluster failed:\n{r.stdout}\n{r.stderr}"
        self.load()
        self.lease_names = None

    def load(self):
        with open(os.path.join(self.dir, "cluster.json")) as f:
            c = json.load(f)
        self.endpoint = c["endpoint"]
        self.nodes = [Node(n) for n in c["nodes"]]
        self.credentials_file = c["credentials"]

    def stop(self, keep=False):
        subprocess.run([CLUSTER, "stop", "--dir", self.dir], capture_output=True, timeout=300)
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def restart(self, node):
        r = subprocess.run([CLUSTER, "restart", "--dir", self.dir, node.id], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        self.load()

    def live(self):
        return [n for n in self.nodes if running(n.pid)]

    def credentials(self):
        if self.dev:
            return "AKIDDEVEXAMPLE", "dev-secret"
        return read_credentials(self.credentials_file)

    def client(self, service, node=None, retries=1):
        """A boto3 client of HAProxy (node None) or of one node; retries=1: every failure shows."""
        key, secret = self.credentials()
        return boto3.client(service, endpoint_url=node.endpoint if node else self.endpoint, region_name="us-east-1",
                            aws_access_key_id=key, aws_secret_access_key=secret,
                            config=Config(retries={"max_attempts": retries, "mode": "standard"}, max_pool_connections=32))

    def aws(self, *args, env=None):
        e = {k: v for k, v in os.environ.items()
             if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")}
        e.update({"AWS_SHARED_CREDENTIALS_FILE": self.credentials_file, "AWS_CONFIG_FILE": os.devnull,
                  "AWS_DEFAULT_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "1"})
        e.update(env or {})
        return subprocess.run(["aws", "--endpoint-url", self.endpoint, *args], capture_output=True, text=True,
                              timeout=300, env=e)


def health(node):
    try:
        r = requests.get(node.endpoint + "/_warden/health", timeout=3)
        return r.json() if r.status_code == 200 else None
    except requests.RequestException:
        return None


def metrics(node):
    """{'name{labels}': value} from the node's Prometheus text."""
    out = {}
    for line in requests.get(node.endpoint + "/_warden/metrics", timeout=5).text.splitlines():
        m = re.match(r"^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?)\s+(\S+)", line)
        if m and not line.startswith("#"):
            out[m.group(1)] = float(m.group(2))
    return out


def lease_holders(nodes):
    """{lease: [ids of the nodes in `nodes` that say they hold it]}, or None when one of them does not answer."""
    holders = {}
    for n in nodes:
        h = health(n)
        if h is None:
            return None
        for lease in h.get("leases", []):
            holders.setdefault(lease, []).append(n.id)
    return holders


def wait_settled(nodes, names=None, timeout=60):
    """{lease: holder id} once each lease (`names`, or whatever the nodes report) is held by exactly one of `nodes`."""
    last = [None]

    def settled():
        holders = last[0] = lease_holders(nodes)
        if not holders:
            return None
        wanted = names or set(holders)
        if all(len(holders.get(name, [])) == 1 for name in wanted) and all(len(ids) == 1 for ids in holders.values()):
            return {name: ids[0] for name, ids in holders.items()}
        return None

    try:
        return until(settled, "leases", timeout=timeout)
    except AssertionError:
        raise AssertionError(f"after {timeout} s the leases of {nodes} are not each held by exactly one of them: "
                             f"{last[0]} (wanted {sorted(names) if names else 'every lease reported'})") from None


def known_leases(c):
    """Every lease name, as the three nodes report them once settled (remembered for the failover tests)."""
    if c.lease_names is None:
        c.lease_names = set(wait_settled(c.nodes))
    return c.lease_names


def busiest(c, holders):
    return max(c.nodes, key=lambda n: sum(1 for holder in holders.values() if holder == n.id))


def metric_sum(nodes, prefix):
    return sum(v for n in nodes for k, v in metrics(n).items() if k.startswith(prefix))


@pytest.fixture(scope="module")
def cluster(request):
    """One strict-mode cluster for the module (trails with short intervals on every node)."""
    failed = request.session.testsfailed
    c = Cluster(extra_args=TRAIL_FLAGS)
    yield c
    c.stop(keep=request.session.testsfailed > failed)


@pytest.fixture
def full(cluster):
    """The shared cluster with all three nodes up: a node an earlier test killed is started again."""
    for n in cluster.nodes:
        if not running(n.pid):
            cluster.restart(n)
    return cluster


def at_once(c, service, calls):
    """Runs calls[i](client) for every i together from one thread each: even i through HAProxy, odd i straight to the
    nodes in turn. Returns the results in order; the first failure is raised."""
    clients = {None: c.client(service), **{n.id: c.client(service, n) for n in c.nodes}}
    barrier = threading.Barrier(len(calls))

    def run(i):
        client = clients[None] if i % 2 == 0 else clients[c.nodes[(i // 2) % len(c.nodes)].id]
        barrier.wait()
        return calls[i](client)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, range(len(calls))))


# ---- one cluster, three nodes up


def test_concurrent_writes_through_every_node_lose_nothing(full):
    c = full
    # KMS: 20 tags on one key, each from its own TagResource.
    key = c.client("kms").create_key()["KeyMetadata"]["KeyId"]
    at_once(c, "kms", [lambda k, i=i: k.tag_resource(KeyId=key, Tags=[{"TagKey": f"k{i}", "TagValue": f"v{i}"}])
                       for i in range(20)])
    tags = c.client("kms").list_resource_tags(KeyId=key, Limit=50)["Tags"]
    assert {t["TagKey"]: t["TagValue"] for t in tags} == {f"k{i}": f"v{i}" for i in range(20)}

    # SSM: 20 overwrites of one parameter, each its own version.
    ssm = c.client("ssm")
    ssm.put_parameter(Name="/cluster/p", Value="initial", Type="String")
    results = at_once(c, "ssm", [lambda s, i=i: s.put_parameter(Name="/cluster/p", Value=f"value-{i}", Type="String",
                                                                 Overwrite=True) for i in range(20)])
    assert sorted(r["Version"] for r in results) == list(range(2, 22))
    assert ssm.get_parameter(Name="/cluster/p")["Parameter"]["Version"] == 21
    history = [p for page in ssm.get_paginator("get_parameter_history").paginate(Name="/cluster/p")
               for p in page["Parameters"]]
    assert sorted(p["Version"] for p in history) == list(range(1, 22))
    by_version = {r["Version"]: f"value-{i}" for i, r in enumerate(results)}
    assert {p["Version"]: p["Value"] for p in history if p["Version"] > 1} == by_version

    # Secrets Manager: 20 new versions of one secret.
    sm = c.client("secretsmanager")
    sm.create_secret(Name="cluster/secret", SecretString="initial")
    results = at_once(c, "secretsmanager", [lambda s, i=i: s.put_secret_value(SecretId="cluster/secret",
                                                                              SecretString=f"secret-{i}")
                                            for i in range(20)])
    versions = [r["VersionId"] for r in results]
    assert len(set(versions)) == 20
    for i, v in enumerate(versions):
        assert sm.get_secret_value(SecretId="cluster/secret", VersionId=v)["SecretString"] == f"secret-{i}"
    stages = sm.describe_secret(SecretId="cluster/secret")["VersionIdsToStages"]
    current = [v for v, s in stages.items() if "AWSCURRENT" in s]
    previous = [v for v, s in stages.items() if "AWSPREVIOUS" in s]
    assert len(current) == 1 and len(previous) == 1 and current[0] in versions and previous[0] in versions
    assert current != previous
    assert sm.get_secret_value(SecretId="cluster/secret")["SecretString"] == f"secret-{versions.index(current[0])}"

    # SQS: five attributes, each set by its own call, and 15 tags, each by its own TagQueue.
    url = c.client("sqs").create_queue(QueueName="cluster-attributes")["QueueUrl"]
    attributes = {"VisibilityTimeout": "37", "DelaySeconds": "3", "MaximumMessageSize": "2048",
                  "MessageRetentionPeriod": "7200", "ReceiveMessageWaitTimeSeconds": "2"}
    calls = [lambda q, k=k, v=v: q.set_queue_attributes(QueueUrl=url, Attributes={k: v}) for k, v in attributes.items()]
    calls += [lambda q, i=i: q.tag_queue(QueueUrl=url, Tags={f"t{i}": f"v{i}"}) for i in range(15)]
    at_once(c, "sqs", calls)
    got = c.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert {k: got.get(k) for k in attributes} == attributes
    assert c.client("sqs").list_queue_tags(QueueUrl=url)["Tags"] == {f"t{i}": f"v{i}" for i in range(15)}


def test_a_key_disabled_through_one_node_is_refused_by_the_others_at_once(full):
    c = full
    a, b, d = [c.client("kms", n) for n in c.nodes]
    key = a.create_key()["KeyMetadata"]["KeyId"]
    for k in (a, b, d):  # every node has used the key (and may have cached it)
        k.encrypt(KeyId=key, Plaintext=b"warm")
    a.disable_key(KeyId=key)
    for k in (b, d):
        with pytest.raises(ClientError) as e:
            k.encrypt(KeyId=key, Plaintext=b"refused")
        assert code(e) == "DisabledException"
    d.enable_key(KeyId=key)
    for k in (a, b, d):
        blob = k.encrypt(KeyId=key, Plaintext=b"again")["CiphertextBlob"]
        assert a.decrypt(CiphertextBlob=blob)["Plaintext"] == b"again"


def test_a_long_poll_on_one_node_receives_a_message_sent_through_another(full):
    c = full
    a, b = c.client("sqs", c.nodes[0]), c.client("sqs", c.nodes[1])
    url = a.create_queue(QueueName="cross-node")["QueueUrl"]
    before = metric_sum(c.nodes, "warden_cluster_signal_latency_seconds_count")
    result = {}

    def poll():
        result["response"] = b.receive_message(QueueUrl=url, WaitTimeSeconds=20, MaxNumberOfMessages=1)

    t = threading.Thread(target=poll)
    t.start()
    time.sleep(1.0)
    assert t.is_alive(), "the long poll on node B returned before anything was sent"
    body = "across nodes " + uuid.uuid4().hex
    a.send_message(QueueUrl=url, MessageBody=body)
    t.join(40)
    assert not t.is_alive()
    assert [m["Body"] for m in result["response"].get("Messages", [])] == [body]
    # The wake-up crossed nodes through PostgreSQL, and a node measured it.
    assert metric_sum(c.nodes, "warden_cluster_signal_latency_seconds_count") > before


def test_each_lease_is_held_by_exactly_one_node(full):
    c = full
    names = known_leases(c)
    holders = wait_settled(c.nodes, names)
    assert names and set(holders) == names
    for n in c.nodes:
        m = metrics(n)
        for name in names:
            assert m.get(f'warden_lease_held{{lease="{name}"}}') == (1.0 if holders[name] == n.id else 0.0), (n, name)


# ---- failures


class Load:
    """Threads writing through HAProxy (CreateKey, SendMessage, Publish, PutParameter) until stopped, recording every
    acknowledged call: (time, request id, token, response). Calls refused or cut off by a failing node are not
    acknowledged and are only counted."""

    def __init__(self, c, queue_url, topic_arn):
        kms, sqs, sns, ssm = c.client("kms"), c.client("sqs"), c.client("sns"), c.client("ssm")
        self.ops = {
            "CreateKey": lambda t: kms.create_key(Description=t),
            "SendMessage": lambda t: sqs.send_message(QueueUrl=queue_url, MessageBody=t),
            "Publish": lambda t: sns.publish(TopicArn=topic_arn, Message=t),
            "PutParameter": lambda t: ssm.put_parameter(Name=f"/failover/{t}", Value=t, Type="String"),
        }
        self.acked = {op: [] for op in self.ops}
        self.failed = {op: 0 for op in self.ops}
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.loop, args=(op,)) for op in self.ops]

    def loop(self, op):
        i = 0
        while not self.stopping.is_set():
            i += 1
            token = f"{op}-{i}-{uuid.uuid4().hex[:8]}"
            try:
                r = self.ops[op](token)
            except Exception:
                self.failed[op] += 1
            else:
                self.acked[op].append((time.time(), r["ResponseMetadata"]["RequestId"], token, r))
            time.sleep(0.1)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for t in self.threads:
            t.join(120)


class TrailFiles:
    """Records of a bucket's trail log files, each file read once."""

    def __init__(self, s3, bucket):
        self.s3, self.bucket, self.seen, self.records = s3, bucket, set(), []

    def refresh(self):
        for k in log_keys(self.s3, self.bucket):
            if k not in self.seen:
                self.seen.add(k)
                self.records += read_gz_json(self.s3, self.bucket, k)["Records"]
        return self.records


def drain_bodies(sqs, url, wanted, timeout=90):
    """Receives (and deletes) from the queue until every body in `wanted` was seen; returns the bodies seen."""
    seen = set()

    def all_seen():
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            seen.add(m["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return wanted <= seen

    until(all_seen, f"{len(wanted - seen)} acknowledged messages", timeout=timeout, interval=0)
    return seen


def test_kill9_of_the_busiest_node_under_load_loses_no_acknowledged_call(full):
    c = full
    names = known_leases(c)
    s3, ct, sqs, sns = c.client("s3"), c.client("cloudtrail"), c.client("sqs"), c.client("sns")
    bucket = "failover-trail"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=CLOUDTRAIL_POLICY.format(b=bucket))
    arn = ct.create_trail(Name="failover", S3BucketName=bucket, EnableLogFileValidation=True)["TrailARN"]
    ct.put_event_selectors(TrailName="failover", AdvancedEventSelectors=[
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                            {"Field": "resources.type", "Equals": ["AWS::SQS::Queue"]}]},
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                            {"Field": "resources.type", "Equals": ["AWS::SNS::Topic"]}]}])
    started = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
    ct.start_logging(Name="failover")
    load_url, _ = queue(sqs, "failover-load")
    sub_url, sub_arn = queue(sqs, "failover-sub")
    topic = sns.create_topic(Name="failover")["TopicArn"]
    allow_service(sqs, sub_url, "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=sub_arn, Attributes={"RawMessageDelivery": "true"})

    victim = busiest(c, wait_settled(c.nodes, names))
    survivors = [n for n in c.nodes if n is not victim]
    takeovers = metric_sum(survivors, "warden_lease_takeovers_total")
    with Load(c, load_url, topic) as load:
        until(lambda: all(load.acked.values()), "every kind of call acknowledged before the kill")
        os.kill(victim.pid, signal.SIGKILL)
        killed_at = time.time()
        until(lambda: not running(victim.pid), "the killed node to be gone")
        wait_settled(survivors, names, timeout=90)
        # The load goes on through HAProxy after the takeover.
        until(lambda: all(any(t > killed_at for t, *_ in acks) for acks in load.acked.values()),
              "every kind of call acknowledged after the kill")
        time.sleep(1.0)
    assert metric_sum(survivors, "warden_lease_takeovers_total") > takeovers
    acked = load.acked

    # Every acknowledged write is there.
    for _, _, token, r in acked["CreateKey"]:
        meta = c.client("kms").describe_key(KeyId=r["KeyMetadata"]["KeyId"])["KeyMetadata"]
        assert meta["Description"] == token and meta["KeyState"] == "Enabled"
    drain_bodies(sqs, load_url, {token for _, _, token, _ in acked["SendMessage"]})
    drain_bodies(sqs, sub_url, {token for _, _, token, _ in acked["Publish"]})
    ssm = c.client("ssm")
    tokens = [token for _, _, token, _ in acked["PutParameter"]]
    for i in range(0, len(tokens), 10):
        got = ssm.get_parameters(Names=[f"/failover/{t}" for t in tokens[i:i + 10]])
        assert not got["InvalidParameters"], got["InvalidParameters"]
        assert {p["Name"]: p["Value"] for p in got["Parameters"]} == {f"/failover/{t}": t for t in tokens[i:i + 10]}

    # Each acknowledged call's record: management events in event history, and every one in the trail's files.
    history = set()
    for name in ("CreateKey", "PutParameter"):
        for page in ct.get_paginator("lookup_events").paginate(
                LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}], StartTime=started):
            history |= {json.loads(e["CloudTrailEvent"])["requestID"] for e in page["Events"]}
    missing = {rid for op in ("CreateKey", "PutParameter") for _, rid, _, _ in acked[op]} - history
    assert not missing, f"{len(missing)} acknowledged calls not in event history"
    wanted = {rid for acks in acked.values() for _, rid, _, _ in acks}
    files = TrailFiles(s3, bucket)
    until(lambda: wanted <= {r["requestID"] for r in files.refresh()}, "every acknowledged call in the trail's files",
          timeout=120, interval=1)
    delivered = [r["requestID"] for r in files.records if r["requestID"] in wanted]
    assert len(delivered) == len(set(delivered)), "a record was delivered twice across the failover"

    # The digest chain across the failover: every log file in a digest, and the real validator accepts all of them.
    ct.stop_logging(Name="failover")
    account = arn.split(":")[4]

    def all_digested():
        digested = set()
        for k in digest_keys(s3, bucket):
            digested |= {f["s3Object"] for f in read_gz_json(s3, bucket, k)["logFiles"]}
        return digested >= set(log_keys(s3, bucket, f"AWSLogs/{account}/CloudTrail/"))

    until(all_digested, "every log file in a digest", timeout=120, interval=1)
    n_logs = len(log_keys(s3, bucket))
    n_digests = len(digest_keys(s3, bucket))
    r = c.aws("cloudtrail", "validate-logs", "--trail-arn", arn, "--start-time",
              started.strftime("%Y-%m-%dT%H:%M:%SZ"), "--verbose", env={"AWS_ENDPOINT_URL_S3": c.endpoint})
    out = r.stdout + r.stderr
    assert r.returncode == 0 and "INVALID" not in out, out
    found = re.search(r"(\d+)/(\d+) digest files valid", r.stdout)
    assert found and found.group(1) == found.group(2) and int(found.group(1)) >= n_digests, out
    assert f"{n_logs}/{n_logs} log files valid" in r.stdout, out


def test_sigterm_hands_over_leases_and_answers_in_flight_requests(full):
    c = full
    names = known_leases(c)
    victim = busiest(c, wait_settled(c.nodes, names))
    others = [n for n in c.nodes if n is not victim]
    url = c.client("sqs").create_queue(QueueName="sigterm-in-flight")["QueueUrl"]
    direct = c.client("sqs", victim)
    polls = []

    def poll():
        try:
            polls.append(("answered", direct.receive_message(QueueUrl=url, WaitTimeSeconds=5)["ResponseMetadata"]))
        except Exception as e:
            polls.append(("failed", repr(e)))

    # Through HAProxy, an SDK with its standard retries sees no failure while the node drains.
    balanced = c.client("kms", retries=3)
    stopping, answered, failures = threading.Event(), [0], []

    def steady():
        while not stopping.is_set():
            try:
                balanced.list_keys()
                answered[0] += 1
            except Exception as e:
                failures.append(repr(e))
            time.sleep(0.02)

    in_flight = [threading.Thread(target=poll) for _ in range(4)]
    for t in in_flight:
        t.start()
    background = threading.Thread(target=steady)
    background.start()
    time.sleep(1.5)  # the long polls are waiting on the victim
    os.kill(victim.pid, signal.SIGTERM)
    for t in in_flight:
        t.join(60)
    until(lambda: not running(victim.pid), "the node to exit after SIGTERM")
    holders = wait_settled(others, names)
    time.sleep(1.0)
    stopping.set()
    background.join(60)
    assert [kind for kind, _ in polls] == ["answered"] * 4, polls
    assert set(holders.values()) <= {n.id for n in others}
    assert answered[0] > 0 and not failures, failures


# ---- single processes: the SQLite data directory lock, PostgreSQL TLS settings


def serve_once(storage, data_dir, timeout=60):
    """Runs `warden serve` expecting it to refuse to start: (exit code, output). Serving, or hanging, fails the test."""
    os.makedirs(data_dir, exist_ok=True)
    port = free_port()
    with open(os.path.join(data_dir, "refused.log"), "w+b") as log:
        proc = subprocess.Popen([WARDEN, "serve", "--port", str(port), "--data-dir", data_dir, "--storage", storage],
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + timeout
            while proc.poll() is None and time.time() < deadline:
                try:
                    started = requests.get(f"http://127.0.0.1:{port}/_warden/health", timeout=1).status_code == 200
                except requests.RequestException:
                    started = False
                if started:
                    break
                time.sleep(0.2)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        log.seek(0)
        out = log.read().decode(errors="replace")
    assert proc.returncode != -signal.SIGKILL, f"warden serve --storage {storage} did not refuse to start: {out}"
    return proc.returncode, out


def test_a_second_process_on_one_sqlite_data_directory_exits(tmp_path):
    (tmp_path / "data").mkdir()
    w = Warden(str(tmp_path / "data")).start()
    try:
        rc, out = serve_once("sqlite", w.data_dir)
        assert rc != 0 and "is using data directory" in out, out
        assert w.client("sts").get_caller_identity()["Account"]  # the first goes on serving
    finally:
        w.stop()


@pytest.mark.parametrize("mode", ["disable", "prefer"])
def test_sslmode_disable_and_prefer_work_without_tls_on_the_server(tmp_path, mode):
    (tmp_path / "data").mkdir()
    w = Warden(str(tmp_path / "data"), storage=postgres_database() + f"?sslmode={mode}").start()
    try:
        kms = w.client("kms")
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"
    finally:
        w.stop()


def test_sslmode_bogus_and_require_are_refused_at_start(tmp_path):
    url = postgres_database()
    rc, out = serve_once(url + "?sslmode=bogus", str(tmp_path / "bogus"))
    assert rc != 0 and "invalid sslmode" in out, out
    # The test server has no TLS: require cannot be met, and the error it exits with says so (no hang, no bare timeout).
    rc, out = serve_once(url + "?sslmode=require", str(tmp_path / "require"))
    last = out.strip().splitlines()[-1] if out.strip() else ""
    assert rc != 0 and re.search(r"ssl|tls", last, re.IGNORECASE), out


# ---- a dev-mode cluster: the shared clock and a scheduled rule across a failover


def test_a_scheduled_rule_fires_once_a_minute_across_a_failover():
    c = Cluster(dev=True)
    passed = False
    try:
        names = known_leases(c)
        ev, sqs = c.client("events"), c.client("sqs")
        url, arn = queue(sqs, "ticks")
        rule_arn = ev.put_rule(Name="every-minute", ScheduleExpression="rate(1 minute)")["RuleArn"]
        ev.put_targets(Rule="every-minute", Targets=[{"Id": "q", "Arn": arn}])
        time.sleep(2.5)
        assert drain(sqs, url, 1, timeout=1) == []  # its first time is a minute after the scheduler saw it

        def advance(node):
            r = requests.post(f"{node.endpoint}/_warden/clock?advance=61", timeout=10)
            assert r.status_code == 200, r.text

        # The first tick (minutes until the scheduler has seen the rule do not count).
        first = until(lambda: advance(c.nodes[0]) or drain(sqs, url, 1, timeout=15), "the rule's first tick",
                      timeout=120, interval=0)
        ticks, alive = [json.loads(first[0]["Body"])], list(c.nodes)
        assert drain(sqs, url, 1, timeout=2) == []
        for minute in range(1, 6):
            if minute == 3:
                holders = wait_settled(c.nodes, names)
                victim = next((n for n in c.nodes if n.id == holders.get("events-schedules")), None) or busiest(c, holders)
                os.kill(victim.pid, signal.SIGKILL)
                alive = [n for n in c.nodes if n is not victim]
                until(lambda: not running(victim.pid), "the killed node to be gone")
                wait_settled(alive, names, timeout=90)
            # A minute on the clock every node shares, moved through a different node each time.
            node = alive[minute % len(alive)]
            advance(node)
            got = drain(sqs, url, 1, timeout=30)
            got += drain(sqs, url, 1, timeout=2)  # and nothing more for that minute
            assert len(got) == 1, f"minute {minute} (clock moved through {node.id}): {len(got)} scheduled events"
            ticks.append(json.loads(got[0]["Body"]))
        assert all(t["detail-type"] == "Scheduled Event" and t["resources"] == [rule_arn] for t in ticks)
        assert len({t["id"] for t in ticks}) == len(ticks)
        times = [t["time"] for t in ticks]
        assert times == sorted(set(times)), times
        passed = True
    finally:
        c.stop(keep=not passed)
