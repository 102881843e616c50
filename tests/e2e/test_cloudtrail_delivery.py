"""Trail delivery end to end: log files in the documented layout, records equal to event history, the real
`aws cloudtrail validate-logs` over signed digest chains (and its verdict after tampering), event selectors, and
exactly-once delivery across a kill -9 between writing log files and recording them."""
import datetime
import gzip
import json
import os
import re
import signal
import subprocess
import time

import pytest
from botocore.exceptions import ClientError

from conftest import BACKENDS, code
from trail_helpers import digest_keys, log_keys, read_gz_json, records, trail_bucket, wait_for

FAST = ["--trail-delivery-interval", "0.3", "--trail-digest-interval", "2"]


def start_trail(w, name, bucket, prefix=None, **kw):
    c = w.client("cloudtrail")
    args = {"Name": name, "S3BucketName": bucket, **kw}
    if prefix:
        args["S3KeyPrefix"] = prefix
    trail = c.create_trail(**args)
    return c, trail["TrailARN"]


def validate_logs(w, arn, start, region=None):
    args = ["cloudtrail", "validate-logs", "--trail-arn", arn, "--start-time", start, "--verbose"]
    if region:
        args += ["--region", region]
    # Only validate-logs' CloudTrail client honours --endpoint-url; its S3 client finds Warden through the environment.
    return w.aws(*args, env={"AWS_ENDPOINT_URL_S3": w.endpoint})


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(params=BACKENDS)
def fast(request, make_warden):
    return make_warden(request.param, extra_args=FAST)


def test_delivery_layout_records_and_validate_logs(fast):
    w = fast
    s3 = trail_bucket(w, "audit-logs")
    ct, arn = start_trail(w, "org-trail", "audit-logs", IsMultiRegionTrail=True, EnableLogFileValidation=True)
    account = arn.split(":")[4]
    started = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
    ct.start_logging(Name="org-trail")
    request_ids = {}
    for region in ("us-east-1", "eu-west-1"):
        kms = w.client("kms", region=region)
        key = kms.create_key(Description=f"trail test {region}")
        request_ids[key["ResponseMetadata"]["RequestId"]] = ("CreateKey", region)
        for _ in range(3):
            r = kms.list_keys()
            request_ids[r["ResponseMetadata"]["RequestId"]] = ("ListKeys", region)

    def delivered():
        got = {r["requestID"] for r in records(s3, "audit-logs")}
        return set(request_ids) <= got

    wait_for(delivered, what="log files holding every call")
    # The documented layout, seen through awscli.
    r = w.aws("s3", "ls", "--recursive", "s3://audit-logs")
    assert r.returncode == 0, r.stderr
    listed = [line.split()[-1] for line in r.stdout.splitlines()]
    log_re = re.compile(rf"^AWSLogs/{account}/CloudTrail/(us-east-1|eu-west-1)/\d{{4}}/\d{{2}}/\d{{2}}/"
                        rf"{account}_CloudTrail_\1_\d{{8}}T\d{{4}}Z_[A-Za-z0-9]{{16}}\.json\.gz$")
    digest_re = re.compile(rf"^AWSLogs/{account}/CloudTrail-Digest/(us-east-1|eu-west-1)/\d{{4}}/\d{{2}}/\d{{2}}/"
                           rf"{account}_CloudTrail-Digest_\1_org-trail_us-east-1_\d{{8}}T\d{{6}}Z\.json\.gz$")
    logs = [k for k in listed if "/CloudTrail/" in k]
    assert logs and all(log_re.match(k) for k in logs), listed
    assert {log_re.match(k).group(1) for k in logs} == {"us-east-1", "eu-west-1"}
    # A log file downloaded with `aws s3 cp` holds records equal to what event history returns for the same calls.
    mine = {}
    for k in logs:
        dst = f"{w.data_dir}/dl.json.gz"
        assert w.aws("s3", "cp", f"s3://audit-logs/{k}", dst).returncode == 0
        with open(dst, "rb") as f:
            for rec in json.loads(gzip.decompress(f.read()))["Records"]:
                if rec["requestID"] in request_ids:
                    assert rec["requestID"] not in mine, "a call delivered twice"
                    mine[rec["requestID"]] = rec
    assert set(mine) == set(request_ids)
    for rid, (name, region) in request_ids.items():
        assert mine[rid]["eventName"] == name and mine[rid]["awsRegion"] == region
    for region in ("us-east-1", "eu-west-1"):
        history = w.client("cloudtrail", region=region).lookup_events(
            LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "kms.amazonaws.com"}])["Events"]
        for e in history:
            rec = json.loads(e["CloudTrailEvent"])
            if rec["requestID"] in mine:
                assert rec == mine[rec["requestID"]]
    # Digests for both source regions; then the real validator accepts every digest and log file of each chain.
    wait_for(lambda: {digest_re.match(k).group(1) for k in digest_keys(s3, "audit-logs") if digest_re.match(k)} ==
             {"us-east-1", "eu-west-1"}, what="digests in both regions")
    wait_for(lambda: len(digest_keys(s3, "audit-logs", f"AWSLogs/{account}/CloudTrail-Digest/eu-west-1/")) >= 3,
             what="several eu-west-1 digests")
    ct.stop_logging(Name="org-trail")

    def all_digested(region):
        digested = set()
        for k in digest_keys(s3, "audit-logs", f"AWSLogs/{account}/CloudTrail-Digest/{region}/"):
            digested |= {f["s3Object"] for f in read_gz_json(s3, "audit-logs", k)["logFiles"]}
        return digested == set(log_keys(s3, "audit-logs", f"AWSLogs/{account}/CloudTrail/{region}/"))

    for region in ("us-east-1", "eu-west-1"):
        wait_for(lambda: all_digested(region), what=f"every {region} log file in a digest")
    # Nothing happened in eu-west-1 after the first calls: its chain goes on with digests that list no log files.
    eu_digests = digest_keys(s3, "audit-logs", f"AWSLogs/{account}/CloudTrail-Digest/eu-west-1/")
    assert any(read_gz_json(s3, "audit-logs", k)["logFiles"] == [] for k in eu_digests), eu_digests
    status = ct.get_trail_status(Name="org-trail")
    assert "LatestDeliveryTime" in status and "LatestDigestDeliveryTime" in status and "LatestDeliveryError" not in status
    keys_ = w.client("cloudtrail").list_public_keys(StartTime=started)["PublicKeyList"]
    assert keys_ and all(len(k["Fingerprint"]) == 32 for k in keys_)
    for region in ("us-east-1", "eu-west-1"):
        # Counted before the validator runs: the chain goes on after StopLogging, so a digest written while it runs
        # may or may not fall inside the window it asks for; every one written before must be in it, and valid.
        n_logs = len(log_keys(s3, "audit-logs", f"AWSLogs/{account}/CloudTrail/{region}/"))
        n_digests = len(digest_keys(s3, "audit-logs", f"AWSLogs/{account}/CloudTrail-Digest/{region}/"))
        r = validate_logs(w, arn, iso(started), region=region)
        assert r.returncode == 0, r.stdout + r.stderr
        found = re.search(r"(\d+)/(\d+) digest files valid", r.stdout)
        assert found and found.group(1) == found.group(2) and int(found.group(1)) >= n_digests, r.stdout
        assert f"{n_logs}/{n_logs} log files valid" in r.stdout, r.stdout
        assert "INVALID" not in r.stdout + r.stderr


@pytest.mark.parametrize("backend", BACKENDS)
def test_validate_logs_reports_exactly_the_tampered_files(make_warden, backend):
    # Signing keys last about 3.5 s here, so the chain spans several keys and validate-logs must find each one.
    w = make_warden(backend, extra_args=FAST + ["--trail-signing-key-days", "0.00004"])
    s3 = trail_bucket(w, "tamper-logs")
    ct, arn = start_trail(w, "tamper", "tamper-logs", prefix="audit/trail", EnableLogFileValidation=True)
    started = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
    ct.start_logging(Name="tamper")
    kms = w.client("kms")
    # Calls in phases a digest interval apart, so several digests each list log files.
    for _ in range(5):
        for _ in range(3):
            kms.list_keys()
        time.sleep(2.5)
    ct.stop_logging(Name="tamper")
    account = arn.split(":")[4]
    logs_prefix = f"audit/trail/AWSLogs/{account}/CloudTrail/us-east-1/"
    digest_prefix = f"audit/trail/AWSLogs/{account}/CloudTrail-Digest/us-east-1/"

    def digests_with_files():
        out = []
        for k in sorted(digest_keys(s3, "tamper-logs", digest_prefix)):
            out.append((k, [f["s3Object"] for f in read_gz_json(s3, "tamper-logs", k)["logFiles"]]))
        covered = {f for _, fs in out for f in fs}
        return out if covered == set(log_keys(s3, "tamper-logs", logs_prefix)) else None

    chain = wait_for(digests_with_files, what="every log file in a digest")
    fingerprints = {read_gz_json(s3, "tamper-logs", k)["digestPublicKeyFingerprint"] for k, _ in chain}
    published = w.client("cloudtrail").list_public_keys(StartTime=started)["PublicKeyList"]
    assert len(fingerprints) >= 2 and fingerprints <= {k["Fingerprint"] for k in published}
    windows = sorted((k["ValidityStartTime"], k["ValidityEndTime"]) for k in published)
    assert all(a[1] == b[0] for a, b in zip(windows, windows[1:])), "each key's window ends where the next begins"
    r = validate_logs(w, arn, iso(started))
    assert r.returncode == 0 and "INVALID" not in r.stdout + r.stderr, r.stdout + r.stderr
    with_files = [(k, fs) for k, fs in chain if fs]
    assert len(with_files) >= 3, chain
    (d1, logs1), (d2, logs2), (d3, _) = with_files[0], with_files[1], with_files[2]
    # 1. modify a log file listed by the first digest
    # (Whichever calls the file holds: under load its first record need not be a ListKeys call.)
    log_doc = json.loads(gzip.decompress(s3.get_object(Bucket="tamper-logs", Key=logs1[0])["Body"].read()))
    log_doc["Records"][0]["eventName"] += "z"
    s3.put_object(Bucket="tamper-logs", Key=logs1[0], Body=gzip.compress(json.dumps(log_doc).encode()))
    # 2. delete a log file listed by the second digest
    s3.delete_object(Bucket="tamper-logs", Key=logs2[0])
    # 3. modify the third digest itself, keeping its signature metadata
    obj = s3.get_object(Bucket="tamper-logs", Key=d3)
    doc = json.loads(gzip.decompress(obj["Body"].read()))
    doc["logFiles"] = doc["logFiles"][:-1]
    s3.put_object(Bucket="tamper-logs", Key=d3, Body=gzip.compress(json.dumps(doc).encode()), Metadata=obj["Metadata"])
    r = validate_logs(w, arn, iso(started))
    out = r.stdout + r.stderr
    invalid = [line.strip() for line in out.splitlines() if line.startswith(("Digest file", "Log file")) and "INVALID" in line]
    assert len(invalid) == 3, out
    assert re.search(r"\b1/\d+ digest files INVALID", out) and re.search(r"\b2/\d+ log files INVALID", out), out
    assert any(logs1[0] in line and "hash value doesn't match" in line for line in invalid), out
    assert any(logs2[0] in line and "INVALID: not found" in line for line in invalid), out
    assert any(d3 in line and "signature verification failed" in line for line in invalid), out


def test_selectors_decide_what_each_trail_receives(fast):
    w = fast
    s3 = trail_bucket(w, "sel-logs")
    s3.create_bucket(Bucket="data-bucket")
    ct = w.client("cloudtrail")
    ct.create_trail(Name="writes-only", S3BucketName="sel-logs", S3KeyPrefix="writes")
    ct.put_event_selectors(TrailName="writes-only", EventSelectors=[{"ReadWriteType": "WriteOnly"}])
    ct.create_trail(Name="with-data", S3BucketName="sel-logs", S3KeyPrefix="data")
    ct.put_event_selectors(TrailName="with-data", AdvancedEventSelectors=[
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                            {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::data-bucket/"]}]}])
    ct.create_trail(Name="basic-data", S3BucketName="sel-logs", S3KeyPrefix="basic")
    ct.put_event_selectors(TrailName="basic-data", EventSelectors=[
        {"ReadWriteType": "ReadOnly", "IncludeManagementEvents": False,
         "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::data-bucket/in/"]}]}])
    ct.create_trail(Name="defaults", S3BucketName="sel-logs", S3KeyPrefix="defaults")
    ct.create_trail(Name="sns-publish", S3BucketName="sel-logs", S3KeyPrefix="sns")
    ct.put_event_selectors(TrailName="sns-publish", AdvancedEventSelectors=[
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
                            {"Field": "resources.type", "Equals": ["AWS::SNS::Topic"]},
                            {"Field": "eventName", "Equals": ["Publish"]}]}])
    for name in ("writes-only", "with-data", "basic-data", "defaults", "sns-publish"):
        ct.start_logging(Name=name)
    sns = w.client("sns")
    topic = sns.create_topic(Name="selected")["TopicArn"]
    published = sns.publish(TopicArn=topic, Message="data event")["ResponseMetadata"]["RequestId"]
    kms = w.client("kms")
    kms.list_keys()
    kms.create_key()
    s3.put_object(Bucket="data-bucket", Key="in/object", Body=b"data")
    s3.get_object(Bucket="data-bucket", Key="in/object")["Body"].read()
    s3.put_object(Bucket="data-bucket", Key="out/object", Body=b"data")
    marker = kms.list_aliases()["ResponseMetadata"]["RequestId"]

    def names(prefix):
        return [(r["eventName"], r["eventCategory"], r.get("readOnly")) for r in records(s3, "sel-logs", prefix + "/")]

    wait_for(lambda: any(r["requestID"] == marker for r in records(s3, "sel-logs", "defaults/")), what="delivery")
    time.sleep(1.0)
    writes = names("writes")
    assert ("CreateKey", "Management", False) in writes
    assert all(ro is False for _, _, ro in writes) and all(cat == "Management" for _, cat, _ in writes)
    data = names("data")
    assert ("PutObject", "Data", False) in data and ("GetObject", "Data", True) in data
    assert ("ListKeys", "Management", True) in data
    basic = names("basic")
    assert [n for n, _, _ in basic] == ["GetObject"]
    defaults = names("defaults")
    assert ("ListKeys", "Management", True) in defaults and ("CreateKey", "Management", False) in defaults
    assert all(cat == "Management" for _, cat, _ in defaults)
    # SNS Publish is a data event: only the trail that selects it receives it.
    sns_records = records(s3, "sel-logs", "sns/")
    assert [(r["eventName"], r["requestID"], r["resources"][0]["type"]) for r in sns_records] == [
        ("Publish", published, "AWS::SNS::Topic")]
    assert all(r["eventName"] != "Publish" for r in records(s3, "sel-logs", "defaults/") + records(s3, "sel-logs", "writes/"))
    # Event history never holds data events.
    history = w.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "s3.amazonaws.com"}])["Events"]
    assert {e["EventName"] for e in history} & {"PutObject", "GetObject"} == set()
    sns_history = w.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "sns.amazonaws.com"}])["Events"]
    assert {e["EventName"] for e in sns_history} == {"CreateTopic"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_kill9_between_writing_and_recording_loses_and_duplicates_nothing(make_warden, backend):
    w = make_warden(backend, extra_args=["--trail-delivery-interval", "0.3"])
    s3 = trail_bucket(w, "crash-logs")
    ct = w.client("cloudtrail")
    ct.create_trail(Name="crash", S3BucketName="crash-logs")
    acknowledged = []
    kms = w.client("kms")
    for _ in range(5):
        acknowledged.append(kms.list_keys()["ResponseMetadata"]["RequestId"])
    # Restart with the fault: the first batch's log files are written, then the process is killed before the batch
    # is recorded as delivered.
    w.stop()
    w.env = {"WARDEN_TEST_CRASH_AFTER_LOG_WRITE": "1"}
    w.start()
    ct = w.client("cloudtrail")
    ct.start_logging(Name="crash")
    kms = w.client("kms")
    acknowledged_during = []
    deadline = time.time() + 30
    while w.proc.poll() is None and time.time() < deadline:
        try:
            acknowledged_during.append(kms.list_keys()["ResponseMetadata"]["RequestId"])
        except Exception:
            break
        time.sleep(0.05)
    w.proc.wait(timeout=30)
    assert w.proc.returncode == -signal.SIGKILL, "the fault did not fire"
    w.env = {}
    w.start()
    s3 = w.client("s3")
    written_by_crashed = set(log_keys(s3, "crash-logs"))
    assert written_by_crashed, "the crashed batch wrote no file"
    kms = w.client("kms")
    after = [kms.list_keys()["ResponseMetadata"]["RequestId"] for _ in range(5)]

    def all_there():
        ids = [r["requestID"] for r in records(s3, "crash-logs")]
        return ids if set(acknowledged_during + after) <= set(ids) else None

    ids = wait_for(all_there, what="every acknowledged call delivered")
    time.sleep(1.0)
    ids = [r["requestID"] for r in records(s3, "crash-logs")]
    for rid in acknowledged_during + after:
        assert ids.count(rid) == 1, rid
    assert len(ids) == len(set(ids)), "a record was delivered twice"
    # Calls made before logging started are not delivered.
    assert not set(acknowledged) & set(ids)
    # The crashed batch was redone under the same object names, not added again under new ones.
    assert written_by_crashed <= set(log_keys(s3, "crash-logs"))


def test_refused_delivery_shows_in_status_and_resumes_without_loss(fast):
    w = fast
    s3 = trail_bucket(w, "fragile-logs")
    ct = w.client("cloudtrail")
    ct.create_trail(Name="fragile", S3BucketName="fragile-logs")
    ct.start_logging(Name="fragile")
    kms = w.client("kms")
    first = kms.list_keys()["ResponseMetadata"]["RequestId"]
    wait_for(lambda: first in {r["requestID"] for r in records(s3, "fragile-logs")}, what="first delivery")
    # The bucket stops accepting CloudTrail's writes: the status says so, and calls keep being recorded.
    s3.delete_bucket_policy(Bucket="fragile-logs")
    during = [kms.list_keys()["ResponseMetadata"]["RequestId"] for _ in range(3)]
    wait_for(lambda: ct.get_trail_status(Name="fragile").get("LatestDeliveryError") == "AccessDenied", what="AccessDenied in status")
    # Then the bucket disappears altogether.
    for k in log_keys(s3, "fragile-logs"):
        s3.delete_object(Bucket="fragile-logs", Key=k)
    s3.delete_bucket(Bucket="fragile-logs")
    during += [kms.list_keys()["ResponseMetadata"]["RequestId"] for _ in range(3)]
    wait_for(lambda: ct.get_trail_status(Name="fragile").get("LatestDeliveryError") == "NoSuchBucket", what="NoSuchBucket in status")
    # Fixed: delivery resumes with everything recorded meanwhile, and the error clears.
    trail_bucket(w, "fragile-logs")
    wait_for(lambda: set(during) <= {r["requestID"] for r in records(s3, "fragile-logs")}, what="delivery after the fix")
    wait_for(lambda: "LatestDeliveryError" not in ct.get_trail_status(Name="fragile"), what="the error to clear")
    ids = [r["requestID"] for r in records(s3, "fragile-logs")]
    assert all(ids.count(rid) == 1 for rid in during)


def test_delivery_to_an_external_s3_endpoint(make_warden, tmp_path):
    # Warden B (strict SigV4) plays the external S3-compatible server; Warden A's trail delivers into B's bucket,
    # signing with its own SigV4 signer and B's credentials from A's external-bucket file.
    b = make_warden("sqlite")
    b.client("s3").create_bucket(Bucket="external-logs")
    b_key, b_secret = b.credentials()
    config = tmp_path / "external.yaml"
    config.write_text(f"""
- bucket: external-logs
  endpoint: {b.endpoint}
  region: us-east-1
  access_key_id: {b_key}
  secret_access_key_env: EXTERNAL_SECRET
- bucket: external-missing
  endpoint: {b.endpoint}
  access_key_id: {b_key}
  secret_access_key: {b_secret}
- bucket: external-refused
  endpoint: {b.endpoint}
  access_key_id: {b_key}
  secret_access_key: wrong-secret
""")
    a = make_warden("sqlite", dev=True, extra_args=FAST + ["--trail-external-buckets", str(config)],
                    env={"EXTERNAL_SECRET": b_secret})
    b.client("s3").create_bucket(Bucket="external-refused")
    ct = a.client("cloudtrail")
    with pytest.raises(ClientError) as e:
        ct.create_trail(Name="missing", S3BucketName="external-missing")
    assert code(e) == "S3BucketDoesNotExistException"
    with pytest.raises(ClientError) as e:
        ct.create_trail(Name="refused", S3BucketName="external-refused")
    assert code(e) == "InsufficientS3BucketPolicyException"
    arn = ct.create_trail(Name="outbound", S3BucketName="external-logs", EnableLogFileValidation=True)["TrailARN"]
    started = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
    ct.start_logging(Name="outbound")
    ids = [a.client("kms").list_keys()["ResponseMetadata"]["RequestId"] for _ in range(3)]
    s3b = b.client("s3")
    wait_for(lambda: set(ids) <= {r["requestID"] for r in records(s3b, "external-logs")}, what="delivery into B")
    assert not a.client("s3").list_buckets()["Buckets"], "nothing was written into A's own store"
    wait_for(lambda: digest_keys(s3b, "external-logs"), what="a digest in B")
    ct.stop_logging(Name="outbound")
    account = arn.split(":")[4]

    def all_digested():
        digested = set()
        for k in digest_keys(s3b, "external-logs"):
            digested |= {f["s3Object"] for f in read_gz_json(s3b, "external-logs", k)["logFiles"]}
        return digested == set(log_keys(s3b, "external-logs", f"AWSLogs/{account}/CloudTrail/"))

    wait_for(all_digested, what="every log file in a digest")
    # validate-logs with B's credentials: its CloudTrail client goes to A (dev mode), its S3 client to B.
    env = dict(os.environ, AWS_SHARED_CREDENTIALS_FILE=b.credentials_file, AWS_CONFIG_FILE=os.devnull,
               AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL_S3=b.endpoint)
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        env.pop(k, None)
    r = subprocess.run(["aws", "--endpoint-url", a.endpoint, "cloudtrail", "validate-logs", "--trail-arn", arn,
                        "--start-time", iso(started), "--verbose"], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0 and "INVALID" not in r.stdout + r.stderr, r.stdout + r.stderr
    assert re.search(r"(\d+)/\1 log files valid", r.stdout) and re.search(r"(\d+)/\1 digest files valid", r.stdout), r.stdout
    # B verified every delivery's signature and audited it as an S3 data event of B's root key.
    puts = [rec for rec in b.audit_records() if rec["eventName"] == "PutObject" and "errorCode" not in rec]
    assert puts and all(p["userIdentity"]["accessKeyId"] == b_key for p in puts)


def test_trail_files_encrypted_with_kms(fast):
    w = fast
    s3 = trail_bucket(w, "kms-logs")
    kms = w.client("kms")
    key = kms.create_key(Description="trail logs")["KeyMetadata"]
    kms.create_alias(AliasName="alias/trail-logs", TargetKeyId=key["KeyId"])
    ct = w.client("cloudtrail")
    r = ct.create_trail(Name="sealed", S3BucketName="kms-logs", KmsKeyId="alias/trail-logs", EnableLogFileValidation=True)
    assert r["KmsKeyId"] == key["Arn"]
    assert ct.get_trail(Name="sealed")["Trail"]["KmsKeyId"] == key["Arn"]
    started = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1)
    ct.start_logging(Name="sealed")
    marker = kms.list_keys()["ResponseMetadata"]["RequestId"]
    wait_for(lambda: marker in {r["requestID"] for r in records(s3, "kms-logs")}, what="delivery")
    wait_for(lambda: digest_keys(s3, "kms-logs"), what="a digest")
    for k in log_keys(s3, "kms-logs") + digest_keys(s3, "kms-logs"):
        head = s3.head_object(Bucket="kms-logs", Key=k)
        assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key["Arn"], k
    ct.stop_logging(Name="sealed")
    account = r["TrailARN"].split(":")[4]

    def all_digested():
        digested = set()
        for k in digest_keys(s3, "kms-logs"):
            digested |= {f["s3Object"] for f in read_gz_json(s3, "kms-logs", k)["logFiles"]}
        return digested == set(log_keys(s3, "kms-logs", f"AWSLogs/{account}/CloudTrail/"))

    wait_for(all_digested, what="every log file in a digest")
    r = validate_logs(w, r["TrailARN"], iso(started))
    assert r.returncode == 0 and "INVALID" not in r.stdout + r.stderr, r.stdout + r.stderr
    # With the key disabled, files cannot be read back (and validate-logs cannot vouch for them).
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="kms-logs", Key=log_keys(s3, "kms-logs")[0])
    assert code(e) == "KMS.DisabledException"
