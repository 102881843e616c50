"""Prints a wrk Lua script that sends one request signed by botocore's own SigV4 signer.

Usage: signed_request.py ENDPOINT CREDENTIALS_FILE|- SERVICE (query BODY | json TARGET BODY_JSON | rest PATH BODY)
SigV4 has no replay protection, so wrk may send the same signed request for the signature's 15 minutes.
"""
import json
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def credentials(path):
    key, secret = "AKIDBENCH", "bench"
    if path != "-":
        for line in open(path):
            if line.startswith("aws_access_key_id"):
                key = line.split("=", 1)[1].strip()
            if line.startswith("aws_secret_access_key"):
                secret = line.split("=", 1)[1].strip()
    return Credentials(key, secret)


def main():
    endpoint, cred_file, service, kind = sys.argv[1:5]
    path = "/"
    if kind == "query":
        body = sys.argv[5]
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    elif kind == "rest":
        # REST-JSON (Lambda): the operation is in the path.
        path, body = sys.argv[5], sys.argv[6]
        headers = {"Content-Type": "application/json"}
    else:
        target, body = sys.argv[5], sys.argv[6]
        # SQS speaks AWS JSON 1.0; the other JSON services here 1.1.
        version = "1.0" if target.startswith("AmazonSQS.") else "1.1"
        headers = {"Content-Type": f"application/x-amz-json-{version}", "X-Amz-Target": target}
    req = AWSRequest(method="POST", url=endpoint + path, data=body, headers=headers)
    SigV4Auth(credentials(cred_file), service, "us-east-1").add_auth(req)
    lines = [f'wrk.method = "POST"', f"wrk.path = {json.dumps(path)}", f"wrk.body = {json.dumps(body)}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in req.headers.items()]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
