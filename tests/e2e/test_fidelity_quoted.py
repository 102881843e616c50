"""Error texts known from AWS's answers quoted in public issue threads (each case names the thread), as whole bodies."""
import pytest

from conftest import BACKENDS, cloudwatch_client
from golden import golden


@pytest.mark.parametrize("backend", BACKENDS)
def test_quoted_kms_and_cloudwatch_texts(make_warden, backend, tmp_path):
    w = make_warden(backend)
    kms = w.client("kms", validate=False)
    acct = w.client("sts").get_caller_identity()["Account"]
    golden(kms, "describe_key", {"KeyId": "alias/missing"},
           {"__type": "NotFoundException", "message": f"Alias arn:aws:kms:us-east-1:{acct}:alias/missing is not found."},
           "AWS's answer quoted in sigstore/cosign#1474 and cloudposse/docs#152", status=400)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    for days in (1, 6, 31):
        golden(kms, "schedule_key_deletion", {"KeyId": key, "PendingWindowInDays": days},
               {"__type": "ValidationException", "message": "PendingWindowInDays must be between 7 and 30"},
               "AWS's answer for 1 quoted in Skyscanner/kms-issuer#8 (the model allows 1-365; KMS checks 7-30)", status=400)
    cw = cloudwatch_client(w, tmp_path, "json")
    golden(cw, "put_metric_data", {"Namespace": "n", "MetricData": [{"MetricName": "m", "Value": 1, "StorageResolution": 5}]},
           {"__type": "InvalidParameterValueException",
            "message": "The parameter MetricData.member.1.StorageResolution must be a value in the set [ 1, 60 ]."},
           "message quoted from CloudWatch in boto/botocore#1671 (its code is not shown there)", status=400,
           headers={"x-amzn-query-error": "InvalidParameterValue;Sender"})
