"""SNS mobile push with real delivery: a local APNs provider API (HTTP/2 over TLS, the `h2` package) that checks the
ES256 provider token against the .p8 key's public key (or the client certificate), and a local FCM (OAuth2 token
endpoint that checks the service account's RS256 assertion, and HTTP v1 send that checks the bearer token).
Warden reaches them through --push-endpoint, trusting the test CA through --outbound-trust-ca.

Sources of AWS's answers, named per case:
- "moto-verified": moto tests/test_sns/test_application_boto3.py, cases marked aws_verified (run against AWS).
- "issues": responses quoted in public issue threads (named in the case).
- "DG": the Amazon SNS Developer Guide ("Mobile app attributes" log examples; "Message delivery retries").
- "API": the Amazon SNS API Reference (response elements).
"""
import base64
import json
import os
import re
import socket
import ssl
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import h2.config
import h2.connection
import h2.events
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID

from conftest import BACKENDS, allow_service
from golden import assert_document
from test_sns_endpoints import make_ca

MOTO = "recorded AWS response, moto tests/test_sns/test_application_boto3.py (aws_verified)"
API = "Amazon SNS API Reference"
DG = "Amazon SNS Developer Guide, Mobile app attributes (delivery status log examples)"
UUID_RE = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
TEAM, KEY_ID, BUNDLE = "TEAM123456", "KEY1234567", "com.example.warden"


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def wait_for(condition, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    return condition()


def pem_private(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


class APNs:
    """APNs' provider API: POST /3/device/<token> over HTTP/2. Records every request; answers 410 Unregistered for
    tokens in `unregistered`; checks the provider token with `keys` (key id -> P-256 public key)."""

    def __init__(self, context, keys):
        self.keys = keys
        self.requests = []
        self.unregistered = set()
        self.context = context
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"https://127.0.0.1:{self.sock.getsockname()[1]}"
        self.closed = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def jwt_ok(self, authorization):
        if not authorization or not authorization.startswith("bearer "):
            return None
        header, claims, signature = authorization[7:].split(".")
        h, c = json.loads(b64url_decode(header)), json.loads(b64url_decode(claims))
        key = self.keys.get(h.get("kid"))
        raw = b64url_decode(signature)
        if h.get("alg") != "ES256" or key is None or len(raw) != 64:
            return False
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        try:
            key.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        except Exception:
            return False
        return c.get("iss") == TEAM and abs(c.get("iat", 0) - time.time()) < 3600

    def serve(self, conn):
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            conn.close()
            return
        peer = tls.getpeercert()
        h2c = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        h2c.initiate_connection()
        tls.sendall(h2c.data_to_send())
        streams = {}
        try:
            while True:
                data = tls.recv(65535)
                if not data:
                    break
                for ev in h2c.receive_data(data):
                    if isinstance(ev, h2.events.RequestReceived):
                        streams[ev.stream_id] = {"headers": dict(ev.headers), "body": b""}
                    elif isinstance(ev, h2.events.DataReceived):
                        streams[ev.stream_id]["body"] += ev.data
                        h2c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                    elif isinstance(ev, h2.events.StreamEnded):
                        self.answer(h2c, ev.stream_id, streams.pop(ev.stream_id), peer, tls.selected_alpn_protocol())
                tls.sendall(h2c.data_to_send())
        except (OSError, ssl.SSLError):
            pass
        finally:
            tls.close()

    def answer(self, h2c, stream, req, peer, alpn):
        headers = req["headers"]
        token = headers[":path"].rsplit("/", 1)[-1]
        record = {"path": headers[":path"], "method": headers[":method"], "headers": headers, "alpn": alpn,
                  "payload": json.loads(req["body"] or b"null"), "jwt": self.jwt_ok(headers.get("authorization")),
                  "peer": peer, "token": token}
        self.requests.append(record)
        if record["jwt"] is False or (record["jwt"] is None and not peer):
            status, body = 403, {"reason": "InvalidProviderToken"}
        elif token in self.unregistered:
            status, body = 410, {"reason": "Unregistered", "timestamp": int(time.time() * 1000)}
        else:
            status, body = 200, None
        data = json.dumps(body).encode() if body else b""
        out = [(":status", str(status)), ("apns-id", str(uuid.uuid4()).upper())]
        if data:
            out.append(("content-type", "application/json"))
        h2c.send_headers(stream, out, end_stream=not data)
        if data:
            h2c.send_data(stream, data, end_stream=True)

    def to(self, token):
        return [r for r in self.requests if r["token"] == token]

    def close(self):
        self.closed = True
        self.sock.close()


class FCM:
    """Google's token endpoint (JWT-bearer grant, RS256 assertion checked) and FCM HTTP v1 send (bearer checked)."""

    def __init__(self, context, accounts):
        self.accounts = accounts  # client_email -> RSA public key
        self.assertions = []
        self.sends = []
        self.issued = set()
        self.unregistered = set()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == "/token":
                    return outer.token(self, body)
                m = re.fullmatch(r"/v1/projects/([^/]+)/messages:send", self.path)
                if m:
                    return outer.send(self, m.group(1), body)
                self.reply(404, {"error": "no such path"})

            def reply(self, status, doc):
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, handler, body):
        form = urllib.parse.parse_qs(body.decode())
        assertion = form.get("assertion", [""])[0]
        header, claims, signature = assertion.split(".")
        c = json.loads(b64url_decode(claims))
        ok = form.get("grant_type") == ["urn:ietf:params:oauth:grant-type:jwt-bearer"] and \
            json.loads(b64url_decode(header)).get("alg") == "RS256"
        key = self.accounts.get(c.get("iss"))
        try:
            key.verify(b64url_decode(signature), f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except Exception:
            ok = False
        ok = ok and c.get("aud") == self.url + "/token" and "firebase.messaging" in c.get("scope", "") and c["exp"] > time.time()
        self.assertions.append({"claims": c, "ok": ok})
        if not ok:
            return handler.reply(400, {"error": "invalid_grant"})
        token = "ya29." + uuid.uuid4().hex
        self.issued.add(token)
        handler.reply(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def send(self, handler, project, body):
        auth = handler.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.issued:
            return handler.reply(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}})
        doc = json.loads(body)
        self.sends.append({"project": project, "body": doc})
        if doc["message"].get("token") in self.unregistered:
            return handler.reply(404, {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND",
                                                 "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                                                              "errorCode": "UNREGISTERED"}]}})
        handler.reply(200, {"name": f"projects/{project}/messages/0:{uuid.uuid4().hex}"})

    def to(self, token):
        return [s for s in self.sends if s["body"]["message"].get("token") == token]

    def close(self):
        self.server.shutdown()


class Env:
    def __init__(self, w, apns, fcm, p8, sa_json):
        self.w, self.apns, self.fcm, self.p8, self.sa_json = w, apns, fcm, p8, sa_json
        self.sns = w.client("sns")
        self.account = w.client("sts").get_caller_identity()["Account"]

    def apns_app(self, name, platform="APNS", **attributes):
        return self.sns.create_platform_application(Name=name, Platform=platform, Attributes={
            "PlatformCredential": self.p8, "PlatformPrincipal": KEY_ID, "ApplePlatformTeamID": TEAM,
            "ApplePlatformBundleID": BUNDLE, **attributes})["PlatformApplicationArn"]

    def fcm_app(self, name, **attributes):
        return self.sns.create_platform_application(Name=name, Platform="GCM", Attributes={
            "PlatformCredential": self.sa_json, **attributes})["PlatformApplicationArn"]


@pytest.fixture(params=BACKENDS)
def env(request, make_warden, tmp_path):
    ca, _ = make_ca(str(tmp_path))
    h2_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    h2_context.load_cert_chain(str(tmp_path / "server.pem"), str(tmp_path / "server.key"))
    h2_context.set_alpn_protocols(["h2"])
    http_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    http_context.load_cert_chain(str(tmp_path / "server.pem"), str(tmp_path / "server.key"))
    signing = ec.generate_private_key(ec.SECP256R1())
    account_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    apns = APNs(h2_context, {KEY_ID: signing.public_key()})
    fcm = FCM(http_context, {"push@warden-test.iam.gserviceaccount.com": account_key.public_key()})
    sa_json = json.dumps({"type": "service_account", "project_id": "warden-test", "private_key_id": "k1",
                          "private_key": pem_private(account_key), "client_email": "push@warden-test.iam.gserviceaccount.com",
                          "token_uri": fcm.url + "/token"})
    w = make_warden(request.param, extra_args=["--outbound-trust-ca", ca, "--push-endpoint",
                                               f"apns={apns.url},apns_sandbox={apns.url},fcm={fcm.url}"])
    yield Env(w, apns, fcm, pem_private(signing), sa_json)
    apns.close()
    fcm.close()


def device():
    return os.urandom(32).hex()


# 1. Direct publish through awscli, with token-based APNs authentication.

def test_awscli_direct_publish_reaches_apns_with_a_valid_provider_token(env):
    w = env.w
    r = w.aws("sns", "create-platform-application", "--name", "cli-app", "--platform", "APNS", "--attributes", json.dumps({
        "PlatformCredential": env.p8, "PlatformPrincipal": KEY_ID, "ApplePlatformTeamID": TEAM, "ApplePlatformBundleID": BUNDLE}))
    assert r.returncode == 0, r.stderr
    app = json.loads(r.stdout)["PlatformApplicationArn"]
    assert app == f"arn:aws:sns:us-east-1:{env.account}:app/APNS/cli-app"
    token = device()
    r = w.aws("sns", "create-platform-endpoint", "--platform-application-arn", app, "--token", token)
    assert r.returncode == 0, r.stderr
    endpoint = json.loads(r.stdout)["EndpointArn"]
    assert re.fullmatch(f"arn:aws:sns:us-east-1:{env.account}:endpoint/APNS/cli-app/{UUID_RE}", endpoint)
    r = w.aws("sns", "publish", "--target-arn", endpoint, "--message", "hello from warden")
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(UUID_RE, json.loads(r.stdout)["MessageId"])
    got = wait_for(lambda: env.apns.to(token))
    assert got, "APNs received the notification"
    req = got[0]
    assert req["method"] == "POST" and req["path"] == f"/3/device/{token}" and req["alpn"] == "h2"
    assert req["jwt"] is True, "the provider token verifies with the .p8 key's public key"
    h = req["headers"]
    assert (h["apns-topic"], h["apns-push-type"], h["apns-priority"]) == (BUNDLE, "alert", "10")
    assert req["payload"] == {"aps": {"alert": "hello from warden"}}
    # The credentials are never shown, never in the audit record, and sealed at rest.
    attrs = env.sns.get_platform_application_attributes(PlatformApplicationArn=app)["Attributes"]
    assert "PlatformCredential" not in attrs and "PlatformPrincipal" not in attrs
    assert attrs["AuthenticationMethod"] == "Token" and attrs["ApplePlatformTeamID"] == TEAM and attrs["Enabled"] == "true"
    records = [json.dumps(a) for a in w.audit_records() if a.get("eventName") == "CreatePlatformApplication"]
    assert records and not any("PRIVATE KEY" in a for a in records)
    if w.storage == "sqlite":
        raw = b"".join(open(os.path.join(w.data_dir, f), "rb").read() for f in os.listdir(w.data_dir) if f.startswith("warden.sqlite"))
        assert b"BEGIN PRIVATE KEY" not in raw and env.p8.splitlines()[1].encode() not in raw


# 2. Topic fan-out, per-platform payloads, FCM HTTP v1 with the OAuth2 grant.

def test_topic_fan_out_to_two_devices_with_per_platform_payloads(env):
    sns = env.sns
    apns_app, fcm_app = env.apns_app("fan-apns"), env.fcm_app("fan-fcm")
    ios, android = device(), "fcm-token-" + uuid.uuid4().hex
    e1 = sns.create_platform_endpoint(PlatformApplicationArn=apns_app, Token=ios)["EndpointArn"]
    e2 = sns.create_platform_endpoint(PlatformApplicationArn=fcm_app, Token=android)["EndpointArn"]
    topic = sns.create_topic(Name="fan")["TopicArn"]
    for e in (e1, e2):
        sub = sns.subscribe(TopicArn=topic, Protocol="application", Endpoint=e)["SubscriptionArn"]
        assert sub.startswith(topic + ":")
    structure = {"default": "fallback", "APNS": json.dumps({"aps": {"alert": {"title": "t", "body": "apns own"}, "badge": 3}}),
                 "GCM": json.dumps({"fcmV1Message": {"message": {"notification": {"title": "t", "body": "fcm own"},
                                                                  "data": {"k": "v"}}}})}
    sns.publish(TopicArn=topic, Message=json.dumps(structure), MessageStructure="json", MessageAttributes={
        "AWS.SNS.MOBILE.APNS.PRIORITY": {"DataType": "String", "StringValue": "5"},
        "AWS.SNS.MOBILE.APNS.COLLAPSE_ID": {"DataType": "String", "StringValue": "group-1"},
        "AWS.SNS.MOBILE.APNS.TTL": {"DataType": "String", "StringValue": "60"},
        "AWS.SNS.MOBILE.FCM.TTL": {"DataType": "String", "StringValue": "120"}})
    a = wait_for(lambda: env.apns.to(ios))
    f = wait_for(lambda: env.fcm.to(android))
    assert a and f
    assert a[0]["payload"] == {"aps": {"alert": {"title": "t", "body": "apns own"}, "badge": 3}}
    h = a[0]["headers"]
    assert (h["apns-priority"], h["apns-collapse-id"]) == ("5", "group-1")
    assert abs(int(h["apns-expiration"]) - (time.time() + 60)) < 30
    assert f[0]["project"] == "warden-test"
    assert f[0]["body"] == {"message": {"notification": {"title": "t", "body": "fcm own"}, "data": {"k": "v"},
                                        "token": android, "android": {"ttl": "120s"}}}
    assert env.fcm.assertions and all(x["ok"] for x in env.fcm.assertions)
    # Plain text: APNs gets {"aps":{"alert":…}}, FCM a data message with "default" (SNS's wrapping); a background push.
    sns.publish(TopicArn=topic, Message="plain text")
    assert wait_for(lambda: len(env.apns.to(ios)) == 2 and len(env.fcm.to(android)) == 2)
    assert env.apns.to(ios)[1]["payload"] == {"aps": {"alert": "plain text"}}
    assert env.fcm.to(android)[1]["body"] == {"message": {"token": android, "data": {"default": "plain text"}}}
    # The access token was reused: one grant for both sends.
    assert len(env.fcm.assertions) == 1
    sns.publish(TargetArn=e1, Message=json.dumps({"default": "x", "APNS": json.dumps({"aps": {"content-available": 1}})}),
                MessageStructure="json")
    bg = wait_for(lambda: len(env.apns.to(ios)) == 3 and env.apns.to(ios)[2])
    assert (bg["headers"]["apns-push-type"], bg["headers"]["apns-priority"]) == ("background", "5")


# 3. A dead token disables the endpoint and raises the application's events.

def test_unregistered_token_disables_the_endpoint_and_notifies_the_event_topic(env):
    sns, sqs = env.sns, env.w.client("sqs")
    events = sns.create_topic(Name="push-events")["TopicArn"]
    url = sqs.create_queue(QueueName="push-events")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    allow_service(sqs, url, "sns.amazonaws.com", events)
    sns.subscribe(TopicArn=events, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    app = env.apns_app("gone", EventEndpointUpdated=events, EventDeliveryFailure=events)
    token = device()
    env.apns.unregistered.add(token)
    endpoint = sns.create_platform_endpoint(PlatformApplicationArn=app, Token=token)["EndpointArn"]
    sns.publish(TargetArn=endpoint, Message="are you there")
    assert wait_for(lambda: sns.get_endpoint_attributes(EndpointArn=endpoint)["Attributes"]["Enabled"] == "false")
    bodies = []

    def received():
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            bodies.append(json.loads(m["Body"]))
        return {b["EventType"] for b in bodies} >= {"EndpointUpdated", "DeliveryFailure"}
    assert wait_for(received, timeout=30), bodies
    updated = next(b for b in bodies if b["EventType"] == "EndpointUpdated")
    assert updated == {"EndpointArn": endpoint, "EventType": "EndpointUpdated", "Resource": app, "Service": "SNS",
                       "Time": updated["Time"]}
    failure = next(b for b in bodies if b["EventType"] == "DeliveryFailure")
    # Shape and the InvalidPlatformToken texts as recorded from SNS (pastebin jwmdfVQE 2018; AWS re:Post 2022).
    assert_document(failure, {"DeliveryAttempts": 1, "EndpointArn": endpoint, "EventType": "DeliveryFailure",
                              "FailureMessage": "Platform token associated with the endpoint is not valid",
                              "FailureType": "InvalidPlatformToken", "MessageId": "$uuid", "Resource": app, "Service": "SNS",
                              "Time": "re:\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"}, "recorded DeliveryFailure events")
    # A disabled endpoint refuses direct publishes (moto-verified).
    with pytest.raises(ClientError) as e:
        sns.publish(TargetArn=endpoint, Message="again")
    assert (e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]) == ("EndpointDisabled", "Endpoint is disabled")
    # Creating it again does not enable it (the same token, no attributes: the existing endpoint).
    assert sns.create_platform_endpoint(PlatformApplicationArn=app, Token=token)["EndpointArn"] == endpoint


# 4. Delivery status logs in CloudWatch Logs.

def test_delivery_status_logs(env):
    sns, logs = env.sns, env.w.client("logs")
    role = f"arn:aws:iam::{env.account}:role/SNSLogs"
    app = env.apns_app("logged", SuccessFeedbackRoleArn=role, FailureFeedbackRoleArn=role, SuccessFeedbackSampleRate="100")
    good, bad = device(), device()
    env.apns.unregistered.add(bad)
    e_good = sns.create_platform_endpoint(PlatformApplicationArn=app, Token=good)["EndpointArn"]
    e_bad = sns.create_platform_endpoint(PlatformApplicationArn=app, Token=bad)["EndpointArn"]
    m1 = sns.publish(TargetArn=e_good, Message="logged ok")["MessageId"]
    m2 = sns.publish(TargetArn=e_bad, Message="logged failure")["MessageId"]
    group = f"sns/us-east-1/{env.account}/app/APNS/logged"

    def lines(g):
        try:
            return [json.loads(e["message"]) for e in logs.filter_log_events(logGroupName=g)["events"]]
        except ClientError:
            return []
    ok = wait_for(lambda: lines(group))
    fail = wait_for(lambda: lines(group + "/Failure"))
    assert ok and fail
    stamp = "re:\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{1,3}"
    assert_document(ok[0], {"status": "SUCCESS", "notification": {"timestamp": stamp, "messageId": m1},
                            "delivery": {"statusCode": 200, "dwellTimeMs": "$number", "token": good, "attempts": 1,
                                         "providerResponse": "", "destination": e_good}}, DG)
    assert list(ok[0]) == ["status", "notification", "delivery"]
    assert_document(fail[0], {"status": "FAILURE", "notification": {"timestamp": stamp, "messageId": m2},
                              "delivery": {"statusCode": 410, "dwellTimeMs": "$number", "token": bad, "attempts": 1,
                                           "providerResponse": "$string", "destination": e_bad}}, DG)
    assert json.loads(fail[0]["delivery"]["providerResponse"])["reason"] == "Unregistered"


# 5. Certificate-based APNs: the application's certificate is the TLS client identity; the topic is its UID.

def test_certificate_authentication(make_warden, tmp_path):
    ca, _ = make_ca(str(tmp_path))
    client_ca_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Apple WWDR")])
    now = __import__("datetime").datetime.now(__import__("datetime").timezone.utc)
    delta = __import__("datetime").timedelta
    client_ca = x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(client_ca_key.public_key()) \
        .serial_number(1).not_valid_before(now - delta(days=1)).not_valid_after(now + delta(days=30)) \
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(client_ca_key, hashes.SHA256())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.USER_ID, BUNDLE),
                         x509.NameAttribute(NameOID.COMMON_NAME, f"Apple Push Services: {BUNDLE}")])
    cert = x509.CertificateBuilder().subject_name(subject).issuer_name(name).public_key(key.public_key()) \
        .serial_number(2).not_valid_before(now - delta(days=1)).not_valid_after(now + delta(days=30)).sign(client_ca_key, hashes.SHA256())
    (tmp_path / "client-ca.pem").write_bytes(client_ca.public_bytes(serialization.Encoding.PEM))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(tmp_path / "server.pem"), str(tmp_path / "server.key"))
    context.set_alpn_protocols(["h2"])
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(str(tmp_path / "client-ca.pem"))
    apns = APNs(context, {})
    try:
        w = make_warden("sqlite", extra_args=["--outbound-trust-ca", ca, "--push-endpoint", f"apns_sandbox={apns.url}"])
        sns = w.client("sns")
        cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
        other = pem_private(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        with pytest.raises(ClientError) as e:
            sns.create_platform_application(Name="mismatch", Platform="APNS_SANDBOX",
                                            Attributes={"PlatformPrincipal": cert_pem, "PlatformCredential": other})
        assert e.value.response["Error"]["Message"] == "Invalid parameter: Attributes Reason: Platform credentials are invalid"
        app = sns.create_platform_application(Name="certs", Platform="APNS_SANDBOX",
                                              Attributes={"PlatformPrincipal": cert_pem, "PlatformCredential": pem_private(key)})["PlatformApplicationArn"]
        attrs = sns.get_platform_application_attributes(PlatformApplicationArn=app)["Attributes"]
        assert attrs["AuthenticationMethod"] == "Certificate"
        assert attrs["AppleCertificateExpiryDate"] == cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
        token = device()
        endpoint = sns.create_platform_endpoint(PlatformApplicationArn=app, Token=token)["EndpointArn"]
        sns.publish(TargetArn=endpoint, Message="by certificate")
        got = wait_for(lambda: apns.to(token))
        assert got and got[0]["peer"], "Warden presented the application's certificate"
        assert "authorization" not in got[0]["headers"] and got[0]["headers"]["apns-topic"] == BUNDLE
        assert got[0]["payload"] == {"aps": {"alert": "by certificate"}}
        # New credentials: the next delivery presents the new certificate, not the one the cached client was made with.
        key2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert2 = x509.CertificateBuilder().subject_name(subject).issuer_name(name).public_key(key2.public_key()) \
            .serial_number(3).not_valid_before(now - delta(days=1)).not_valid_after(now + delta(days=30)).sign(client_ca_key, hashes.SHA256())
        sns.set_platform_application_attributes(PlatformApplicationArn=app, Attributes={
            "PlatformPrincipal": cert2.public_bytes(serialization.Encoding.PEM).decode(), "PlatformCredential": pem_private(key2)})
        sns.publish(TargetArn=endpoint, Message="by the new certificate")
        got = wait_for(lambda: len(apns.to(token)) == 2 and apns.to(token))
        assert got, "the second notification reached APNs"
        assert [int(g["peer"]["serialNumber"], 16) for g in got] == [2, 3]
        sns.delete_platform_application(PlatformApplicationArn=app)
    finally:
        apns.close()


# 6. Errors, with AWS's texts.

def error(fn, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    r = e.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"]


def test_error_answers(env):
    sns, acct = env.sns, env.account
    app = env.fcm_app("errors")
    cert_like = "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n"
    cases = [
        # Recorded from SNS: soto-project/soto #107 (a PlatformPrincipal that is no certificate).
        (sns.create_platform_application, dict(Name="bad-cert", Platform="APNS", Attributes={
            "PlatformPrincipal": cert_like, "PlatformCredential": env.p8}),
         (400, "InvalidParameter", "Invalid parameter: PlatformPrincipal not valid.")),
        # Recorded: terraform-provider-aws #20309 (FCM credentials SNS cannot use).
        (sns.create_platform_application, dict(Name="bad-fcm", Platform="GCM", Attributes={"PlatformCredential": '{"type": "service_account"}'}),
         (400, "InvalidParameter", "Invalid parameter: Attributes Reason: Platform credentials are invalid")),
        (sns.create_platform_application, dict(Name="p", Platform="FOO", Attributes={"PlatformCredential": "x"}),
         (400, "InvalidParameter", "Invalid parameter: Platform Reason: FOO is not supported")),
        (sns.create_platform_application, dict(Name="bad name!", Platform="GCM", Attributes={"PlatformCredential": "x"}),
         (400, "InvalidParameter", "Invalid parameter: bad name! Reason: must contain only characters 'a'-'z', 'A'-'Z', '0'-'9', '_', '-', and '.'")),
        (sns.create_platform_application, dict(Name="p", Platform="APNS", Attributes={"PlatformCredential": env.p8}),
         (400, "InvalidParameter", "Invalid parameter: Attributes Reason: PlatformCredential attribute provided without PlatformPrincipal")),
        # moto-verified: a missing application.
        (sns.create_platform_endpoint, dict(PlatformApplicationArn=app + "2", Token="unknown_arn"),
         (404, "NotFound", "PlatformApplication does not exist")),
        (sns.list_endpoints_by_platform_application, dict(PlatformApplicationArn=app + "2"),
         (404, "NotFound", "PlatformApplication does not exist")),
        (sns.get_endpoint_attributes, dict(EndpointArn=f"arn:aws:sns:us-east-1:{acct}:endpoint/APNS/my-application/c1f76c42-192a-4e75-b04f-a9268ce2abf3"),
         (404, "NotFound", "Endpoint does not exist")),
        # Recorded: an APNs token that is not hexadecimal.
        (sns.create_platform_endpoint, dict(PlatformApplicationArn=env.apns_app("tokens"), Token="not-hex"),
         (400, "InvalidParameter", "Invalid parameter: Token Reason: iOS device tokens must be 64 hexadecimal characters")),
        (sns.create_platform_endpoint, dict(PlatformApplicationArn=app, Token="t", Attributes={"Color": "red"}),
         (400, "InvalidParameter", "Invalid parameter: Attributes Reason: Invalid attribute name: Color")),
    ]
    for fn, kw, want in cases:
        assert error(fn, **kw) == want, kw
    # moto-verified: the same token with other attributes.
    e1 = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="token_without_userdata", Attributes={"Enabled": "false"})["EndpointArn"]
    assert sns.create_platform_endpoint(PlatformApplicationArn=app, Token="token_without_userdata",
                                        Attributes={"Enabled": "false"})["EndpointArn"] == e1
    assert error(sns.create_platform_endpoint, PlatformApplicationArn=app, Token="token_without_userdata", CustomUserData="some user data",
                 Attributes={"Enabled": "false"}) == \
        (400, "InvalidParameter", f"Invalid parameter: Token Reason: Endpoint {e1} already exists with the same Token, but different attributes.")
    e2 = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="token")["EndpointArn"]
    assert sns.create_platform_endpoint(PlatformApplicationArn=app, Token="token", Attributes={"Enabled": "true"})["EndpointArn"] == e2
    # A JSON structure for an endpoint needs its platform's key or default (issues: aws-sdk-net #180).
    assert error(sns.publish, TargetArn=e2, Message=json.dumps({"APNS": "x"}), MessageStructure="json") == \
        (400, "InvalidParameter", "Invalid parameter: JSON must contain an entry for 'default' or 'GCM'.")
    # Subscribing a deleted endpoint (moto's recorded text, no space after "arn").
    sns.delete_endpoint(EndpointArn=e2)
    sns.delete_endpoint(EndpointArn=e2)  # idempotent (moto-verified)
    topic = sns.create_topic(Name="errors")["TopicArn"]
    assert error(sns.subscribe, TopicArn=topic, Protocol="application", Endpoint=e2) == \
        (400, "InvalidParameter", f"Invalid parameter: Endpoint Reason: Endpoint does not exist for endpoint arn{e2}")
    # Deleting the application deletes its endpoints (moto).
    sns.delete_platform_application(PlatformApplicationArn=app)
    assert error(sns.get_endpoint_attributes, EndpointArn=e1) == (404, "NotFound", "Endpoint does not exist")


def other_account(w, account="111122223333"):
    """(sns, sqs) clients of another account of the same server."""
    made = w.cli("credentials", "create", "--account-id", account)
    assert made.returncode == 0, made.stderr
    fields = dict(line.split(" = ") for line in made.stdout.splitlines() if " = " in line)
    key, secret = fields["aws_access_key_id"], fields["aws_secret_access_key"]
    return w.client("sns", key=key, secret=secret), w.client("sqs", key=key, secret=secret)


def test_event_topics_of_another_account_take_events_only_with_their_consent(env):
    w, sns = env.w, env.sns
    their_sns, their_sqs = other_account(w)
    topic = their_sns.create_topic(Name="their-events")["TopicArn"]
    url = their_sqs.create_queue(QueueName="their-events")["QueueUrl"]
    qarn = their_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    allow_service(their_sqs, url, "sns.amazonaws.com", topic)
    their_sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    app = env.fcm_app("crossed", EventEndpointCreated=topic)
    # The topic's default policy names only its owner: the event is dropped, with a notice in the server's log.
    refused = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="first")["EndpointArn"]
    assert wait_for(lambda: "SNS dropped an application event" in w.read_log())
    # The owner lets SNS publish for the application's account: the next event arrives.
    policy = json.loads(their_sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    policy["Statement"].append({"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sns:Publish", "Resource": topic,
                                "Condition": {"StringEquals": {"aws:SourceAccount": env.account}}})
    their_sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(policy))
    accepted = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="second")["EndpointArn"]
    bodies = []

    def received():
        for m in their_sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            bodies.append(json.loads(m["Body"]))
        return any(b["EndpointArn"] == accepted for b in bodies)
    assert wait_for(received, timeout=30), bodies
    # Events are published while the request runs, so the refused one would have been queued before this one.
    assert [(b["EventType"], b["EndpointArn"]) for b in bodies] == [("EndpointCreated", accepted)], refused


def test_one_endpoint_per_token_when_tokens_change(env):
    sns = env.sns
    app = env.fcm_app("unique-tokens")
    e1 = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="t-one")["EndpointArn"]
    e2 = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="t-two")["EndpointArn"]
    # AWS's answer is not documented; Warden refuses with the text SNS uses for CreatePlatformEndpoint's collision.
    assert error(sns.set_endpoint_attributes, EndpointArn=e2, Attributes={"Token": "t-one"}) == \
        (400, "InvalidParameter", f"Invalid parameter: Token Reason: Endpoint {e1} already exists with the same Token, but different attributes.")
    assert sns.get_endpoint_attributes(EndpointArn=e2)["Attributes"]["Token"] == "t-two"
    sns.set_endpoint_attributes(EndpointArn=e1, Attributes={"Token": "t-one", "Enabled": "false"})  # its own token: fine
    sns.set_endpoint_attributes(EndpointArn=e2, Attributes={"Token": "t-three"})
    assert sns.create_platform_endpoint(PlatformApplicationArn=app, Token="t-three")["EndpointArn"] == e2
    # Several endpoints given one token at once (a client each, in parallel): exactly one gets it.
    contenders = [sns.create_platform_endpoint(PlatformApplicationArn=app, Token=f"c{i}")["EndpointArn"] for i in range(6)]
    outcomes, errors = [], []

    def claim(endpoint):
        client = env.w.client("sns")
        try:
            client.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Token": "contested"})
            outcomes.append(endpoint)
        except ClientError as e:
            errors.append(e.response["Error"]["Code"])
    threads = [threading.Thread(target=claim, args=(e,)) for e in contenders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 1 and errors == ["InvalidParameter"] * 5, (outcomes, errors)
    tokens = [e["Attributes"]["Token"] for e in sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)["Endpoints"]]
    assert len(tokens) == len(set(tokens)) and tokens.count("contested") == 1


def test_an_application_deleted_while_endpoints_are_created_keeps_none(env):
    sns = env.sns
    for round in range(3):
        app = env.fcm_app("racing")
        stop, failures, gone = threading.Event(), [], []

        def create(n):
            # Creates until this thread finds the application gone: the last ones race the deletion.
            client = env.w.client("sns")
            i = 0
            while not stop.is_set():
                try:
                    client.create_platform_endpoint(PlatformApplicationArn=app, Token=f"r{round}-{n}-{i}")
                except ClientError as e:
                    if e.response["Error"]["Code"] == "NotFound":
                        gone.append(n)
                        return
                    failures.append(e.response["Error"])
                i += 1
        threads = [threading.Thread(target=create, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        try:
            assert wait_for(lambda: len(sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)["Endpoints"]) >= 8)
            sns.delete_platform_application(PlatformApplicationArn=app)
            assert wait_for(lambda: len(gone) == 4, timeout=60), "every creator saw the application gone"
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert failures == []
        # The application made again under the same name has no endpoint of the deleted one.
        assert env.fcm_app("racing") == app
        assert sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)["Endpoints"] == []
        sns.delete_platform_application(PlatformApplicationArn=app)


# 7. Golden documents.

def call(fn, expected, source, **kw):
    r = fn(**kw)
    r.pop("ResponseMetadata")
    assert_document(r, expected, source)
    return r


def test_golden_documents(env):
    sns, acct = env.sns, env.account
    app_re = f"re:arn:aws:sns:us-east-1:{acct}:app/GCM/golden"
    app = call(sns.create_platform_application, {"PlatformApplicationArn": app_re}, API + " CreatePlatformApplication",
               Name="golden", Platform="GCM", Attributes={"PlatformCredential": env.sa_json})["PlatformApplicationArn"]
    call(sns.get_platform_application_attributes, {"Attributes": {"Enabled": "true", "AuthenticationMethod": "Token"}},
         API + " GetPlatformApplicationAttributes (no PlatformCredential)", PlatformApplicationArn=app)
    ep = call(sns.create_platform_endpoint, {"EndpointArn": f"re:arn:aws:sns:us-east-1:{acct}:endpoint/GCM/golden/{UUID_RE}"},
              API + " CreatePlatformEndpoint", PlatformApplicationArn=app, Token="some_unique_id",
              Attributes={"CustomUserData": "some data"})["EndpointArn"]
    attrs = {"Enabled": "true", "Token": "some_unique_id", "CustomUserData": "some data"}
    call(sns.get_endpoint_attributes, {"Attributes": attrs}, MOTO + " test_get_list_endpoints_by_platform_application", EndpointArn=ep)
    call(sns.list_endpoints_by_platform_application, {"Endpoints": [{"EndpointArn": ep, "Attributes": attrs}]},
         API + " ListEndpointsByPlatformApplication", PlatformApplicationArn=app)
    call(sns.set_endpoint_attributes, {}, API + " SetEndpointAttributes (no response elements)", EndpointArn=ep,
         Attributes={"CustomUserData": "other data", "Enabled": "false"})
    call(sns.get_endpoint_attributes, {"Attributes": {"Enabled": "false", "Token": "some_unique_id", "CustomUserData": "other data"}},
         MOTO + " test_set_endpoint_attributes", EndpointArn=ep)
    listed = sns.list_platform_applications()
    listed.pop("ResponseMetadata")
    assert_document(listed, {"PlatformApplications": [{"PlatformApplicationArn": app, "Attributes": {
        "Enabled": "true", "AuthenticationMethod": "Token"}}]}, API + " ListPlatformApplications")
    call(sns.delete_endpoint, {}, API + " DeleteEndpoint", EndpointArn=ep)
    call(sns.delete_platform_application, {}, API + " DeletePlatformApplication", PlatformApplicationArn=app)
    assert sns.list_platform_applications()["PlatformApplications"] == []


def test_endpoint_listing_pages(env):
    sns = env.sns
    app = env.fcm_app("paged")
    made = {sns.create_platform_endpoint(PlatformApplicationArn=app, Token=f"t{i}")["EndpointArn"] for i in range(105)}
    page = sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)
    assert len(page["Endpoints"]) == 100 and "NextToken" in page
    rest = sns.list_endpoints_by_platform_application(PlatformApplicationArn=app, NextToken=page["NextToken"])
    assert len(rest["Endpoints"]) == 5 and "NextToken" not in rest
    assert {e["EndpointArn"] for e in page["Endpoints"] + rest["Endpoints"]} == made


def test_a_bad_push_endpoint_stops_start_up(make_warden):
    w = make_warden("sqlite", extra_args=["--push-endpoint", "apns=https://127.0.0.1:1,bogus=https://x"], start=False)
    w.start(wait=False)
    assert w.proc.wait(timeout=60) != 0
    assert "--push-endpoint" in w.read_log() and "bogus" in w.read_log()
