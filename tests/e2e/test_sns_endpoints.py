"""SNS delivery to remote endpoints: https endpoints verify certificates (trusting a test CA only when Warden is told
to, with --outbound-trust-ca), and one slow endpoint does not hold up deliveries to the others."""
import json
import os
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from conftest import allow_service
from test_sns import verify


class Recorder:
    """An HTTP(S) subscriber endpoint: records POSTs; /slow takes `slow` seconds to answer."""

    def __init__(self, context=None, slow=5.0):
        self.posts = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                if self.path == "/slow" and self.headers.get("x-amz-sns-message-type") == "Notification":
                    time.sleep(slow)
                outer.posts.append((self.path, self.headers.get("x-amz-sns-message-type"), json.loads(body), time.time()))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if context:
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"{'https' if context else 'http'}://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of(self, path, kind):
        return [(b, t) for p, k, b, t in self.posts if p == path and k == kind]

    def wait(self, path, kind, n=1, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline and len(self.of(path, kind)) < n:
            time.sleep(0.05)
        return self.of(path, kind)

    def close(self):
        self.server.shutdown()


def make_ca(d):
    """A test CA and a server certificate for 127.0.0.1 that it signed."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
        "-subj", "/CN=Warden Test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
        "-days", "1", "-extfile", "ext.cnf")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(d, "server.pem"), os.path.join(d, "server.key"))
    return os.path.join(d, "ca.pem"), context


def test_https_endpoints_verify_certificates_against_a_trusted_ca(make_warden, tmp_path):
    ca, context = make_ca(str(tmp_path))
    ep = Recorder(context)
    try:
        trusted = make_warden("sqlite", extra_args=["--outbound-trust-ca", ca])
        untrusted = make_warden("sqlite")
        # Without the CA Warden refuses the endpoint's certificate: no confirmation is ever posted.
        sns = untrusted.client("sns")
        topic = sns.create_topic(Name="tls")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=ep.url + "/untrusted")
        # With it, the handshake and a notification go through.
        sns = trusted.client("sns")
        topic = sns.create_topic(Name="tls")["TopicArn"]
        assert sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=ep.url + "/trusted")["SubscriptionArn"] == "pending confirmation"
        conf = ep.wait("/trusted", "SubscriptionConfirmation")
        assert conf, "the trusted Warden posted the confirmation over TLS"
        r = requests.get(conf[0][0]["SubscribeURL"])
        assert r.status_code == 200, r.text
        mid = sns.publish(TopicArn=topic, Message="over tls")["MessageId"]
        note = ep.wait("/trusted", "Notification")
        assert note and note[0][0]["MessageId"] == mid and note[0][0]["Message"] == "over tls"
        verify(note[0][0])
        time.sleep(1)
        assert ep.of("/untrusted", "SubscriptionConfirmation") == []
        subs = untrusted.client("sns").list_subscriptions()["Subscriptions"]
        assert [s["SubscriptionArn"] for s in subs] == ["PendingConfirmation"]
    finally:
        ep.close()


def test_bad_trust_ca_file_stops_start_up(make_warden, tmp_path):
    bogus = tmp_path / "not-a-ca.pem"
    bogus.write_text("not a certificate\n")
    w = make_warden("sqlite", extra_args=["--outbound-trust-ca", str(bogus)], start=False)
    w.start(wait=False)
    assert w.proc.wait(timeout=60) != 0
    assert "--outbound-trust-ca" in w.read_log()


def test_a_slow_endpoint_does_not_hold_up_the_others(strict):
    ep = Recorder(slow=4.0)
    try:
        sns = strict.client("sns")
        topic = sns.create_topic(Name="mixed")["TopicArn"]
        for path in ("/slow", "/fast"):
            sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=ep.url + path)
            conf = ep.wait(path, "SubscriptionConfirmation")
            assert requests.get(conf[0][0]["SubscribeURL"]).status_code == 200
        sqs = strict.client("sqs")
        url = sqs.create_queue(QueueName="beside-slow")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        allow_service(sqs, url, "sns.amazonaws.com", topic)
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        published = time.time()
        sns.publish(TopicArn=topic, Message="first")
        sns.publish(TopicArn=topic, Message="second")
        fast = ep.wait("/fast", "Notification", n=2, timeout=10)
        # A standard topic promises no order: the two copies go out concurrently.
        assert sorted(b["Message"] for b, _ in fast) == ["first", "second"]
        assert max(t for _, t in fast) - published < 2.0, "the fast endpoint was not held up by the slow one"
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2).get("Messages", [])
        assert len(got) >= 1
        slow = ep.wait("/slow", "Notification", n=2, timeout=20)
        assert len(slow) == 2
    finally:
        ep.close()
