"""Every request leaves exactly one CloudTrail record, committed before its response; kill -9 loses none."""
import json
import os
import signal
import subprocess
import threading
import time

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import BACKENDS


def test_n_mixed_calls_make_n_records(strict):
    before = len(strict.audit_records())
    key, secret = strict.credentials()
    good = strict.client("sts")
    bad_secret = strict.client("sts", key=key, secret="w" * 40)
    unknown = strict.client("sts", key="AKIAUNKNOWNUNKNOWN00", secret="x" * 40)
    ids = {"ok": [], "SignatureDoesNotMatch": [], "InvalidClientTokenId": [], "MissingAuthenticationToken": []}
    for i in range(12):
        kind = i % 4
        if kind == 0:
            ids["ok"].append(good.get_caller_identity()["ResponseMetadata"]["RequestId"])
            continue
        if kind == 3:
            r = requests.post(strict.endpoint + "/", data="Action=GetCallerIdentity&Version=2011-06-15",
                              headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "probe/1"}, timeout=10)
            ids["MissingAuthenticationToken"].append(r.headers["x-amzn-RequestId"])
            continue
        try:
            (bad_secret if kind == 1 else unknown).get_caller_identity()
        except ClientError as e:
            ids[e.response["Error"]["Code"]].append(e.response["ResponseMetadata"]["RequestId"])
    records = strict.audit_records()[before:]
    assert len(records) == 12
    by_id = {r["requestID"]: r for r in records}
    assert len(by_id) == 12
    assert len({r["eventID"] for r in records}) == 12
    for code, rids in ids.items():
        assert len(rids) == 3, ids
        for rid in rids:
            rec = by_id[rid]
            assert rec["eventVersion"] == "1.11"
            assert rec["eventSource"] == "sts.amazonaws.com"
            assert rec["eventName"] == "GetCallerIdentity"
            assert rec["awsRegion"] == "us-east-1"
            assert rec["sourceIPAddress"] == "127.0.0.1"
            assert rec["readOnly"] is True  # GetCallerIdentity is read-only whether or not it succeeded
            assert rec["eventType"] == "AwsApiCall"
            assert rec["managementEvent"] is True
            assert rec["eventCategory"] == "Management"
            assert rec["recipientAccountId"] == "000000000000"
            assert rec["requestParameters"] is None and rec["responseElements"] is None
            assert rec["eventTime"].endswith("Z") and len(rec["eventTime"]) == 20
            if code == "ok":
                assert "errorCode" not in rec
                assert rec["userIdentity"] == {"type": "Root", "principalId": "000000000000",
                                               "arn": "arn:aws:iam::000000000000:root", "accountId": "000000000000",
                                               "accessKeyId": key}
                assert rec["userAgent"].startswith("Boto3/") or "Botocore" in rec["userAgent"]
            else:
                assert rec["errorCode"] == code
                assert rec["errorMessage"]
                assert rec["userIdentity"]["type"] == "Unknown"
    # No secret ever reaches the log.
    blob = json.dumps(records)
    assert secret not in blob and "w" * 40 not in blob


def _hammer(w, stop, acked, errors):
    s = w.client("sts")
    while not stop.is_set():
        try:
            rid = s.get_caller_identity()["ResponseMetadata"]["RequestId"]
            acked.append(rid)
        except Exception as e:  # connection reset by the kill: not acknowledged, so not owed a record
            errors.append(type(e).__name__)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_kill_9_under_load_loses_no_acknowledged_record(make_warden, backend):
    w = make_warden(backend)
    stop = threading.Event()
    acked = []
    errors = []
    threads = [threading.Thread(target=_hammer, args=(w, stop, acked, errors)) for _ in range(8)]
    for t in threads:
        t.start()
    deadline = time.time() + 30
    while len(acked) < 300 and time.time() < deadline:
        time.sleep(0.05)
    w.kill9()
    stop.set()
    for t in threads:
        t.join(timeout=30)
    acknowledged = set(acked)
    assert len(acknowledged) >= 100, f"too few requests before the kill: {len(acknowledged)} ({errors[:5]})"
    # Restart on the same data: records are read back from storage.
    w.start()
    recorded = {r["requestID"] for r in w.audit_records()}
    missing = acknowledged - recorded
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged requests have no record"
    assert w.client("sts").get_caller_identity()["Account"] == "000000000000"


@pytest.mark.parametrize("backend", BACKENDS)
def test_sigterm_flushes_and_exits_cleanly(make_warden, backend):
    w = make_warden(backend)
    s = w.client("sts")
    rids = [s.get_caller_identity()["ResponseMetadata"]["RequestId"] for _ in range(20)]
    assert w.stop(signal.SIGTERM) == 0
    recorded = {r["requestID"] for r in w.audit_records()}
    assert set(rids) <= recorded
    assert "request" in w.read_log()
