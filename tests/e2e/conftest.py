"""Starts real `warden serve` processes on free loopback ports and hands them to tests."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import boto3
import pytest
import requests
from botocore.config import Config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WARDEN = os.environ.get("WARDEN_BIN", os.path.join(ROOT, ".build", "debug", "warden"))
PG_URL = os.environ.get("WARDEN_TEST_POSTGRES_URL")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def read_credentials(path):
    """(access key id, secret) from a credentials file Warden wrote (the [default] section)."""
    key = secret = None
    with open(path) as f:
        for line in f:
            if line.startswith("aws_access_key_id"):
                key = line.split("=", 1)[1].strip()
            if line.startswith("aws_secret_access_key"):
                secret = line.split("=", 1)[1].strip()
    return key, secret


def fresh_postgres_database():
    """A new, empty database on the test PostgreSQL server; returns its URL."""
    name = "w" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", PG_URL, "-q", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return PG_URL.rsplit("/", 1)[0] + "/" + name


class Warden:
    """One running server."""

    def __init__(self, data_dir, storage="sqlite", dev=False, extra_args=(), env=None):
        self.data_dir = data_dir
        self.storage = storage
        self.dev = dev
        self.port = free_port()
        self.extra_args = list(extra_args)
        self.env = env or {}
        self.proc = None
        self.scheme = "https" if "--tls-cert" in self.extra_args else "http"

    @property
    def endpoint(self):
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def credentials_file(self):
        return os.path.join(self.data_dir, "credentials")

    def command(self):
        cmd = [WARDEN, "serve", "--port", str(self.port), "--data-dir", self.data_dir, "--storage", self.storage]
        if self.dev:
            cmd.append("--dev")
        return cmd + self.extra_args

    def start(self, wait=True):
        # A free port is only free until someone binds it: another test's server (or a cluster node, or HAProxy) may
        # take it between `free_port()` and this server's bind. Then this server exits with "address already in use"
        # and is started again on another port, rather than the test talking to somebody else's server.
        for attempt in range(3):
            self.log = open(os.path.join(self.data_dir, f"server-{self.port}.log"), "ab")
            env = dict(os.environ, **self.env)
            self.proc = subprocess.Popen(self.command(), stdout=self.log, stderr=subprocess.STDOUT, env=env)
            if not wait:
                return self
            try:
                self.wait_ready()
                return self
            except RuntimeError:
                if attempt == 2 or self.proc.poll() is None or "address already in use" not in self.read_log():
                    raise
                self.port = free_port()
        return self

    def answers_for_us(self, health):
        """Whether a health answer came from this server's process (its default node id is HOST:PID)."""
        custom = "--node-id" in self.extra_args or "WARDEN_NODE_ID" in self.env or "WARDEN_NODE_ID" in os.environ
        return custom or str(health.get("node", "")).endswith(f":{self.proc.pid}")

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"warden exited with {self.proc.returncode}: {self.read_log()}")
            try:
                r = requests.get(self.endpoint + "/_warden/health", timeout=1, verify=False)
                if r.status_code == 200 and self.answers_for_us(r.json()):
                    return
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.1)
        raise RuntimeError("warden did not become healthy: " + self.read_log())

    def read_log(self):
        with open(self.log.name, "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def credentials(self):
        """(access key id, secret) from DATA/credentials."""
        return read_credentials(self.credentials_file)

    def client(self, service="sts", region="us-east-1", key=None, secret=None, validate=True, **kw):
        """A boto3 client; validate=False skips botocore's own parameter checks so the server's answer shows."""
        if key is None:
            key, secret = self.credentials() if not self.dev else ("AKIDDEVEXAMPLE", "dev-secret")
        return boto3.client(service, endpoint_url=self.endpoint, region_name=region, aws_access_key_id=key,
                            aws_secret_access_key=secret,
                            config=Config(retries={"max_attempts": 1}, parameter_validation=validate), **kw)

    def cli(self, *args, **kw):
        """Runs the `warden` binary itself (offline commands) against this server's data."""
        cmd = [WARDEN, *args, "--data-dir", self.data_dir, "--storage", self.storage]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)

    def audit_records(self):
        r = self.cli("audit", "list")
        assert r.returncode == 0, r.stderr
        return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]

    def aws(self, *args, env=None, region="us-east-1"):
        e = dict(os.environ)
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
            e.pop(k, None)
        e.update({"AWS_SHARED_CREDENTIALS_FILE": self.credentials_file, "AWS_CONFIG_FILE": os.devnull,
                  "AWS_DEFAULT_REGION": region, "AWS_MAX_ATTEMPTS": "1"})
        e.update(env or {})
        return subprocess.run(["aws", "--endpoint-url", self.endpoint, *args], capture_output=True, text=True,
                              timeout=60, env=e)


@pytest.fixture
def tmpdir_factory_path():
    d = tempfile.mkdtemp(prefix="warden-e2e-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


BACKENDS = ["sqlite", "postgres"]


def storage_for(backend):
    if backend == "sqlite":
        return "sqlite"
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL backend (scripts/test sets WARDEN_TEST_POSTGRES_URL)")
        pytest.skip("WARDEN_TEST_POSTGRES_URL not set")
    return fresh_postgres_database()


@pytest.fixture
def make_warden(tmpdir_factory_path):
    """Factory: make_warden(backend="sqlite", dev=False, extra_args=()) -> started Warden; all stopped at teardown."""
    started = []

    def make(backend="sqlite", dev=False, extra_args=(), start=True, data_dir=None, env=None):
        d = data_dir or tempfile.mkdtemp(prefix="data-", dir=tmpdir_factory_path)
        w = Warden(d, storage=storage_for(backend), dev=dev, extra_args=extra_args, env=env)
        started.append(w)
        if start:
            w.start()
        return w

    yield make
    for w in started:
        w.stop()


@pytest.fixture(params=BACKENDS)
def strict(request, make_warden):
    """A strict-mode server on each storage backend."""
    return make_warden(request.param)


def cloudwatch_client(w, tmp_path, protocol):
    """A botocore CloudWatch client whose model lists only `protocol` ("json" or "smithy-rpc-v2-cbor"), so every call
    goes over that protocol with botocore's own serializer and parser."""
    import glob
    import gzip

    import botocore
    import botocore.session
    src = glob.glob(os.path.join(os.path.dirname(botocore.__file__), "data", "cloudwatch", "*", "service-2.json*"))[0]
    model = json.load(gzip.open(src) if src.endswith(".gz") else open(src))
    model["metadata"]["protocol"] = protocol
    model["metadata"]["protocols"] = [protocol]
    d = tmp_path / "cloudwatch" / os.path.basename(os.path.dirname(src))
    d.mkdir(parents=True)
    (d / "service-2.json").write_text(json.dumps(model))
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.insert(0, str(tmp_path))
    key, secret = w.credentials() if not w.dev else ("AKIDDEVEXAMPLE", "dev-secret")
    return session.create_client("cloudwatch", endpoint_url=w.endpoint, region_name="us-east-1", aws_access_key_id=key,
                                 aws_secret_access_key=secret)


def code(excinfo):
    """The AWS error code of a `pytest.raises(ClientError)` result."""
    return excinfo.value.response["Error"]["Code"]


def _add_statement(document, statement):
    """`document` (a policy's JSON text, or None) with `statement` appended, as JSON text."""
    policy = json.loads(document) if document else {"Version": "2012-10-17", "Statement": []}
    statements = policy.get("Statement", [])
    policy["Statement"] = (statements if isinstance(statements, list) else [statements]) + [statement]
    return json.dumps(policy)


def allow_service(sqs, queue_url, service, source_arn):
    """Lets `service` (sns.amazonaws.com, events.amazonaws.com) send to the queue for `source_arn` (the topic, the
    rule): a statement added to the queue's policy, as SNS's and EventBridge's guides write it. On AWS, and on a strict
    Warden, nothing reaches a queue whose policy does not allow it."""
    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["Policy", "QueueArn"])["Attributes"]
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sqs:SendMessage",
                 "Resource": attrs["QueueArn"], "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}}}
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": _add_statement(attrs.get("Policy"), statement)})


def allow_service_on_topic(sns, topic_arn, service, source_arn):
    """Lets `service` (events.amazonaws.com) publish to the topic for `source_arn` (the rule): a statement added to the
    topic's policy. SNS's default policy names only the owning account, which lets no service principal publish."""
    current = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"].get("Policy")
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sns:Publish", "Resource": topic_arn,
                 "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}}}
    sns.set_topic_attributes(TopicArn=topic_arn, AttributeName="Policy", AttributeValue=_add_statement(current, statement))


@pytest.fixture(params=BACKENDS)
def kms_dev(request, make_warden):
    """(server, kms client): dev mode on each backend, so tests can move the clock; background jobs every 0.2 s."""
    w = make_warden(request.param, dev=True, extra_args=["--job-interval", "0.2"])
    return w, w.client("kms")


@pytest.fixture
def dev(make_warden):
    return make_warden("sqlite", dev=True)
