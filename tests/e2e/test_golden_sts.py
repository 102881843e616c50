"""Golden responses for the STS operation Warden serves (GetCallerIdentity). STS speaks Query/XML, so the document
compared is botocore's parse of the response, without ResponseMetadata, against one written from AWS's documentation.

Sources:
  DOC-EX   botocore's examples-1.json for sts 2011-06-15 (the API Reference examples): {Account, Arn, UserId}
  STS-SNAP localstack tests/aws/services/sts/test_sts.snapshot.json (recorded from AWS): caller-identity-user,
           exactly Account, Arn, UserId
  USERID   API_GetCallerIdentity: UserId is the aws:userid value of the IAM User Guide's policy-variables principal
           table, which for the AWS account root user is the account ID; the root user's ARN is arn:<partition>:iam::<account>:root
"""
import pytest

from conftest import BACKENDS
from golden import assert_document

SOURCE = "DOC-EX GetCallerIdentity; STS-SNAP caller-identity-user (exactly Account, Arn, UserId); USERID (root: UserId = account ID)"


def identity(client):
    out = client.get_caller_identity()
    meta = out.pop("ResponseMetadata")
    assert meta["HTTPStatusCode"] == 200
    return out


@pytest.mark.parametrize("backend", BACKENDS)
def test_get_caller_identity_documents(make_warden, backend):
    w = make_warden(backend)
    assert_document(identity(w.client("sts")),
                    {"Account": "000000000000", "Arn": "arn:aws:iam::000000000000:root", "UserId": "000000000000"}, SOURCE)
    # The partition of the ARN follows the region the request is signed for (AWS partitions aws-cn, aws-us-gov).
    for region, partition in [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")]:
        assert_document(identity(w.client("sts", region=region)),
                        {"Account": "000000000000", "Arn": f"arn:{partition}:iam::000000000000:root", "UserId": "000000000000"},
                        f"{SOURCE}; ARN partitions per the AWS General Reference")
    # A key made for another account answers as that account's root user.
    made = w.cli("credentials", "create", "--account-id", "111122223333")
    assert made.returncode == 0, made.stderr
    fields = dict(line.split(" = ") for line in made.stdout.splitlines() if " = " in line)
    other = w.client("sts", key=fields["aws_access_key_id"], secret=fields["aws_secret_access_key"])
    assert_document(identity(other), {"Account": "111122223333", "Arn": "arn:aws:iam::111122223333:root", "UserId": "111122223333"},
                    SOURCE)


@pytest.mark.parametrize("backend", BACKENDS)
def test_get_caller_identity_dev_mode_document(make_warden, backend):
    w = make_warden(backend, dev=True, extra_args=["--account-id", "123456789012"])
    out = identity(w.client("sts", key="AKIAI44QH8DHBEXAMPLE", secret="anything"))
    assert_document(out, {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:root", "UserId": "123456789012"}, SOURCE)
