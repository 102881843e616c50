"""The S3-compatible bucket store trails deliver into, driven by boto3 and awscli (`aws s3`, `aws s3api`)."""
import base64
import hashlib
import json
import os
import sqlite3
import subprocess

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import code


def s3(w, region="us-east-1"):
    return w.client("s3", region=region)


def test_bucket_lifecycle_and_errors(strict):
    c = s3(strict)
    c.create_bucket(Bucket="alpha-bucket")
    assert c.get_bucket_location(Bucket="alpha-bucket")["LocationConstraint"] is None
    # us-east-1 answers a repeated create by the owner with success, as S3 does there.
    c.create_bucket(Bucket="alpha-bucket")
    eu = s3(strict, "eu-west-1")
    eu.create_bucket(Bucket="beta.bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert eu.get_bucket_location(Bucket="beta.bucket")["LocationConstraint"] == "eu-west-1"
    with pytest.raises(ClientError) as e:
        eu.create_bucket(Bucket="beta.bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert code(e) == "BucketAlreadyOwnedByYou"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with pytest.raises(ClientError) as e:
        eu.create_bucket(Bucket="gamma-bucket")
    assert code(e) == "IllegalLocationConstraintException"
    with pytest.raises(ClientError) as e:
        c.create_bucket(Bucket="delta-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert code(e) == "IllegalLocationConstraintException"
    for bad in ["ab", "Upper-Case", "under_score", "-leading", "trailing-", "two..dots", "192.168.1.1", "x" * 64]:
        with pytest.raises(ClientError) as e:
            s3(strict).create_bucket(Bucket=bad)
        assert code(e) == "InvalidBucketName", bad
    names = [b["Name"] for b in c.list_buckets()["Buckets"]]
    assert names == ["alpha-bucket", "beta.bucket"]
    c.head_bucket(Bucket="alpha-bucket")
    with pytest.raises(ClientError) as e:
        c.head_bucket(Bucket="missing-bucket")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    c.put_object(Bucket="alpha-bucket", Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        c.delete_bucket(Bucket="alpha-bucket")
    assert code(e) == "BucketNotEmpty"
    c.delete_object(Bucket="alpha-bucket", Key="k")
    c.delete_bucket(Bucket="alpha-bucket")
    with pytest.raises(ClientError) as e:
        c.delete_bucket(Bucket="alpha-bucket")
    assert code(e) == "NoSuchBucket"
    with pytest.raises(ClientError) as e:
        c.put_object(Bucket="alpha-bucket", Key="k", Body=b"x")
    assert code(e) == "NoSuchBucket"


def test_objects_metadata_ranges_and_digests(strict):
    c = s3(strict)
    c.create_bucket(Bucket="objects")
    body = bytes(range(256)) * 40
    put = c.put_object(Bucket="objects", Key="dir/file.bin", Body=body, ContentType="application/x-test",
                       Metadata={"signature": "abc123", "Signature-Algorithm": "SHA256withRSA"}, CacheControl="no-cache")
    assert put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest()
    got = c.get_object(Bucket="objects", Key="dir/file.bin")
    assert got["Body"].read() == body
    assert got["ContentType"] == "application/x-test"
    assert got["ContentLength"] == len(body)
    assert got["ETag"] == put["ETag"]
    assert got["CacheControl"] == "no-cache"
    assert got["Metadata"] == {"signature": "abc123", "signature-algorithm": "SHA256withRSA"}
    head = c.head_object(Bucket="objects", Key="dir/file.bin")
    assert head["ContentLength"] == len(body) and head["Metadata"]["signature"] == "abc123"
    part = c.get_object(Bucket="objects", Key="dir/file.bin", Range="bytes=10-19")
    assert part["Body"].read() == body[10:20]
    assert part["ContentRange"] == f"bytes 10-19/{len(body)}"
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert c.get_object(Bucket="objects", Key="dir/file.bin", Range="bytes=-5")["Body"].read() == body[-5:]
    assert c.get_object(Bucket="objects", Key="dir/file.bin", Range=f"bytes={len(body) - 3}-")["Body"].read() == body[-3:]
    with pytest.raises(ClientError) as e:
        c.get_object(Bucket="objects", Key="dir/file.bin", Range=f"bytes={len(body)}-")
    assert code(e) == "InvalidRange"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 416
    # Content-MD5 is checked against what arrived.
    good = base64.b64encode(hashlib.md5(b"hello").digest()).decode()
    c.put_object(Bucket="objects", Key="md5", Body=b"hello", ContentMD5=good)
    with pytest.raises(ClientError) as e:
        c.put_object(Bucket="objects", Key="md5", Body=b"hellO", ContentMD5=good)
    assert code(e) == "BadDigest"
    assert c.get_object(Bucket="objects", Key="md5")["Body"].read() == b"hello"
    # Keys with spaces, plus signs and non-ASCII characters round-trip.
    for key in ["a b+c.txt", "ünïcode/ключ", "q?x=1&y", "trailing/"]:
        c.put_object(Bucket="objects", Key=key, Body=key.encode())
        assert c.get_object(Bucket="objects", Key=key)["Body"].read() == key.encode()
    c.put_object(Bucket="objects", Key="md5", Body=b"replaced")
    assert c.get_object(Bucket="objects", Key="md5")["Body"].read() == b"replaced"
    c.delete_object(Bucket="objects", Key="md5")
    with pytest.raises(ClientError) as e:
        c.get_object(Bucket="objects", Key="md5")
    assert code(e) == "NoSuchKey"
    c.delete_object(Bucket="objects", Key="md5")  # deleting a missing key succeeds, as in S3
    with pytest.raises(ClientError) as e:
        c.head_object(Bucket="objects", Key="md5")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_listing_v1_v2_prefix_delimiter_paging(strict):
    c = s3(strict)
    c.create_bucket(Bucket="listing")
    keys = sorted([f"logs/2024/{m:02d}/file{i}.gz" for m in (1, 2, 3) for i in range(4)] + ["top-a", "top-b", "logs/readme"])
    for k in keys:
        c.put_object(Bucket="listing", Key=k, Body=k.encode())
    v2 = [o["Key"] for p in c.get_paginator("list_objects_v2").paginate(Bucket="listing", PaginationConfig={"PageSize": 4})
          for o in p.get("Contents", [])]
    assert v2 == keys
    v1 = [o["Key"] for p in c.get_paginator("list_objects").paginate(Bucket="listing", PaginationConfig={"PageSize": 5})
          for o in p.get("Contents", [])]
    assert v1 == keys
    r = c.list_objects_v2(Bucket="listing", Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["logs/"]
    assert [o["Key"] for o in r["Contents"]] == ["top-a", "top-b"]
    r = c.list_objects_v2(Bucket="listing", Prefix="logs/2024/", Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["logs/2024/01/", "logs/2024/02/", "logs/2024/03/"]
    assert r["KeyCount"] == 3
    r = c.list_objects_v2(Bucket="listing", Prefix="logs/2024/", Delimiter="/", MaxKeys=2)
    assert r["IsTruncated"] and [p["Prefix"] for p in r["CommonPrefixes"]] == ["logs/2024/01/", "logs/2024/02/"]
    r = c.list_objects_v2(Bucket="listing", Prefix="logs/2024/", Delimiter="/", ContinuationToken=r["NextContinuationToken"])
    assert not r["IsTruncated"] and [p["Prefix"] for p in r["CommonPrefixes"]] == ["logs/2024/03/"]
    r = c.list_objects_v2(Bucket="listing", StartAfter="logs/readme")
    assert [o["Key"] for o in r["Contents"]] == ["top-a", "top-b"]
    r = c.list_objects(Bucket="listing", Prefix="logs/2024/02/", Marker="logs/2024/02/file1.gz")
    assert [o["Key"] for o in r["Contents"]] == ["logs/2024/02/file2.gz", "logs/2024/02/file3.gz"]
    assert c.list_objects_v2(Bucket="listing", Prefix="nothing")["KeyCount"] == 0
    with pytest.raises(ClientError) as e:
        c.list_objects_v2(Bucket="no-such-bucket")
    assert code(e) == "NoSuchBucket"


def test_bucket_policy(strict):
    c = s3(strict)
    c.create_bucket(Bucket="policy-bucket")
    with pytest.raises(ClientError) as e:
        c.get_bucket_policy(Bucket="policy-bucket")
    assert code(e) == "NoSuchBucketPolicy"
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                                                      "Action": "s3:PutObject", "Resource": "arn:aws:s3:::policy-bucket/*"}]}
    c.put_bucket_policy(Bucket="policy-bucket", Policy=json.dumps(policy))
    assert json.loads(c.get_bucket_policy(Bucket="policy-bucket")["Policy"]) == policy
    with pytest.raises(ClientError) as e:
        c.put_bucket_policy(Bucket="policy-bucket", Policy="not json")
    assert code(e) == "MalformedPolicy"
    c.delete_bucket_policy(Bucket="policy-bucket")
    with pytest.raises(ClientError) as e:
        c.get_bucket_policy(Bucket="policy-bucket")
    assert code(e) == "NoSuchBucketPolicy"


def test_awscli_s3_commands(strict, tmp_path):
    assert strict.aws("s3", "mb", "s3://cli-bucket").returncode == 0
    src = tmp_path / "src"
    (src / "nested").mkdir(parents=True)
    (src / "one.txt").write_bytes(b"one")
    (src / "nested" / "two.bin").write_bytes(os.urandom(300_000))
    r = strict.aws("s3", "cp", "--recursive", str(src), "s3://cli-bucket/up")
    assert r.returncode == 0, r.stderr
    r = strict.aws("s3", "ls", "--recursive", "s3://cli-bucket")
    assert r.returncode == 0, r.stderr
    listed = sorted(line.split()[-1] for line in r.stdout.splitlines())
    assert listed == ["up/nested/two.bin", "up/one.txt"]
    dst = tmp_path / "dst"
    r = strict.aws("s3", "cp", "--recursive", "s3://cli-bucket/up", str(dst))
    assert r.returncode == 0, r.stderr
    assert (dst / "nested" / "two.bin").read_bytes() == (src / "nested" / "two.bin").read_bytes()
    r = strict.aws("s3api", "head-object", "--bucket", "cli-bucket", "--key", "up/one.txt")
    assert json.loads(r.stdout)["ContentLength"] == 3
    # `rm --recursive` deletes through DeleteObjects; `rb` then succeeds.
    r = strict.aws("s3", "rm", "--recursive", "s3://cli-bucket/up")
    assert r.returncode == 0, r.stderr
    assert strict.aws("s3", "rb", "s3://cli-bucket").returncode == 0
    r = strict.aws("s3", "ls")
    assert "cli-bucket" not in r.stdout


def test_objects_survive_restart_and_are_data_events(strict):
    c = s3(strict)
    c.create_bucket(Bucket="durable")
    c.put_object(Bucket="durable", Key="a", Body=b"Q" * 1000)
    strict.stop()
    strict.start()
    c = s3(strict)
    assert c.get_object(Bucket="durable", Key="a")["Body"].read() == b"Q" * 1000
    records = strict.audit_records()
    puts = [r for r in records if r["eventName"] == "PutObject"]
    assert puts and all(r["eventCategory"] == "Data" and r["managementEvent"] is False for r in puts)
    assert puts[0]["requestParameters"]["bucketName"] == "durable" and puts[0]["requestParameters"]["key"] == "a"
    assert {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::durable/a", "accountId": puts[0]["recipientAccountId"]} in puts[0]["resources"]
    # Object bytes never reach the audit log.
    assert all("QQQQ" not in json.dumps(r) for r in records)
    # Event history shows bucket (management) calls and no object (data) calls.
    ct = strict.client("cloudtrail")
    names = {e["EventName"] for e in ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "s3.amazonaws.com"}])["Events"]}
    assert "CreateBucket" in names
    assert not names & {"PutObject", "GetObject"}


def s3v4(w):
    key, secret = w.credentials()
    return boto3.client("s3", endpoint_url=w.endpoint, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(signature_version="s3v4"))


def signed(w, method, url, body, headers):
    key, secret = w.credentials()
    req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body, headers=headers)
    botocore.auth.S3SigV4Auth(botocore.credentials.Credentials(key, secret), "s3", "us-east-1").add_auth(req)
    return dict(req.headers)


def test_payload_hash_and_signature_are_checked(strict):
    s3(strict).create_bucket(Bucket="signed")
    url = strict.endpoint + "/signed/obj"
    headers = signed(strict, "PUT", url, b"original", {"x-amz-content-sha256": hashlib.sha256(b"original").hexdigest()})
    r = requests.put(url, data=b"tampered", headers=headers)
    assert r.status_code == 400 and "<Code>XAmzContentSHA256Mismatch</Code>" in r.text
    headers = signed(strict, "PUT", url, b"original", {"x-amz-content-sha256": hashlib.sha256(b"original").hexdigest()})
    headers["x-amz-content-sha256"] = hashlib.sha256(b"tampered").hexdigest()
    r = requests.put(url, data=b"tampered", headers=headers)
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text
    r = requests.get(strict.endpoint + "/signed/obj")
    assert r.status_code in (400, 403)
    headers = signed(strict, "PUT", url, b"original", {"x-amz-content-sha256": hashlib.sha256(b"original").hexdigest()})
    assert requests.put(url, data=b"original", headers=headers).status_code == 200


def test_virtual_host_style_addressing(strict):
    s3(strict).create_bucket(Bucket="vhost-bucket")
    port = strict.port
    for host in (f"vhost-bucket.s3.warden.test:{port}", f"vhost-bucket.localhost:{port}"):
        url = f"http://{host}/dir/obj.txt"
        body = host.encode()
        headers = signed(strict, "PUT", url, body, {"x-amz-content-sha256": hashlib.sha256(body).hexdigest()})
        r = requests.put(f"http://127.0.0.1:{port}/dir/obj.txt", data=body, headers={**headers, "Host": host})
        assert r.status_code == 200, r.text
        assert s3(strict).get_object(Bucket="vhost-bucket", Key="dir/obj.txt")["Body"].read() == body
        headers = signed(strict, "GET", f"http://{host}/?list-type=2&prefix=dir%2F", b"",
                         {"x-amz-content-sha256": hashlib.sha256(b"").hexdigest()})
        r = requests.get(f"http://127.0.0.1:{port}/?list-type=2&prefix=dir%2F", headers={**headers, "Host": host})
        assert r.status_code == 200 and "<Key>dir/obj.txt</Key>" in r.text and "<Name>vhost-bucket</Name>" in r.text, r.text


def test_presigned_urls(strict):
    # SigV4 presigning (botocore presigns S3 in us-east-1 with SigV2 unless told; Warden, like new AWS buckets, takes SigV4).
    c = s3v4(strict)
    c.create_bucket(Bucket="presigned")
    put_url = c.generate_presigned_url("put_object", Params={"Bucket": "presigned", "Key": "shared.txt"}, ExpiresIn=300)
    assert requests.put(put_url, data=b"uploaded without credentials").status_code == 200
    get_url = c.generate_presigned_url("get_object", Params={"Bucket": "presigned", "Key": "shared.txt"}, ExpiresIn=300)
    r = requests.get(get_url)
    assert r.status_code == 200 and r.content == b"uploaded without credentials"
    r = requests.get(get_url.replace("shared.txt", "other.txt"))
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text
    # The signature in the URL never reaches the audit record.
    gets = [rec for rec in strict.audit_records() if rec["eventName"] == "GetObject"]
    assert gets and all("X-Amz-Signature" not in json.dumps(rec) for rec in gets)


def stored_bodies(w):
    """Every object body as stored, read straight from the database (chunks joined in order)."""
    sql = "SELECT data_id, chunk, data FROM s3_object_data ORDER BY data_id, chunk"
    if w.storage == "sqlite":
        db = sqlite3.connect(f"{w.data_dir}/warden.sqlite")
        try:
            rows = [(i, bytes(d or b"")) for i, _, d in db.execute(sql)]
        finally:
            db.close()
    else:
        out = subprocess.run(["psql", w.storage, "-tA", "-F", " ", "-c",
                              "SELECT data_id, chunk, encode(data, 'hex') FROM s3_object_data ORDER BY data_id, chunk"],
                             capture_output=True, text=True, check=True)
        rows = [(line.split(" ")[0], bytes.fromhex(line.split(" ")[2])) for line in out.stdout.splitlines() if line.strip()]
    bodies = {}
    for data_id, chunk in rows:
        bodies[data_id] = bodies.get(data_id, b"") + chunk
    return list(bodies.values())


def test_sse_kms_objects(strict):
    c = s3(strict)
    kms = strict.client("kms")
    c.create_bucket(Bucket="encrypted")
    key = kms.create_key()["KeyMetadata"]
    secret = b"plaintext that must not be on disk " * 20
    put = c.put_object(Bucket="encrypted", Key="secret.txt", Body=secret, ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    assert put["ServerSideEncryption"] == "aws:kms" and put["SSEKMSKeyId"] == key["Arn"]
    assert put["ETag"] != '"%s"' % hashlib.md5(secret).hexdigest()
    got = c.get_object(Bucket="encrypted", Key="secret.txt")
    assert got["Body"].read() == secret and got["SSEKMSKeyId"] == key["Arn"] and got["ContentLength"] == len(secret)
    assert c.get_object(Bucket="encrypted", Key="secret.txt", Range="bytes=10-19")["Body"].read() == secret[10:20]
    assert c.head_object(Bucket="encrypted", Key="secret.txt")["ServerSideEncryption"] == "aws:kms"
    # The bytes at rest (in storage, where every node reads them; never in files of one node) are ciphertext.
    assert not os.path.exists(os.path.join(strict.data_dir, "s3"))
    at_rest = stored_bodies(strict)
    assert at_rest and all(b"plaintext that must not" not in body for body in at_rest)
    # Without a key id the account's AWS managed key alias/aws/s3 is used (and made on first use).
    c.put_object(Bucket="encrypted", Key="default.txt", Body=b"x", ServerSideEncryption="aws:kms")
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert aliases.get("alias/aws/s3")
    assert c.head_object(Bucket="encrypted", Key="default.txt")["SSEKMSKeyId"].endswith(aliases["alias/aws/s3"])
    # A disabled key makes the object unreadable, as in S3; enabling it again restores access.
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as e:
        c.get_object(Bucket="encrypted", Key="secret.txt")
    assert code(e) == "KMS.DisabledException"
    kms.enable_key(KeyId=key["KeyId"])
    assert c.get_object(Bucket="encrypted", Key="secret.txt")["Body"].read() == secret
    with pytest.raises(ClientError) as e:
        c.put_object(Bucket="encrypted", Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/missing")
    assert code(e) == "KMS.NotFoundException"
    with pytest.raises(ClientError) as e:
        c.put_object(Bucket="encrypted", Key="k", Body=b"x", ServerSideEncryption="AES256")
    assert code(e) == "NotImplemented"
