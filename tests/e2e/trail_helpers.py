"""Shared set-up for trail tests: a bucket CloudTrail may write into, log and digest files read back from it."""
import gzip
import json
import time

CLOUDTRAIL_POLICY = """{{"Version":"2012-10-17","Statement":[
 {{"Sid":"AWSCloudTrailAclCheck","Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},
   "Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::{b}"}},
 {{"Sid":"AWSCloudTrailWrite","Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},
   "Action":"s3:PutObject","Resource":"arn:aws:s3:::{b}/*",
   "Condition":{{"StringEquals":{{"s3:x-amz-acl":"bucket-owner-full-control"}}}}}}]}}"""


def trail_bucket(w, name, region="us-east-1"):
    s3 = w.client("s3", region=region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_policy(Bucket=name, Policy=CLOUDTRAIL_POLICY.format(b=name))
    return s3


def keys(s3, bucket, prefix=""):
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        out += [o["Key"] for o in page.get("Contents", [])]
    return out


def log_keys(s3, bucket, prefix=""):
    return [k for k in keys(s3, bucket, prefix) if "/CloudTrail/" in k]


def digest_keys(s3, bucket, prefix=""):
    return [k for k in keys(s3, bucket, prefix) if "/CloudTrail-Digest/" in k]


def read_gz_json(s3, bucket, key):
    return json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))


def records(s3, bucket, prefix=""):
    out = []
    for k in log_keys(s3, bucket, prefix):
        out += read_gz_json(s3, bucket, k)["Records"]
    return out


def wait_for(predicate, timeout=40, interval=0.3, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")
