"""Prints a wrk Lua script that cycles through several signed requests (a mixed load): KMS Encrypt and DescribeKey
(JSON), STS GetCallerIdentity (Query) and S3 PutObject (REST, 256 bytes), each signed by botocore's own signer.

Usage: mixed_requests.py ENDPOINT CREDENTIALS_FILE|- KEY_ID BUCKET|-   (with "-" no S3 PutObject is in the mix)
"""
import base64
import hashlib
import json
import sys

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest

from signed_request import credentials


def main():
    endpoint, cred_file, key_id, bucket = sys.argv[1:5]
    creds = credentials(cred_file)
    reqs = []

    def json_call(service, target, body):
        r = AWSRequest(method="POST", url=endpoint + "/", data=body,
                       headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
        SigV4Auth(creds, service, "us-east-1").add_auth(r)
        reqs.append(("POST", "/", dict(r.headers), body))

    plaintext = base64.b64encode(b"x" * 1024).decode()
    json_call("kms", "TrentService.Encrypt", json.dumps({"KeyId": key_id, "Plaintext": plaintext}))
    json_call("kms", "TrentService.DescribeKey", json.dumps({"KeyId": key_id}))
    body = "Action=GetCallerIdentity&Version=2011-06-15"
    r = AWSRequest(method="POST", url=endpoint + "/", data=body,
                   headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(creds, "sts", "us-east-1").add_auth(r)
    reqs.append(("POST", "/", dict(r.headers), body))
    obj = "o" * 256
    r = None if bucket == "-" else AWSRequest(method="PUT", url=f"{endpoint}/{bucket}/object", data=obj,
                   headers={"x-amz-content-sha256": hashlib.sha256(obj.encode()).hexdigest(), "Content-Type": "text/plain"})
    if r is not None:
        S3SigV4Auth(creds, "s3", "us-east-1").add_auth(r)
        reqs.append(("PUT", f"/{bucket}/object", dict(r.headers), obj))

    # wrk.format runs here at load time, before wrk fills in its own Host header, so the signed host is given.
    host = endpoint.split("://", 1)[1]
    out = ["local reqs = {}"]
    for method, path, headers, body in reqs:
        headers = {"Host": host, **headers}
        hs = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
        out.append(f"table.insert(reqs, wrk.format({json.dumps(method)}, {json.dumps(path)}, {{{hs}}}, {json.dumps(body)}))")
    out += ["local i = 0", "request = function()", "  i = i % #reqs + 1", "  return reqs[i]", "end"]
    print("\n".join(out))


if __name__ == "__main__":
    main()
