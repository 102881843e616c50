"""Malformed input gets AWS's error shape and a 4xx: never a crash, a hang or a 500."""
import json
import os
import random

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def signed(w, body, headers, service="sts", method="POST", path="/"):
    key, secret = w.credentials()
    req = AWSRequest(method=method, url=w.endpoint + path, data=body, headers=headers)
    SigV4Auth(Credentials(key, secret), service, "us-east-1").add_auth(req)
    return requests.request(method, req.url, data=req.body, headers=dict(req.headers), timeout=30)


def test_invalid_json_to_json_target(strict):
    r = signed(strict, b"{not json", {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.Encrypt"}, "kms")
    assert r.status_code == 400
    body = r.json()
    # A served operation with a body that is not JSON: AWS answers SerializationException.
    assert body["__type"] == "SerializationException"
    assert r.headers["x-amzn-ErrorType"] == "SerializationException"
    assert r.headers["Content-Type"] == "application/x-amz-json-1.1"


def test_unknown_target(strict):
    r = signed(strict, b"{}", {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "NoSuchService_2020.DoThing"}, "kms")
    assert r.status_code == 400
    assert r.json()["__type"] == "UnknownOperationException"
    assert r.headers["Content-Type"] == "application/x-amz-json-1.0"


def test_unknown_action(strict):
    r = signed(strict, "Action=DoesNotExist&Version=2011-06-15", {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400
    assert "<Code>InvalidAction</Code>" in r.text
    assert 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"' in r.text


def test_missing_action(strict):
    r = signed(strict, "Version=2011-06-15", {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and "<Code>MissingAction</Code>" in r.text


def test_known_but_unserved_sts_action(strict):
    r = signed(strict, "Action=AssumeRoleWithSAML&Version=2011-06-15&RoleArn=arn:aws:iam::000000000000:role/x"
               "&PrincipalArn=arn:aws:iam::000000000000:saml-provider/p&SAMLAssertion=" + "x" * 8,
               {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and "<Code>InvalidAction</Code>" in r.text


def test_wrong_content_type(strict):
    r = signed(strict, "Action=GetCallerIdentity&Version=2011-06-15", {"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500
    assert "<ErrorResponse" in r.text


def test_invalid_utf8_and_bad_percent_encoding(strict):
    for body in [b"Action=GetCallerIdentity&Version=2011-06-15&X=%FF%FE", b"Action=Get%ZZ", b"Action=\xff\xfe"]:
        r = signed(strict, body, {"Content-Type": "application/x-www-form-urlencoded"})
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text)
        assert "<ErrorResponse" in r.text


def test_ten_mib_body(strict):
    body = b"Action=GetCallerIdentity&Version=2011-06-15&Pad=" + b"a" * (10 * 1024 * 1024)
    r = signed(strict, body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    assert "<Code>RequestEntityTooLarge</Code>" in r.text
    assert strict.client("sts").get_caller_identity()["Account"] == "000000000000"


def test_random_bytes_never_500(strict):
    rng = random.Random(1234)
    content_types = ["application/x-www-form-urlencoded", "application/x-amz-json-1.1", "application/x-amz-json-1.0",
                     "text/plain", "application/octet-stream"]
    targets = [None, "TrentService.Encrypt", "AmazonSSM.GetParameter", "x", "", ".", "TrentService."]
    for i in range(150):
        body = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 2048)))
        headers = {"Content-Type": rng.choice(content_types)}
        t = rng.choice(targets)
        if t is not None:
            headers["X-Amz-Target"] = t
        if i % 2:
            r = signed(strict, body, headers, service=rng.choice(["sts", "kms", "sns"]))
        else:
            r = requests.post(strict.endpoint + "/", data=body, headers=headers, timeout=30)
        assert 400 <= r.status_code < 500, (i, r.status_code, r.text[:300])
        assert r.headers.get("x-amzn-RequestId")
        if "json" in r.headers.get("Content-Type", ""):
            assert "__type" in r.json()
        else:
            assert "<ErrorResponse" in r.text
    assert strict.client("sts").get_caller_identity()["Account"] == "000000000000"
    assert strict.proc.poll() is None


def test_garbage_authorization_headers(strict):
    for auth in ["AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 garbage", "AWS AKID:sig", "AWS4-ECDSA-P256-SHA256 Credential=a/b/c/d/e",
                 "AWS4-HMAC-SHA256 Credential=AKIA/2024/x/sts/wrong, SignedHeaders=host, Signature=00",
                 "AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=", "\u00ff" * 10]:
        r = requests.post(strict.endpoint + "/", data="Action=GetCallerIdentity&Version=2011-06-15",
                          headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": auth.encode("latin-1"),
                                   "X-Amz-Date": "20240115T123000Z"}, timeout=10)
        assert 400 <= r.status_code < 500, (auth, r.status_code, r.text)
        assert "<ErrorResponse" in r.text
