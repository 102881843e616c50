"""AssumeRoleWithWebIdentity against an IAM OpenID Connect provider: a real HTTPS issuer (discovery document and JWKS)
signs tokens; Warden checks the signature against the issuer's keys, the audience against the provider's client ids,
the expiry, and the role's trust policy with the `HOST:aud` / `HOST:sub` condition keys. Texts are STS's as quoted
in public threads (see the server code's comments)."""
import base64
import json
import os
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ACCOUNT = "000000000000"
HOST = "127.0.0.2"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_bytes(n):
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


class Issuer:
    """An OIDC issuer on https://127.0.0.2 (port 443, so its condition keys are `127.0.0.2:aud`)."""

    def __init__(self, d):
        def run(*args):
            subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
            "-subj", "/CN=Warden OIDC Test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", f"/CN={HOST}")
        with open(os.path.join(d, "ext.cnf"), "w") as f:
            f.write(f"subjectAltName=IP:{HOST}\n")
        run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
            "-days", "1", "-extfile", "ext.cnf")
        self.ca = os.path.join(d, "ca.pem")
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pub = self.key.public_key().public_numbers()
        jwks = {"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig", "n": b64url(int_bytes(pub.n)), "e": b64url(int_bytes(pub.e))}]}
        issuer = f"https://{HOST}"
        discovery = {"issuer": issuer, "jwks_uri": f"{issuer}/keys", "id_token_signing_alg_values_supported": ["RS256"]}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                doc = {"/.well-known/openid-configuration": discovery, "/keys": jwks}.get(self.path)
                body = json.dumps(doc).encode() if doc else b""
                self.send_response(200 if doc else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(d, "server.pem"), os.path.join(d, "server.key"))
        self.server = ThreadingHTTPServer((HOST, 443), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = issuer

    def token(self, sub="system:serviceaccount:apps:web", aud="sts.amazonaws.com", exp_in=600, key=None):
        now = int(time.time())
        header = {"alg": "RS256", "kid": "k1", "typ": "JWT"}
        claims = {"iss": self.url, "sub": sub, "aud": aud, "iat": now, "exp": now + exp_in}
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}".encode()
        sig = (key or self.key).sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return signing_input.decode() + "." + b64url(sig)

    def close(self):
        self.server.shutdown()


@pytest.fixture(scope="module")
def issuer(tmp_path_factory):
    try:
        i = Issuer(str(tmp_path_factory.mktemp("oidc")))
    except (PermissionError, OSError) as e:
        pytest.skip(f"cannot listen on {HOST}:443: {e}")
    yield i
    i.close()


@pytest.fixture(params=["sqlite", "postgres"])
def server(request, make_warden, issuer):
    return make_warden(request.param, extra_args=["--outbound-trust-ca", issuer.ca])


def test_web_identity_token_becomes_a_role_session(server, issuer):
    iam = server.client("iam")
    provider = iam.create_open_id_connect_provider(Url=issuer.url, ClientIDList=["sts.amazonaws.com"],
                                                   ThumbprintList=["a" * 40])["OpenIDConnectProviderArn"]
    assert provider == f"arn:aws:iam::{ACCOUNT}:oidc-provider/{HOST}"
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{HOST}:aud": "sts.amazonaws.com", f"{HOST}:sub": "system:serviceaccount:apps:web"}}}]}
    role = iam.create_role(RoleName="web", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    # boto3 sends AssumeRoleWithWebIdentity unsigned, as the SDKs do: the token is the credential.
    sts = boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                       config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
    out = sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="pod", WebIdentityToken=issuer.token())
    assert out["SubjectFromWebIdentityToken"] == "system:serviceaccount:apps:web"
    assert out["Audience"] == "sts.amazonaws.com" and out["Provider"] == provider
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/web/pod"
    c = out["Credentials"]
    me = server.client("sts", key=c["AccessKeyId"], secret=c["SecretAccessKey"], aws_session_token=c["SessionToken"]).get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/web/pod"

    def refused(code, **kw):
        with pytest.raises(ClientError) as e:
            sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="pod", **kw)
        assert e.value.response["Error"]["Code"] == code, e.value.response
        return e.value.response["Error"]["Message"]

    # Another subject: the trust policy's condition does not match.
    assert refused("AccessDenied", WebIdentityToken=issuer.token(sub="system:serviceaccount:apps:other")) == \
        "Not authorized to perform sts:AssumeRoleWithWebIdentity"
    assert refused("InvalidIdentityToken", WebIdentityToken=issuer.token(aud="someone-else")) == "Incorrect token audience"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert refused("InvalidIdentityToken", WebIdentityToken=issuer.token(key=other)).startswith(
        "Couldn't retrieve verification key from your identity provider,  please reference")
    assert refused("ExpiredTokenException", WebIdentityToken=issuer.token(exp_in=-60)).startswith("Token expired: current date/time ")
    # A token of an issuer the account has not registered.
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider)
    assert refused("InvalidIdentityToken", WebIdentityToken=issuer.token()) == \
        f"No OpenIDConnect provider found in your account for {issuer.url}"
