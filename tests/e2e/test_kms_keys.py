"""KMS key lifecycle, aliases, tags and policies through boto3 and awscli, on SQLite and PostgreSQL."""
import base64
import json
import sqlite3
import subprocess

import pytest
import requests
from botocore.exceptions import ClientError

from conftest import BACKENDS, code


SPECS = [
    ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "EncryptionAlgorithms", ["SYMMETRIC_DEFAULT"]),
    ("RSA_2048", "ENCRYPT_DECRYPT", "EncryptionAlgorithms", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]),
    ("RSA_3072", "SIGN_VERIFY", "SigningAlgorithms", ["RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
                                                      "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384",
                                                      "RSASSA_PKCS1_V1_5_SHA_512"]),
    ("ECC_NIST_P256", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_256"]),
    ("ECC_NIST_P384", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_384"]),
    ("ECC_NIST_P521", "KEY_AGREEMENT", "KeyAgreementAlgorithms", ["ECDH"]),
    ("ECC_SECG_P256K1", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_256"]),
    ("HMAC_224", "GENERATE_VERIFY_MAC", "MacAlgorithms", ["HMAC_SHA_224"]),
    ("HMAC_512", "GENERATE_VERIFY_MAC", "MacAlgorithms", ["HMAC_SHA_512"]),
]


def test_create_and_describe_every_spec(strict):
    kms = strict.client("kms")
    for spec, usage, field, algorithms in SPECS:
        m = kms.create_key(KeySpec=spec, KeyUsage=usage, Description=f"{spec} key")["KeyMetadata"]
        assert m["KeySpec"] == spec and m["CustomerMasterKeySpec"] == spec
        assert m["KeyUsage"] == usage and m["KeyState"] == "Enabled" and m["Enabled"] is True
        assert m[field] == algorithms
        assert m["Origin"] == "AWS_KMS" and m["KeyManager"] == "CUSTOMER" and m["MultiRegion"] is False
        assert m["Arn"] == f"arn:aws:kms:us-east-1:{m['AWSAccountId']}:key/{m['KeyId']}"
        # Only symmetric keys name their current material (KMS API reference, KeyMetadata.CurrentKeyMaterialId).
        assert (len(m["CurrentKeyMaterialId"]) == 64) if spec == "SYMMETRIC_DEFAULT" else ("CurrentKeyMaterialId" not in m)
        assert kms.describe_key(KeyId=m["KeyId"])["KeyMetadata"] == m
        assert kms.describe_key(KeyId=m["Arn"])["KeyMetadata"] == m
    ids = [k["KeyId"] for k in kms.list_keys()["Keys"]]
    assert len(ids) == len(SPECS)


def test_create_key_errors(strict):
    kms = strict.client("kms")
    with pytest.raises(ClientError) as e:
        kms.create_key(KeySpec="RSA_2048")
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kms.create_key(KeySpec="RSA_2048", KeyUsage="GENERATE_VERIFY_MAC")
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="ENCRYPT_DECRYPT")
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kms.create_key(KeySpec="SM2", KeyUsage="SIGN_VERIFY")
    assert code(e) == "UnsupportedOperationException"
    with pytest.raises(ClientError) as e:
        kms.create_key(KeySpec="NOT_A_SPEC")
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kms.create_key(Description="x" * 8193)
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId="11111111-2222-3333-4444-555555555555")
    assert code(e) == "NotFoundException"
    assert "does not exist" in e.value.response["Error"]["Message"]


def test_list_keys_pages(strict):
    kms = strict.client("kms")
    made = {kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(5)}
    seen, marker = [], None
    while True:
        page = kms.list_keys(Limit=2, **({"Marker": marker} if marker else {}))
        assert len(page["Keys"]) <= 2
        seen += [k["KeyId"] for k in page["Keys"]]
        if not page["Truncated"]:
            break
        marker = page["NextMarker"]
    assert set(seen) == made and len(seen) == 5
    paginated = [k["KeyId"] for p in kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 3}) for k in p["Keys"]]
    assert sorted(paginated) == sorted(seen)


def test_enable_disable_description(strict):
    kms = strict.client("kms")
    k = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.update_key_description(KeyId=k, Description="new words")
    assert kms.describe_key(KeyId=k)["KeyMetadata"]["Description"] == "new words"
    kms.disable_key(KeyId=k)
    m = kms.describe_key(KeyId=k)["KeyMetadata"]
    assert m["KeyState"] == "Disabled" and m["Enabled"] is False
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=k, Plaintext=b"x")
    assert code(e) == "DisabledException"
    assert e.value.response["Error"]["Message"] == f"{m['Arn']} is disabled."
    kms.enable_key(KeyId=k)
    assert kms.encrypt(KeyId=k, Plaintext=b"x")["KeyId"] == m["Arn"]


def test_aliases(strict):
    kms = strict.client("kms")
    a = kms.create_key()["KeyMetadata"]
    b = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/app", TargetKeyId=a["KeyId"])
    for ref in ["alias/app", "arn:aws:kms:us-east-1:%s:alias/app" % a["AWSAccountId"]]:
        assert kms.describe_key(KeyId=ref)["KeyMetadata"]["KeyId"] == a["KeyId"]
        assert kms.encrypt(KeyId=ref, Plaintext=b"p")["KeyId"] == a["Arn"]
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="alias/app", TargetKeyId=b["KeyId"])
    assert code(e) == "AlreadyExistsException"
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=b["KeyId"])
    assert code(e) == "InvalidAliasNameException"
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="noprefix", TargetKeyId=b["KeyId"])
    assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="alias/other", TargetKeyId="alias/app")
    assert code(e) == "NotFoundException"
    kms.update_alias(AliasName="alias/app", TargetKeyId=b["KeyId"])
    assert kms.describe_key(KeyId="alias/app")["KeyMetadata"]["KeyId"] == b["KeyId"]
    kms.create_alias(AliasName="alias/second", TargetKeyId=b["KeyId"])
    listed = kms.list_aliases(KeyId=b["KeyId"])["Aliases"]
    assert [x["AliasName"] for x in listed] == ["alias/app", "alias/second"]
    assert listed[0]["AliasArn"].endswith(":alias/app") and listed[0]["TargetKeyId"] == b["KeyId"]
    assert kms.list_aliases(KeyId=a["KeyId"])["Aliases"] == []
    kms.delete_alias(AliasName="alias/app")
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId="alias/app")
    assert code(e) == "NotFoundException"
    with pytest.raises(ClientError) as e:
        kms.delete_alias(AliasName="alias/app")
    assert code(e) == "NotFoundException"


def test_tags(strict):
    kms = strict.client("kms")
    k = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "a"}])["KeyMetadata"]["KeyId"]
    kms.tag_resource(KeyId=k, Tags=[{"TagKey": "team", "TagValue": "b"}, {"TagKey": "env", "TagValue": "prod"}])
    assert kms.list_resource_tags(KeyId=k)["Tags"] == [{"TagKey": "team", "TagValue": "b"}, {"TagKey": "env", "TagValue": "prod"}]
    kms.untag_resource(KeyId=k, TagKeys=["team"])
    assert kms.list_resource_tags(KeyId=k)["Tags"] == [{"TagKey": "env", "TagValue": "prod"}]
    with pytest.raises(ClientError) as e:
        kms.tag_resource(KeyId=k, Tags=[{"TagKey": "aws:reserved", "TagValue": "x"}])
    assert code(e) == "TagException"
    with pytest.raises(ClientError) as e:
        kms.tag_resource(KeyId=k, Tags=[{"TagKey": f"k{i}", "TagValue": "v"} for i in range(50)])
    assert code(e) == "TagException" and e.value.response["Error"]["Message"] == "Too many tags"


def test_key_policy(strict):
    kms = strict.client("kms")
    m = kms.create_key()["KeyMetadata"]
    k, account = m["KeyId"], m["AWSAccountId"]
    policy = json.loads(kms.get_key_policy(KeyId=k, PolicyName="default")["Policy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{account}:root"}
    assert policy["Statement"][0]["Action"] == "kms:*"
    assert kms.list_key_policies(KeyId=k)["PolicyNames"] == ["default"]
    new = {"Version": "2012-10-17", "Statement": [
        {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "app", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:role/app"}, "Action": ["kms:Decrypt"], "Resource": "*"}]}
    kms.put_key_policy(KeyId=k, PolicyName="default", Policy=json.dumps(new))
    assert json.loads(kms.get_key_policy(KeyId=k)["Policy"]) == new
    with pytest.raises(ClientError) as e:
        kms.put_key_policy(KeyId=k, PolicyName="default", Policy="{not json")
    assert code(e) == "MalformedPolicyDocumentException"
    lockout = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:role/app"}, "Action": "kms:Decrypt", "Resource": "*"}]}
    with pytest.raises(ClientError) as e:
        kms.put_key_policy(KeyId=k, PolicyName="default", Policy=json.dumps(lockout))
    assert code(e) == "MalformedPolicyDocumentException"
    kms.put_key_policy(KeyId=k, PolicyName="default", Policy=json.dumps(lockout), BypassPolicyLockoutSafetyCheck=True)
    with pytest.raises(ClientError) as e:
        kms.create_key(Policy=json.dumps(lockout))
    assert code(e) == "MalformedPolicyDocumentException"
    made = kms.create_key(Policy=json.dumps(new))["KeyMetadata"]["KeyId"]
    assert json.loads(kms.get_key_policy(KeyId=made)["Policy"]) == new
    with pytest.raises(ClientError) as e:
        kms.get_key_policy(KeyId=made, PolicyName="other")
    assert code(e) == "NotFoundException"
    # The key whose policy no longer names the account is locked even to the root, as on AWS.
    with pytest.raises(ClientError) as e:
        kms.get_key_policy(KeyId=k, PolicyName="default")
    assert code(e) == "AccessDeniedException"


def test_awscli_key_lifecycle(strict, tmp_path):
    r = strict.aws("kms", "create-key", "--description", "from the cli")
    assert r.returncode == 0, r.stderr
    key = json.loads(r.stdout)["KeyMetadata"]
    assert strict.aws("kms", "create-alias", "--alias-name", "alias/cli", "--target-key-id", key["KeyId"]).returncode == 0
    (tmp_path / "plain").write_bytes(b"secret from a file")
    r = strict.aws("kms", "encrypt", "--key-id", "alias/cli", "--plaintext", f"fileb://{tmp_path / 'plain'}",
                   "--encryption-context", "purpose=test", "--query", "CiphertextBlob", "--output", "text")
    assert r.returncode == 0, r.stderr
    import base64
    (tmp_path / "ct").write_bytes(base64.b64decode(r.stdout.strip()))
    r = strict.aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'ct'}",
                   "--encryption-context", "purpose=test", "--query", "Plaintext", "--output", "text")
    assert r.returncode == 0, r.stderr
    assert base64.b64decode(r.stdout.strip()) == b"secret from a file"
    r = strict.aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'ct'}")
    assert r.returncode != 0 and "InvalidCiphertextException" in r.stderr
    r = strict.aws("kms", "schedule-key-deletion", "--key-id", key["KeyId"], "--pending-window-in-days", "3")
    assert r.returncode != 0 and "ValidationException" in r.stderr


def test_scheduled_deletion_destroys_the_key(kms_dev):
    w, kms = kms_dev
    m = kms.create_key()["KeyMetadata"]
    k = m["KeyId"]
    kms.create_alias(AliasName="alias/doomed", TargetKeyId=k)
    ct = kms.encrypt(KeyId=k, Plaintext=b"bye")["CiphertextBlob"]
    for days in (6, 31):
        with pytest.raises(ClientError) as e:
            kms.schedule_key_deletion(KeyId=k, PendingWindowInDays=days)
        assert code(e) == "ValidationException"
    r = kms.schedule_key_deletion(KeyId=k, PendingWindowInDays=7)
    assert r["KeyState"] == "PendingDeletion" and r["PendingWindowInDays"] == 7 and r["KeyId"] == m["Arn"]
    # DeletionDate only: PendingDeletionWindowInDays is for PendingReplicaDeletion (KMS API reference, KeyMetadata).
    described = kms.describe_key(KeyId=k)["KeyMetadata"]
    assert "PendingDeletionWindowInDays" not in described and described["DeletionDate"]
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=ct)
    assert code(e) == "KMSInvalidStateException"
    assert e.value.response["Error"]["Message"] == f"{m['Arn']} is pending deletion."
    with pytest.raises(ClientError) as e:
        kms.schedule_key_deletion(KeyId=k)
    assert code(e) == "KMSInvalidStateException"
    assert kms.cancel_key_deletion(KeyId=k)["KeyId"] == m["Arn"]
    assert kms.describe_key(KeyId=k)["KeyMetadata"]["KeyState"] == "Disabled"
    with pytest.raises(ClientError) as e:
        kms.cancel_key_deletion(KeyId=k)
    assert code(e) == "KMSInvalidStateException"
    kms.schedule_key_deletion(KeyId=k, PendingWindowInDays=7)
    # Six days later the key still exists; past seven the deletion job destroys it.
    assert requests.post(w.endpoint + "/_warden/clock?advance=518400").status_code == 200
    import time
    time.sleep(1)
    assert kms.describe_key(KeyId=k)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert requests.post(w.endpoint + "/_warden/clock?advance=90000").status_code == 200
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            kms.describe_key(KeyId=k)
            time.sleep(0.2)
        except ClientError as e:
            assert code_of(e) == "NotFoundException"
            break
    else:
        pytest.fail("key not deleted after its window")
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=ct)
    assert code(e) == "InvalidCiphertextException"
    assert kms.list_aliases()["Aliases"] == []
    assert material_rows(w, k) == 0


def code_of(e):
    return e.response["Error"]["Code"]


def material_rows(w, key_id):
    """Rows of key material for the key, read straight from the database."""
    if w.storage == "sqlite":
        db = sqlite3.connect(f"{w.data_dir}/warden.sqlite")
        try:
            return db.execute("SELECT COUNT(*) FROM kms_key_material WHERE key_id = ?", (key_id,)).fetchone()[0]
        finally:
            db.close()
    out = subprocess.run(["psql", w.storage, "-tA", "-c", f"SELECT COUNT(*) FROM kms_key_material WHERE key_id = '{key_id}'"],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def test_state_survives_restart(make_warden):
    for backend in BACKENDS:
        w = make_warden(backend)
        kms = w.client("kms")
        sym = kms.create_key(Description="kept", Tags=[{"TagKey": "a", "TagValue": "b"}])["KeyMetadata"]
        ec = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
        kms.create_alias(AliasName="alias/kept", TargetKeyId=sym["KeyId"])
        grant = kms.create_grant(KeyId=sym["KeyId"], GranteePrincipal="arn:aws:iam::000000000000:role/x", Operations=["Decrypt"])
        policy = kms.get_key_policy(KeyId=sym["KeyId"])["Policy"].replace("Enable IAM User Permissions", "kept across restarts")
        kms.put_key_policy(KeyId=sym["KeyId"], Policy=policy)
        kms.enable_key_rotation(KeyId=sym["KeyId"], RotationPeriodInDays=180)
        old = kms.encrypt(KeyId="alias/kept", Plaintext=b"before rotation")["CiphertextBlob"]
        kms.rotate_key_on_demand(KeyId=sym["KeyId"])
        sym = kms.describe_key(KeyId=sym["KeyId"])["KeyMetadata"]
        ct = kms.encrypt(KeyId="alias/kept", Plaintext=b"before restart", EncryptionContext={"k": "v"})["CiphertextBlob"]
        sig = kms.sign(KeyId=ec["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
        pub = kms.get_public_key(KeyId=ec["KeyId"])["PublicKey"]
        w.stop()
        w.start()
        kms = w.client("kms")
        assert kms.describe_key(KeyId="alias/kept")["KeyMetadata"] == sym
        assert kms.decrypt(CiphertextBlob=ct, EncryptionContext={"k": "v"})["Plaintext"] == b"before restart"
        assert kms.get_public_key(KeyId=ec["KeyId"])["PublicKey"] == pub
        assert kms.verify(KeyId=ec["KeyId"], Message=b"m", Signature=sig, SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]
        assert kms.list_resource_tags(KeyId=sym["KeyId"])["Tags"] == [{"TagKey": "a", "TagValue": "b"}]
        assert [g["GrantId"] for g in kms.list_grants(KeyId=sym["KeyId"])["Grants"]] == [grant["GrantId"]]
        assert kms.get_key_policy(KeyId=sym["KeyId"])["Policy"] == policy
        status = kms.get_key_rotation_status(KeyId=sym["KeyId"])
        assert status["KeyRotationEnabled"] and status["RotationPeriodInDays"] == 180
        assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"before rotation"
        assert len(kms.list_key_rotations(KeyId=sym["KeyId"])["Rotations"]) == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_dev_reset_forgets_keys(make_warden, backend):
    w = make_warden(backend, dev=True)
    kms = w.client("kms")
    k = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/gone", TargetKeyId=k)
    kms.encrypt(KeyId="alias/gone", Plaintext=b"cached")
    assert material_rows(w, k) == 1
    assert requests.post(w.endpoint + "/_warden/reset").status_code == 200
    assert material_rows(w, k) == 0
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId=k)
    assert code(e) == "NotFoundException"
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId="alias/gone", Plaintext=b"x")
    assert code(e) == "NotFoundException"
    assert kms.list_keys()["Keys"] == []


def test_awscli_covers_the_api(strict, tmp_path):
    """The operations through awscli (not only boto3): the CLI's own argument handling and output shapes."""
    def aws(*args):
        r = strict.aws("kms", *args, "--output", "json")
        assert r.returncode == 0, (args, r.stderr)
        return json.loads(r.stdout) if r.stdout.strip() else {}

    sym = aws("create-key", "--tags", "TagKey=env,TagValue=test")["KeyMetadata"]["KeyId"]
    ec = aws("create-key", "--key-spec", "ECC_NIST_P384", "--key-usage", "SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    mac = aws("create-key", "--key-spec", "HMAC_384", "--key-usage", "GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    assert aws("describe-key", "--key-id", sym)["KeyMetadata"]["KeyState"] == "Enabled"
    assert {k["KeyId"] for k in aws("list-keys")["Keys"]} == {sym, ec, mac}
    dk = aws("generate-data-key", "--key-id", sym, "--key-spec", "AES_256", "--encryption-context", "app=cli")
    assert len(base64.b64decode(dk["Plaintext"])) == 32
    assert "Plaintext" not in aws("generate-data-key-without-plaintext", "--key-id", sym, "--number-of-bytes", "16")
    pair = aws("generate-data-key-pair", "--key-id", sym, "--key-pair-spec", "ECC_NIST_P256")
    assert pair["KeyPairSpec"] == "ECC_NIST_P256" and pair["PublicKey"]
    assert len(base64.b64decode(aws("generate-random", "--number-of-bytes", "64")["Plaintext"])) == 64
    (tmp_path / "msg").write_bytes(b"signed by the cli")
    sig = aws("sign", "--key-id", ec, "--message", f"fileb://{tmp_path / 'msg'}", "--signing-algorithm", "ECDSA_SHA_384")
    (tmp_path / "sig").write_bytes(base64.b64decode(sig["Signature"]))
    v = aws("verify", "--key-id", ec, "--message", f"fileb://{tmp_path / 'msg'}", "--signature", f"fileb://{tmp_path / 'sig'}",
            "--signing-algorithm", "ECDSA_SHA_384")
    assert v["SignatureValid"] is True
    assert aws("get-public-key", "--key-id", ec)["KeySpec"] == "ECC_NIST_P384"
    m = aws("generate-mac", "--key-id", mac, "--message", f"fileb://{tmp_path / 'msg'}", "--mac-algorithm", "HMAC_SHA_384")
    (tmp_path / "mac").write_bytes(base64.b64decode(m["Mac"]))
    assert aws("verify-mac", "--key-id", mac, "--message", f"fileb://{tmp_path / 'msg'}", "--mac", f"fileb://{tmp_path / 'mac'}",
               "--mac-algorithm", "HMAC_SHA_384")["MacValid"] is True
    aws("tag-resource", "--key-id", sym, "--tags", "TagKey=owner,TagValue=me")
    assert len(aws("list-resource-tags", "--key-id", sym)["Tags"]) == 2
    aws("untag-resource", "--key-id", sym, "--tag-keys", "owner")
    aws("update-key-description", "--key-id", sym, "--description", "via cli")
    aws("enable-key-rotation", "--key-id", sym, "--rotation-period-in-days", "120")
    assert aws("get-key-rotation-status", "--key-id", sym)["RotationPeriodInDays"] == 120
    aws("rotate-key-on-demand", "--key-id", sym)
    assert len(aws("list-key-rotations", "--key-id", sym)["Rotations"]) == 1
    aws("disable-key-rotation", "--key-id", sym)
    g = aws("create-grant", "--key-id", sym, "--grantee-principal", "arn:aws:iam::000000000000:role/cli",
            "--operations", "Encrypt", "Decrypt", "--retiring-principal", "arn:aws:iam::000000000000:role/ops")
    assert len(aws("list-grants", "--key-id", sym)["Grants"]) == 1
    assert len(aws("list-retirable-grants", "--retiring-principal", "arn:aws:iam::000000000000:role/ops")["Grants"]) == 1
    aws("revoke-grant", "--key-id", sym, "--grant-id", g["GrantId"])
    assert aws("list-key-policies", "--key-id", sym)["PolicyNames"] == ["default"]
    policy = aws("get-key-policy", "--key-id", sym, "--policy-name", "default")["Policy"]
    aws("put-key-policy", "--key-id", sym, "--policy-name", "default", "--policy", policy)
    aws("create-alias", "--alias-name", "alias/cli-a", "--target-key-id", sym)
    aws("update-alias", "--alias-name", "alias/cli-a", "--target-key-id", sym)
    assert [a["AliasName"] for a in aws("list-aliases", "--key-id", sym)["Aliases"]] == ["alias/cli-a"]
    aws("delete-alias", "--alias-name", "alias/cli-a")
    aws("disable-key", "--key-id", ec)
    aws("enable-key", "--key-id", ec)
    assert aws("schedule-key-deletion", "--key-id", mac, "--pending-window-in-days", "7")["KeyState"] == "PendingDeletion"
    aws("cancel-key-deletion", "--key-id", mac)
    ext = aws("create-key", "--origin", "EXTERNAL")["KeyMetadata"]["KeyId"]
    params = aws("get-parameters-for-import", "--key-id", ext, "--wrapping-algorithm", "RSAES_OAEP_SHA_256",
                 "--wrapping-key-spec", "RSA_2048")
    assert params["ImportToken"] and params["PublicKey"]
    mrk = aws("create-key", "--multi-region")["KeyMetadata"]["KeyId"]
    assert aws("replicate-key", "--key-id", mrk, "--replica-region", "us-west-2")["ReplicaKeyMetadata"]["KeyId"] == mrk
    aws("update-primary-region", "--key-id", mrk, "--primary-region", "us-west-2")
    (tmp_path / "plain").write_bytes(b"re-encrypt me")
    blob = aws("encrypt", "--key-id", sym, "--plaintext", f"fileb://{tmp_path / 'plain'}")["CiphertextBlob"]
    (tmp_path / "blob").write_bytes(base64.b64decode(blob))
    other = aws("create-key")["KeyMetadata"]["KeyId"]
    re = aws("re-encrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'blob'}", "--destination-key-id", other)
    assert re["KeyId"].endswith(other)


def test_concurrent_changes_to_one_key_are_all_kept(strict):
    """Tag writes are read-modify-write on the key: twenty at once must leave twenty tags."""
    from concurrent.futures import ThreadPoolExecutor
    kms = strict.client("kms")
    k = kms.create_key()["KeyMetadata"]["KeyId"]

    def tag(i):
        strict.client("kms").tag_resource(KeyId=k, Tags=[{"TagKey": f"t{i}", "TagValue": str(i)}])

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(tag, range(20)))
    tags = {t["TagKey"] for t in kms.list_resource_tags(KeyId=k)["Tags"]}
    assert tags == {f"t{i}" for i in range(20)}
