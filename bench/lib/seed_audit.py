"""Fills Warden's audit log with N synthetic CloudTrail records spread over the last 30 days (for lookup benchmarks).

Usage: seed_audit.py sqlite PATH N ACCOUNT   |   seed_audit.py postgres URL N ACCOUNT
The server must not be running for SQLite. Records look like Warden's own (same columns, realistic JSON size).
"""
import io
import json
import random
import subprocess
import sys
import time
import uuid

NAMES = [("kms.amazonaws.com", "Decrypt", True, 30), ("kms.amazonaws.com", "Encrypt", True, 20),
         ("kms.amazonaws.com", "GenerateDataKey", True, 15), ("sts.amazonaws.com", "GetCallerIdentity", True, 10),
         ("kms.amazonaws.com", "DescribeKey", True, 8), ("kms.amazonaws.com", "ListKeys", True, 5),
         ("kms.amazonaws.com", "CreateKey", False, 4), ("kms.amazonaws.com", "TagResource", False, 3),
         ("kms.amazonaws.com", "ScheduleKeyDeletion", False, 2), ("kms.amazonaws.com", "CreateAlias", False, 2),
         ("kms.amazonaws.com", "DeleteAlias", False, 0.1)]


def rows(n, account):
    rnd = random.Random(42)
    weights = [w for *_, w in NAMES]
    keys = [f"arn:aws:kms:us-east-1:{account}:key/{uuid.UUID(int=rnd.getrandbits(128))}" for _ in range(200)]
    users = [("root", f"AKIA{i:016d}") for i in range(20)]
    now_ms = int(time.time() * 1000)
    span = 30 * 86400 * 1000
    for i in range(n):
        source, name, ro, _ = rnd.choices(NAMES, weights)[0]
        t = now_ms - span + (span * i) // n
        event_id = str(uuid.UUID(int=(t << 80) | rnd.getrandbits(80)))
        user, akid = rnd.choice(users)
        key = rnd.choice(keys) if source == "kms.amazonaws.com" and name != "ListKeys" else None
        record = {"eventVersion": "1.11", "userIdentity": {"type": "Root", "principalId": account,
                  "arn": f"arn:aws:iam::{account}:root", "accountId": account, "accessKeyId": akid},
                  "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t / 1000)), "eventSource": source,
                  "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": "127.0.0.1", "userAgent": "bench",
                  "requestParameters": {"keyId": key} if key else None, "responseElements": None,
                  "requestID": str(uuid.uuid4()), "eventID": event_id, "readOnly": ro, "eventType": "AwsApiCall",
                  "managementEvent": True, "recipientAccountId": account, "eventCategory": "Management"}
        if key:
            record["resources"] = [{"accountId": account, "type": "AWS::KMS::Key", "ARN": key}]
        yield (event_id, account, "us-east-1", t, source, name, int(ro), 1, user, akid, record["requestID"], None,
               json.dumps(record, separators=(",", ":")), key)


COLUMNS = "event_id, account_id, region, event_time_ms, event_source, event_name, read_only, management, username, access_key_id, request_id, error_code, record"


def sqlite(path, n, account):
    import sqlite3
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    batch, res = [], []
    for r in rows(n, account):
        batch.append(r[:13])
        if r[13]:
            res.append((r[0], account, "us-east-1", r[3], "AWS::KMS::Key", r[13]))
        if len(batch) >= 20000:
            db.executemany(f"INSERT INTO audit_events ({COLUMNS}) VALUES ({','.join('?' * 13)})", batch)
            db.executemany("INSERT INTO audit_resources VALUES (?,?,?,?,?,?)", res)
            batch, res = [], []
    db.executemany(f"INSERT INTO audit_events ({COLUMNS}) VALUES ({','.join('?' * 13)})", batch)
    db.executemany("INSERT INTO audit_resources VALUES (?,?,?,?,?,?)", res)
    db.commit()
    db.close()


def postgres(url, n, account):
    def esc(v):
        if v is None:
            return "\\N"
        return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    events, res = io.StringIO(), io.StringIO()
    for r in rows(n, account):
        events.write("\t".join(esc(v) for v in r[:13]) + "\n")
        if r[13]:
            res.write("\t".join(esc(v) for v in (r[0], account, "us-east-1", r[3], "AWS::KMS::Key", r[13])) + "\n")
    for table, cols, data in (("audit_events", COLUMNS, events), ("audit_resources",
                              "event_id, account_id, region, event_time_ms, resource_type, resource_name", res)):
        subprocess.run(["psql", url, "-q", "-c", f"COPY {table} ({cols}) FROM STDIN"], input=data.getvalue(),
                       text=True, check=True)
    subprocess.run(["psql", url, "-q", "-c", "ANALYZE"], check=True)


if __name__ == "__main__":
    kind, target, n, account = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    (sqlite if kind == "sqlite" else postgres)(target, n, account)
