"""KMS rotation (on demand and scheduled, old material kept) and grants, through boto3 on SQLite and PostgreSQL."""
import time

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import BACKENDS, code


def test_rotation_keeps_every_generation(kms_dev):
    w, kms = kms_dev
    k = kms.create_key()["KeyMetadata"]
    first = kms.encrypt(KeyId=k["KeyId"], Plaintext=b"gen 0", EncryptionContext={"g": "0"})["CiphertextBlob"]
    status = kms.get_key_rotation_status(KeyId=k["KeyId"])
    assert status["KeyRotationEnabled"] is False and status["KeyId"] == k["Arn"]
    raw = w.client("kms", validate=False)
    for bad in (89, 2561):
        with pytest.raises(ClientError) as e:
            raw.enable_key_rotation(KeyId=k["KeyId"], RotationPeriodInDays=bad)
        assert code(e) == "ValidationException"
    kms.enable_key_rotation(KeyId=k["KeyId"], RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=k["KeyId"])
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 90
    next_date = status["NextRotationDate"]
    kms.rotate_key_on_demand(KeyId=k["KeyId"])
    second = kms.encrypt(KeyId=k["KeyId"], Plaintext=b"gen 1")["CiphertextBlob"]
    m = kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
    assert m["CurrentKeyMaterialId"] != k["CurrentKeyMaterialId"]
    rotations = kms.list_key_rotations(KeyId=k["KeyId"])["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]
    assert rotations[0]["KeyMaterialId"] == m["CurrentKeyMaterialId"]
    assert kms.get_key_rotation_status(KeyId=k["KeyId"])["NextRotationDate"] == next_date
    # 91 days later the background job rotates on schedule.
    requests.post(w.endpoint + "/_warden/clock?advance=%d" % (91 * 86400)).raise_for_status()
    deadline = time.time() + 10
    while time.time() < deadline and len(kms.list_key_rotations(KeyId=k["KeyId"])["Rotations"]) < 2:
        time.sleep(0.2)
    rotations = kms.list_key_rotations(KeyId=k["KeyId"])["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND", "AUTOMATIC"]
    assert kms.get_key_rotation_status(KeyId=k["KeyId"])["NextRotationDate"] > next_date
    all_material = kms.list_key_rotations(KeyId=k["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert len(all_material) == 3
    assert kms.decrypt(CiphertextBlob=first, EncryptionContext={"g": "0"})["Plaintext"] == b"gen 0"
    assert kms.decrypt(CiphertextBlob=second)["Plaintext"] == b"gen 1"
    third = kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=k["KeyId"], Plaintext=b"gen 2")["CiphertextBlob"])
    assert third["KeyMaterialId"] == rotations[-1]["KeyMaterialId"]
    # Restart: the rotated generations all survive.
    w.stop()
    w.start()
    kms = w.client("kms")
    assert kms.decrypt(CiphertextBlob=first, EncryptionContext={"g": "0"})["Plaintext"] == b"gen 0"
    assert kms.decrypt(CiphertextBlob=second)["Plaintext"] == b"gen 1"
    kms.disable_key_rotation(KeyId=k["KeyId"])
    assert kms.get_key_rotation_status(KeyId=k["KeyId"])["KeyRotationEnabled"] is False


def test_rotation_rules(strict):
    kms = strict.client("kms")
    signer = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    for call in (kms.enable_key_rotation, kms.rotate_key_on_demand):
        with pytest.raises(ClientError) as e:
            call(KeyId=signer)
        assert code(e) == "UnsupportedOperationException"
    k = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=k)
    with pytest.raises(ClientError) as e:
        kms.rotate_key_on_demand(KeyId=k)
    assert code(e) == "DisabledException"
    kms.enable_key(KeyId=k)
    with pytest.raises(ClientError) as e:
        kms.enable_key_rotation(KeyId="alias/none")
    assert code(e) == "NotFoundException"
    for _ in range(25):
        kms.rotate_key_on_demand(KeyId=k)
    with pytest.raises(ClientError) as e:
        kms.rotate_key_on_demand(KeyId=k)
    assert code(e) == "LimitExceededException"
    assert len(kms.list_key_rotations(KeyId=k, Limit=10)["Rotations"]) == 10
    pages = list(kms.get_paginator("list_key_rotations").paginate(KeyId=k, PaginationConfig={"PageSize": 10}))
    assert sum(len(p["Rotations"]) for p in pages) == 25


def test_grants(strict):
    kms = strict.client("kms")
    k = kms.create_key()["KeyMetadata"]
    account = k["AWSAccountId"]
    grantee = f"arn:aws:iam::{account}:role/app"
    retiree = f"arn:aws:iam::{account}:role/ops"
    g = kms.create_grant(KeyId=k["KeyId"], GranteePrincipal=grantee, RetiringPrincipal=retiree, Name="app-decrypt",
                         Operations=["Decrypt", "Encrypt"], Constraints={"EncryptionContextSubset": {"tenant": "a"}})
    assert len(g["GrantId"]) == 64 and g["GrantToken"]
    again = kms.create_grant(KeyId=k["KeyId"], GranteePrincipal=grantee, RetiringPrincipal=retiree, Name="app-decrypt",
                             Operations=["Decrypt", "Encrypt"], Constraints={"EncryptionContextSubset": {"tenant": "a"}})
    assert again["GrantId"] == g["GrantId"] and again["GrantToken"] == g["GrantToken"]
    other = kms.create_grant(KeyId=k["Arn"], GranteePrincipal=grantee, Operations=["GenerateDataKey"])
    listed = kms.list_grants(KeyId=k["KeyId"])["Grants"]
    assert [x["GrantId"] for x in listed] == [g["GrantId"], other["GrantId"]]
    first = listed[0]
    assert first["KeyId"] == k["Arn"] and first["GranteePrincipal"] == grantee and first["RetiringPrincipal"] == retiree
    assert first["Operations"] == ["Decrypt", "Encrypt"] and first["Name"] == "app-decrypt"
    assert first["Constraints"] == {"EncryptionContextSubset": {"tenant": "a"}}
    assert first["IssuingAccount"] == f"arn:aws:iam::{account}:root"
    assert [x["GrantId"] for x in kms.list_grants(KeyId=k["KeyId"], GrantId=other["GrantId"])["Grants"]] == [other["GrantId"]]
    assert [x["GrantId"] for x in kms.list_retirable_grants(RetiringPrincipal=retiree)["Grants"]] == [g["GrantId"]]
    page = kms.list_grants(KeyId=k["KeyId"], Limit=1)
    assert page["Truncated"] and len(page["Grants"]) == 1
    assert kms.list_grants(KeyId=k["KeyId"], Marker=page["NextMarker"])["Grants"][0]["GrantId"] == other["GrantId"]
    # Grant tokens ride along on cryptographic calls; a forged one is refused.
    kms.encrypt(KeyId=k["KeyId"], Plaintext=b"x", GrantTokens=[g["GrantToken"]], EncryptionContext={"tenant": "a"})
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=k["KeyId"], Plaintext=b"x", GrantTokens=["not-a-token"])
    assert code(e) == "InvalidGrantTokenException"
    # Invalid grants.
    with pytest.raises(ClientError) as e:
        kms.create_grant(KeyId=k["KeyId"], GranteePrincipal=grantee, Operations=["Sign"])
    assert code(e) == "ValidationException"
    signer = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as e:
        kms.create_grant(KeyId=signer, GranteePrincipal=grantee, Operations=["Sign"],
                         Constraints={"EncryptionContextEquals": {"a": "b"}})
    assert code(e) == "ValidationException"
    kms.create_grant(KeyId=signer, GranteePrincipal=grantee, Operations=["Sign", "Verify", "GetPublicKey"])
    with pytest.raises(ClientError) as e:
        kms.create_grant(KeyId=k["KeyId"], GranteePrincipal=grantee, Operations=["Decrypt"], DryRun=True)
    assert code(e) == "DryRunOperationException"
    # Retire by token, revoke by id; unknown ids and tokens get KMS's errors.
    kms.retire_grant(GrantToken=g["GrantToken"])
    with pytest.raises(ClientError) as e:
        kms.retire_grant(GrantToken=g["GrantToken"])
    assert code(e) == "InvalidGrantTokenException"
    kms.revoke_grant(KeyId=k["KeyId"], GrantId=other["GrantId"])
    with pytest.raises(ClientError) as e:
        kms.revoke_grant(KeyId=k["KeyId"], GrantId=other["GrantId"])
    assert code(e) == "NotFoundException"
    with pytest.raises(ClientError) as e:
        kms.revoke_grant(KeyId=k["KeyId"], GrantId="short")
    assert code(e) == "InvalidGrantIdException"
    assert kms.list_grants(KeyId=k["KeyId"])["Grants"] == []
    third = kms.create_grant(KeyId=k["KeyId"], GranteePrincipal=grantee, Operations=["Decrypt"])
    kms.retire_grant(KeyId=k["KeyId"], GrantId=third["GrantId"])
    kms.disable_key(KeyId=k["KeyId"])
    with pytest.raises(ClientError) as e:
        kms.create_grant(KeyId=k["KeyId"], GranteePrincipal=grantee, Operations=["Decrypt"])
    assert code(e) == "DisabledException"
