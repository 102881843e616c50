"""STS GetCallerIdentity end to end: awscli and boto3 against strict and dev servers, on SQLite and PostgreSQL."""
import json
import os
import subprocess
import xml.etree.ElementTree as ET

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import BACKENDS, Warden


def test_awscli_strict_with_generated_credentials(strict):
    r = strict.aws("sts", "get-caller-identity")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out == {"UserId": "000000000000", "Account": "000000000000", "Arn": "arn:aws:iam::000000000000:root"}


def test_credentials_file_is_private_and_ini(strict):
    import os
    import stat
    mode = stat.S_IMODE(os.stat(strict.credentials_file).st_mode)
    assert mode == 0o600
    text = open(strict.credentials_file).read()
    assert text.startswith("[default]\naws_access_key_id = AKIA")
    key_mode = stat.S_IMODE(os.stat(os.path.join(strict.data_dir, "root.key")).st_mode)
    assert key_mode == 0o600


def test_boto3_strict(strict):
    sts = strict.client("sts")
    out = sts.get_caller_identity()
    assert out["Account"] == "000000000000"
    assert out["Arn"] == "arn:aws:iam::000000000000:root"
    assert out["UserId"] == "000000000000"
    assert len(out["ResponseMetadata"]["RequestId"]) == 36


@pytest.mark.parametrize("region,partition", [("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")])
def test_partition_follows_signing_region(make_warden, region, partition):
    w = make_warden("sqlite")
    out = w.client("sts", region=region).get_caller_identity()
    assert out["Arn"] == f"arn:{partition}:iam::000000000000:root"
    rec = w.audit_records()[-1]
    assert rec["awsRegion"] == region


def test_dev_mode_accepts_any_key_and_reports_it(make_warden):
    w = make_warden("sqlite", dev=True, extra_args=["--account-id", "123456789012"])
    out = w.client("sts", key="AKIAANYTHINGATALL123", secret="whatever").get_caller_identity()
    assert out["Account"] == "123456789012"
    assert out["Arn"] == "arn:aws:iam::123456789012:root"
    rec = w.audit_records()[-1]
    assert rec["userIdentity"]["accessKeyId"] == "AKIAANYTHINGATALL123"
    assert not w.credentials_file or not __import__("os").path.exists(w.credentials_file)


def test_second_access_key_from_cli(strict):
    r = strict.cli("credentials", "create", "--account-id", "111122223333")
    assert r.returncode == 0, r.stderr
    lines = dict(l.split(" = ") for l in r.stdout.splitlines() if " = " in l)
    key, secret = lines["aws_access_key_id"], lines["aws_secret_access_key"]
    out = strict.client("sts", key=key, secret=secret).get_caller_identity()
    assert out["Account"] == "111122223333"
    listed = strict.cli("credentials", "list")
    assert key in listed.stdout and secret not in listed.stdout
    assert strict.cli("credentials", "delete", key).returncode == 0
    assert key not in strict.cli("credentials", "list").stdout
    assert strict.cli("credentials", "delete", key).returncode != 0


def test_query_over_get_and_xml_shape(strict):
    sts = strict.client("sts")
    url = sts.generate_presigned_url("get_caller_identity", HttpMethod="GET", ExpiresIn=300)
    r = requests.get(url, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/xml")
    root = ET.fromstring(r.text)
    ns = {"s": "https://sts.amazonaws.com/doc/2011-06-15/"}
    assert root.tag == "{https://sts.amazonaws.com/doc/2011-06-15/}GetCallerIdentityResponse"
    assert root.find("s:GetCallerIdentityResult/s:Account", ns).text == "000000000000"
    assert root.find("s:ResponseMetadata/s:RequestId", ns).text == r.headers["x-amzn-RequestId"]


def test_database_alone_reveals_no_secret(strict):
    key, secret = strict.credentials()
    strict.client("sts").get_caller_identity()
    strict.stop()
    if strict.storage == "sqlite":
        dump = b""
        for name in os.listdir(strict.data_dir):
            if name.startswith("warden.sqlite"):
                dump += open(os.path.join(strict.data_dir, name), "rb").read()
    else:
        dump = subprocess.run(["pg_dump", "--data-only", strict.storage], capture_output=True, check=True).stdout
    assert key.encode() in dump  # the id is not secret, and proves we looked in the right place
    assert secret.encode() not in dump
    # Printed once at first start (the banner on stdout), never in a log line.
    log = strict.read_log()
    assert log.count(secret) == 1
    assert not [l for l in log.splitlines() if "level=" in l and secret in l]


@pytest.mark.parametrize("backend", BACKENDS)
def test_root_key_file_from_env(make_warden, tmp_path, backend):
    keyfile = tmp_path / "elsewhere.key"
    w = make_warden(backend, env={"WARDEN_ROOT_KEY_FILE": str(keyfile)})
    assert keyfile.exists() and oct(keyfile.stat().st_mode & 0o777) == "0o600"
    assert not os.path.exists(os.path.join(w.data_dir, "root.key"))
    assert w.client("sts").get_caller_identity()["Account"] == "000000000000"
    # The same data under another root key cannot open the stored secret: the key is as good as unknown.
    w.stop()
    other = Warden(w.data_dir, storage=w.storage, env={"WARDEN_ROOT_KEY_FILE": str(tmp_path / "other.key")})
    other.start()
    try:
        with pytest.raises(ClientError) as e:
            other.client("sts", key=w.credentials()[0], secret=w.credentials()[1]).get_caller_identity()
        assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"
    finally:
        other.stop()
