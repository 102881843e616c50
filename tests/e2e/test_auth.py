"""SigV4 failures answer with AWS's exact codes, statuses and messages; presigned URLs work and expire."""
import datetime
import time
from unittest import mock

import botocore.auth
import pytest
import requests
from botocore.exceptions import ClientError

MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS Secret "
            "Access Key and signing method. Consult the service documentation for details.")


def error_of(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response


def test_wrong_secret(strict):
    key, _ = strict.credentials()
    resp = error_of(lambda: strict.client("sts", key=key, secret="x" * 40).get_caller_identity())
    assert resp["Error"]["Code"] == "SignatureDoesNotMatch"
    assert resp["Error"]["Message"] == MISMATCH
    assert resp["Error"]["Type"] == "Sender"
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_wrong_secret_awscli(strict):
    key, _ = strict.credentials()
    r = strict.aws("sts", "get-caller-identity", env={"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": "y" * 40})
    assert r.returncode != 0
    assert "An error occurred (SignatureDoesNotMatch) when calling the GetCallerIdentity operation" in r.stderr


def test_request_signed_16_minutes_ago(strict):
    past = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=16)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=past):
        resp = error_of(lambda: strict.client("sts").get_caller_identity())
    assert resp["Error"]["Code"] == "SignatureDoesNotMatch"
    assert resp["Error"]["Message"].startswith("Signature expired: " + past.strftime("%Y%m%dT%H%M%SZ") + " is now earlier than ")
    assert resp["Error"]["Message"].endswith(" - 15 min.)")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_request_signed_14_minutes_ago_is_fine(strict):
    past = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=14)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=past):
        assert strict.client("sts").get_caller_identity()["Account"] == "000000000000"


def test_unknown_access_key(strict):
    resp = error_of(lambda: strict.client("sts", key="AKIAUNKNOWNUNKNOWN00", secret="x" * 40).get_caller_identity())
    assert resp["Error"]["Code"] == "InvalidClientTokenId"
    assert resp["Error"]["Message"] == "The security token included in the request is invalid."
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unknown_access_key_awscli(strict):
    r = strict.aws("sts", "get-caller-identity", env={"AWS_ACCESS_KEY_ID": "AKIAUNKNOWNUNKNOWN00", "AWS_SECRET_ACCESS_KEY": "z" * 40})
    assert r.returncode != 0
    assert "(InvalidClientTokenId)" in r.stderr


def test_session_token_on_permanent_key_is_invalid(strict):
    key, secret = strict.credentials()
    resp = error_of(lambda: strict.client("sts", key=key, secret=secret, aws_session_token="FAKE").get_caller_identity())
    assert resp["Error"]["Code"] == "InvalidClientTokenId"


def test_missing_authorization(strict):
    r = requests.post(strict.endpoint + "/", data="Action=GetCallerIdentity&Version=2011-06-15",
                      headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, timeout=10)
    assert r.status_code == 403
    assert "<Code>MissingAuthenticationToken</Code>" in r.text
    assert "<Type>Sender</Type>" in r.text
    r = strict.aws("sts", "get-caller-identity", "--no-sign-request")
    assert "(MissingAuthenticationToken)" in r.stderr


def test_incomplete_authorization_header(strict):
    key, _ = strict.credentials()
    r = requests.post(strict.endpoint + "/", data="Action=GetCallerIdentity&Version=2011-06-15", timeout=10, headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Amz-Date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
        "Authorization": f"AWS4-HMAC-SHA256 Credential={key}/{time.strftime('%Y%m%d', time.gmtime())}/us-east-1/sts/aws4_request"})
    assert r.status_code == 400
    assert "<Code>IncompleteSignature</Code>" in r.text
    assert "Authorization header requires &apos;Signature&apos; parameter." in r.text or \
        "Authorization header requires 'Signature' parameter." in r.text


def test_presigned_url_works_then_expires(strict):
    url = strict.client("sts").generate_presigned_url("get_caller_identity", HttpMethod="GET", ExpiresIn=2)
    ok = requests.get(url, timeout=10)
    assert ok.status_code == 200 and "<Account>000000000000</Account>" in ok.text
    time.sleep(3.2)
    expired = requests.get(url, timeout=10)
    assert expired.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in expired.text
    assert "Request has expired." in expired.text


def test_presigned_url_tampered(strict):
    url = strict.client("sts").generate_presigned_url("get_caller_identity", HttpMethod="GET", ExpiresIn=300)
    sig = url.split("X-Amz-Signature=")[1][:64]
    flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
    r = requests.get(url.replace(sig, flipped), timeout=10)
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text
    # An added parameter is not covered by the signature either.
    r = requests.get(url + "&Extra=1", timeout=10)
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text


def test_scope_for_wrong_service(strict):
    # Signed for SNS's scope but routed as STS by the Action: the scope decides, and SNS is not served here.
    key, secret = strict.credentials()
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method="POST", url=strict.endpoint + "/", data="Action=GetCallerIdentity&Version=2011-06-15",
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(key, secret), "sns", "us-east-1").add_auth(req)
    r = requests.post(req.url, data=req.body, headers=dict(req.headers), timeout=10)
    assert r.status_code == 400 and "<Code>InvalidAction</Code>" in r.text


def test_presigned_url_keeps_the_signed_method(strict):
    # botocore signs STS presigned URLs for POST unless told otherwise; AWS then accepts only POST, and so do we.
    url = strict.client("sts").generate_presigned_url("get_caller_identity", ExpiresIn=300)
    assert requests.post(url, timeout=10).status_code == 200
    r = requests.get(url, timeout=10)
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text
