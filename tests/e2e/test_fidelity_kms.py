"""KMS answers as AWS does: whole KeyMetadata documents and error bodies compared on the wire.

Sources: "LS" = LocalStack's tests/aws/services/kms/test_kms.snapshot.json (responses recorded from AWS);
"LS-fork" = the same file in a 2025 fork with newer recordings; "docs" = the KMS API reference. Every case names
its source; where AWS's text is not recorded only the error code is asserted.
"""
import os

import pytest
from botocore.exceptions import ClientError

from conftest import code
from golden import golden
from test_kms_import import wrap

ACCT = r"\d{12}"
ARN = r"arn:aws:kms:us-east-1:" + ACCT + r":key/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
MATERIAL_ID = "re:[0-9a-f]{64}"


def err(code_, message=None):
    """An error body: AWS sends no message member when it has nothing to say."""
    doc = {"__type": code_}
    if message is not None:
        doc["message"] = message
    return doc


def metadata(**members):
    """The members every customer managed key's KeyMetadata carries, plus `members`."""
    base = {"AWSAccountId": "re:" + ACCT, "Arn": "re:" + ARN, "CreationDate": "$timestamp", "Description": "",
            "Enabled": True, "KeyId": "$uuid", "KeyManager": "CUSTOMER", "KeyState": "Enabled", "MultiRegion": False,
            "Origin": "AWS_KMS"}
    base.update(members)
    return {k: v for k, v in base.items() if v is not None}


def describe_matches(kms, created, source):
    """DescribeKey returns the very document CreateKey did."""
    m = created["KeyMetadata"]
    expected = {"KeyMetadata": dict(m, CreationDate="$timestamp")}
    golden(kms, "describe_key", {"KeyId": m["KeyId"]}, expected, source)


# ---- Whole KeyMetadata documents -------------------------------------------------------------------------------------

def test_symmetric_key_document(strict):
    kms = strict.client("kms")
    src = "LS-fork TestKMS::test_describe_with_alias_arn (recorded 05-08-2025)"
    doc = golden(kms, "create_key", {}, {"KeyMetadata": metadata(
        CurrentKeyMaterialId=MATERIAL_ID, CustomerMasterKeySpec="SYMMETRIC_DEFAULT",
        EncryptionAlgorithms=["SYMMETRIC_DEFAULT"], KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT")}, src)
    describe_matches(kms, doc, src)


def test_rsa_key_document(strict):
    kms = strict.client("kms")
    src = "LS-fork TestKMS::test_import_key_rsa_aes_wrap_sha256 (RSA_4096 ENCRYPT_DECRYPT); docs: no CurrentKeyMaterialId"
    doc = golden(kms, "create_key", {"KeySpec": "RSA_4096", "KeyUsage": "ENCRYPT_DECRYPT"}, {"KeyMetadata": metadata(
        CustomerMasterKeySpec="RSA_4096", EncryptionAlgorithms=["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"],
        KeySpec="RSA_4096", KeyUsage="ENCRYPT_DECRYPT")}, src)
    describe_matches(kms, doc, src)


@pytest.mark.parametrize("spec,algorithms", [("ECC_NIST_P256", ["ECDSA_SHA_256"]), ("ECC_NIST_P384", ["ECDSA_SHA_384"]),
                                             ("ECC_NIST_P521", ["ECDSA_SHA_512"]), ("ECC_SECG_P256K1", ["ECDSA_SHA_256"])])
def test_ecc_key_document(strict, spec, algorithms):
    kms = strict.client("kms")
    src = "LS-fork TestKMS::test_import_key_ecc_keys; docs: no CurrentKeyMaterialId"
    doc = golden(kms, "create_key", {"KeySpec": spec, "KeyUsage": "SIGN_VERIFY"}, {"KeyMetadata": metadata(
        CustomerMasterKeySpec=spec, KeySpec=spec, KeyUsage="SIGN_VERIFY", SigningAlgorithms=algorithms)}, src)
    describe_matches(kms, doc, src)


@pytest.mark.parametrize("bits", [224, 256, 384, 512])
def test_hmac_key_document(strict, bits):
    kms = strict.client("kms")
    src = "LS TestKMS::test_hmac_create_key; docs: no CurrentKeyMaterialId"
    spec = f"HMAC_{bits}"
    doc = golden(kms, "create_key", {"KeySpec": spec, "KeyUsage": "GENERATE_VERIFY_MAC", "Description": "mac"},
                 {"KeyMetadata": metadata(CustomerMasterKeySpec=spec, Description="mac", KeySpec=spec,
                                          KeyUsage="GENERATE_VERIFY_MAC", MacAlgorithms=[f"HMAC_SHA_{bits}"])}, src)
    describe_matches(kms, doc, src)


def test_external_key_documents_through_import_and_delete(strict):
    kms = strict.client("kms")
    src = "LS TestKMS::test_import_key_symmetric (created-key, describe-key-before-import, -after-deleted-import)"
    pending = metadata(CustomerMasterKeySpec="SYMMETRIC_DEFAULT", Enabled=False, EncryptionAlgorithms=["SYMMETRIC_DEFAULT"],
                       KeySpec="SYMMETRIC_DEFAULT", KeyState="PendingImport", KeyUsage="ENCRYPT_DECRYPT", Origin="EXTERNAL")
    doc = golden(kms, "create_key", {"Origin": "EXTERNAL"}, {"KeyMetadata": pending}, src)
    k = doc["KeyMetadata"]
    golden(kms, "describe_key", {"KeyId": k["KeyId"]}, {"KeyMetadata": pending}, src)
    golden(kms, "encrypt", {"KeyId": k["KeyId"], "Plaintext": b"x"},
           err("KMSInvalidStateException", f"{k['Arn']} is pending import."), "LS test_import_key_symmetric: encrypt-before-import-error", status=400)
    p = kms.get_parameters_for_import(KeyId=k["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    material = os.urandom(32)
    # Neither ExpirationModel nor ValidTo: AWS assumes KEY_MATERIAL_EXPIRES and asks for ValidTo.
    golden(kms, "import_key_material", {"KeyId": k["KeyId"], "ImportToken": p["ImportToken"],
                                        "EncryptedKeyMaterial": wrap(p, "RSAES_OAEP_SHA_256", material)},
           err("ValidationException", "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"),
           "LS test_import_key_symmetric", status=400)
    r = kms.import_key_material(KeyId=k["KeyId"], ImportToken=p["ImportToken"],
                                EncryptedKeyMaterial=wrap(p, "RSAES_OAEP_SHA_256", material),
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    imported = dict(pending, Enabled=True, KeyState="Enabled", ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
                    CurrentKeyMaterialId=r["KeyMaterialId"])
    golden(kms, "describe_key", {"KeyId": k["KeyId"]}, {"KeyMetadata": imported},
           "LS test_import_key_symmetric describe-key-after-import; docs + test_kms.py: CurrentKeyMaterialId on import")
    kms.delete_imported_key_material(KeyId=k["KeyId"])
    golden(kms, "describe_key", {"KeyId": k["KeyId"]}, {"KeyMetadata": pending},
           "LS test_import_key_symmetric describe-key-after-deleted-import (ExpirationModel removed)")
    golden(kms, "encrypt", {"KeyId": k["KeyId"], "Plaintext": b"x"},
           err("KMSInvalidStateException", f"{k['Arn']} is pending import."), "LS test_import_key_symmetric: encrypt-after-delete-error", status=400)


def test_external_ecc_and_hmac_keys_list_no_material_id(strict):
    kms = strict.client("kms")
    src = "LS test_import_key_symmetric created-key shape; docs: CurrentKeyMaterialId only for symmetric keys"
    golden(kms, "create_key", {"Origin": "EXTERNAL", "KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"},
           {"KeyMetadata": metadata(CustomerMasterKeySpec="ECC_NIST_P256", Enabled=False, KeySpec="ECC_NIST_P256",
                                    KeyState="PendingImport", KeyUsage="SIGN_VERIFY", Origin="EXTERNAL",
                                    SigningAlgorithms=["ECDSA_SHA_256"])}, src)
    golden(kms, "create_key", {"Origin": "EXTERNAL", "KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"},
           {"KeyMetadata": metadata(CustomerMasterKeySpec="HMAC_256", Enabled=False, KeySpec="HMAC_256",
                                    KeyState="PendingImport", KeyUsage="GENERATE_VERIFY_MAC", Origin="EXTERNAL",
                                    MacAlgorithms=["HMAC_SHA_256"])}, src)


# ---- Key references --------------------------------------------------------------------------------------------------

def test_key_not_found_and_invalid_key_ids(strict):
    kms = strict.client("kms")
    acct = kms.create_key()["KeyMetadata"]["AWSAccountId"]
    src = "LS TestKMS::test_get_key_does_not_exist / test_get_key_invalid_uuid / test_get_key_in_different_region"
    missing = "11111111-2222-3333-4444-555555555555"
    arn = f"arn:aws:kms:us-east-1:{acct}:key/{missing}"
    for ref in (missing, arn):
        golden(kms, "describe_key", {"KeyId": ref}, err("NotFoundException", f"Key '{arn}' does not exist"), src, status=400)
    mrk = "mrk-d3b95762d3b95762d3b95762d3b95762"
    golden(kms, "describe_key", {"KeyId": mrk},
           err("NotFoundException", f"Key 'arn:aws:kms:us-east-1:{acct}:key/{mrk}' does not exist"), src, status=400)
    for bad in ("fake-key-id", "134f2428cec14b25a1ae9048164dba47", "mrk-fake-key-id"):
        golden(kms, "describe_key", {"KeyId": bad}, err("NotFoundException", f"Invalid keyId '{bad}'"), src, status=400)
    golden(kms, "describe_key", {"KeyId": f"arn:aws:kms:ap-southeast-1:{acct}:key/{missing}"},
           err("NotFoundException", "Invalid arn ap-southeast-1"), src, status=400)
    golden(kms, "rotate_key_on_demand", {"KeyId": missing}, err("NotFoundException", f"Key '{arn}' does not exist"),
           "LS-fork test_rotate_key_on_demand_raises_error_given_key_that_does_not_exist", status=400)
    golden(kms, "generate_mac", {"KeyId": "key_id", "Message": b"m", "MacAlgorithm": "HMAC_SHA_256"},
           err("NotFoundException", "Invalid keyId 'key_id'"), "LS test_generate_and_verify_mac: generate-mac-invalid-key-id", status=400)


# ---- Encrypt limits, key usage and wrong keys -------------------------------------------------------------------------

@pytest.mark.parametrize("spec,limits", [("RSA_2048", (214, 190)), ("RSA_3072", (342, 318)), ("RSA_4096", (470, 446))])
def test_rsa_plaintext_limits(strict, spec, limits):
    kms = strict.client("kms")
    k = kms.create_key(KeySpec=spec, KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    for alg, limit in zip(("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"), limits):
        kms.encrypt(KeyId=k, Plaintext=b"p" * limit, EncryptionAlgorithm=alg)
        golden(kms, "encrypt", {"KeyId": k, "Plaintext": b"p" * (limit + 1), "EncryptionAlgorithm": alg},
               err("ValidationException", f"Algorithm {alg} and key spec {spec} cannot encrypt data larger than {limit} bytes."),
               f"LS test_encrypt_validate_plaintext_size_per_key_type[{spec}-{alg}]", status=400)


def test_incorrect_key_versus_invalid_key_usage(strict):
    kms = strict.client("kms")
    sym = kms.create_key()["KeyMetadata"]
    other = kms.create_key()["KeyMetadata"]
    signer = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    mac = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    blob = kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"p")["CiphertextBlob"]
    incorrect = err("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")
    src = "LS TestKMS::test_error_messaging_for_invalid_keys: decrypt-invalid-key-id"
    golden(kms, "decrypt", {"CiphertextBlob": blob, "KeyId": other["KeyId"]}, incorrect, src, status=400)
    golden(kms, "decrypt", {"CiphertextBlob": blob, "KeyId": signer["KeyId"]}, incorrect, src, status=400)
    golden(kms, "re_encrypt", {"CiphertextBlob": blob, "SourceKeyId": other["KeyId"], "DestinationKeyId": sym["KeyId"]},
           incorrect, "LS-fork test_re_encrypt_incorrect_source_key", status=400)
    src = "LS TestKMS::test_error_messaging_for_invalid_keys"
    for op, params, key, usage, name in [
        ("generate_mac", {"Message": b"m", "MacAlgorithm": "HMAC_SHA_256"}, sym, "ENCRYPT_DECRYPT", "GenerateMac"),
        ("sign", {"Message": b"m", "SigningAlgorithm": "ECDSA_SHA_256"}, mac, "GENERATE_VERIFY_MAC", "Sign"),
        ("verify", {"Message": b"m", "Signature": b"s", "SigningAlgorithm": "ECDSA_SHA_256"}, sym, "ENCRYPT_DECRYPT", "Verify"),
        ("encrypt", {"Plaintext": b"p"}, signer, "SIGN_VERIFY", "Encrypt"),
    ]:
        golden(kms, op, dict(params, KeyId=key["KeyId"]),
               err("InvalidKeyUsageException", f"{key['Arn']} key usage is {usage} which is not valid for {name}."), src, status=400)
    golden(kms, "generate_mac", {"KeyId": mac["KeyId"], "Message": b"m", "MacAlgorithm": "HMAC_SHA_512"},
           err("InvalidKeyUsageException", "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256."),
           "LS test_invalid_generate_mac", status=400)


def test_empty_messages(strict):
    kms = strict.client("kms")
    sym = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"p", EncryptionContext={"a": "b"})["CiphertextBlob"]
    golden(kms, "decrypt", {"CiphertextBlob": blob}, err("InvalidCiphertextException"),
           "LS test_encrypt_decrypt_encryption_context (missing context)", status=400)
    golden(kms, "decrypt", {"CiphertextBlob": b"garbage" * 10}, err("InvalidCiphertextException"),
           "LS-fork decrypt_response_with_invalid_ciphertext", status=400)
    signer = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    sig = kms.sign(KeyId=signer["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    golden(kms, "verify", {"KeyId": signer["KeyId"], "Message": b"other", "Signature": sig, "SigningAlgorithm": "ECDSA_SHA_256"},
           err("KMSInvalidSignatureException"), "LS test_sign_verify: bad-signature", status=400)
    mac = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    golden(kms, "verify_mac", {"KeyId": mac["KeyId"], "Message": b"m", "Mac": b"x" * 32, "MacAlgorithm": "HMAC_SHA_256"},
           err("KMSInvalidMacException"), "LS test_invalid_verify_mac", status=400)
    rsa = kms.create_key(KeySpec="RSA_4096", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    golden(kms, "rotate_key_on_demand", {"KeyId": rsa["KeyId"]}, err("UnsupportedOperationException"),
           "LS-fork test_rotate_key_on_demand_raises_error_given_non_symmetric_key", status=400)
    # The state check runs first: a disabled RSA key is DisabledException.
    kms.disable_key(KeyId=rsa["KeyId"])
    golden(kms, "rotate_key_on_demand", {"KeyId": rsa["KeyId"]}, err("DisabledException", f"{rsa['Arn']} is disabled."),
           "LS-fork test_rotate_key_on_demand_raises_error_given_key_is_disabled", status=400)


def test_state_messages(strict):
    kms = strict.client("kms")
    k = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=k["KeyId"])
    golden(kms, "encrypt", {"KeyId": k["KeyId"], "Plaintext": b"p"}, err("DisabledException", f"{k['Arn']} is disabled."),
           "LS-fork rotate-key disabled text; LS test_cant_use_disabled_or_deleted_keys (code)", status=400)
    kms.schedule_key_deletion(KeyId=k["KeyId"], PendingWindowInDays=7)
    pending = err("KMSInvalidStateException", f"{k['Arn']} is pending deletion.")
    golden(kms, "encrypt", {"KeyId": k["KeyId"], "Plaintext": b"p"}, pending,
           "terraform-provider-aws#17889 (real AWS text); LS test_cant_use_disabled_or_deleted_keys (code)", status=400)
    golden(kms, "schedule_key_deletion", {"KeyId": k["KeyId"]}, pending,
           "terraform-provider-aws#17889: ScheduleKeyDeletion on a key pending deletion", status=400)


def test_generate_random_number_of_bytes(strict):
    raw = strict.client("kms", validate=False)
    golden(raw, "generate_random", {}, err("ValidationException", "NumberOfBytes is required."),
           "LS test_generate_random_invalid_number_of_bytes[None]", status=400)
    for n, rule in ((0, "greater than or equal to 1"), (1025, "less than or equal to 1024")):
        golden(raw, "generate_random", {"NumberOfBytes": n}, err("ValidationException",
               f"1 validation error detected: Value '{n}' at 'numberOfBytes' failed to satisfy constraint: Member must have value {rule}"),
               "LS test_generate_random_invalid_number_of_bytes", status=400)


# ---- Tags ------------------------------------------------------------------------------------------------------------

def test_tag_rules(strict):
    kms = strict.client("kms")
    raw = strict.client("kms", validate=False)
    src = "LS-fork test_create_key_with_invalid_tag_key / test_tag_existing_key_with_invalid_tag_key"
    for key in ("aws:tag", "AWS:tag"):
        golden(kms, "create_key", {"Tags": [{"TagKey": key, "TagValue": "v"}]},
               err("TagException", "Tags beginning with aws: are reserved"), src, status=400)
    k = kms.create_key()["KeyMetadata"]["KeyId"]
    golden(kms, "tag_resource", {"KeyId": k, "Tags": [{"TagKey": "aws:x", "TagValue": "v"}]},
           err("TagException", "Tags beginning with aws: are reserved"), src, status=400)
    dup = [{"TagKey": "a", "TagValue": "1"}, {"TagKey": "a", "TagValue": "2"}]
    golden(kms, "tag_resource", {"KeyId": k, "Tags": dup}, err("TagException", "Duplicate tag keys"),
           "LS-fork test_tag_key_with_duplicate_tag_keys_raises_error", status=400)
    golden(kms, "create_key", {"Tags": dup}, err("TagException", "Duplicate tag keys"),
           "LS-fork test_tag_key_with_duplicate_tag_keys_raises_error", status=400)
    many = [{"TagKey": f"k{i}", "TagValue": "v"} for i in range(51)]
    golden(kms, "create_key", {"Tags": many}, err("TagException", "Too many tags"),
           "LS-fork test_create_key_with_too_many_tags_raises_error", status=400)
    long_key = "k" * 129
    golden(raw, "create_key", {"Tags": [{"TagKey": long_key, "TagValue": "v"}]}, err("ValidationException",
           f"1 validation error detected: Value '{long_key}' at 'tags.1.member.tagKey' failed to satisfy constraint: "
           "Member must have length less than or equal to 128"), "LS-fork test_create_key_with_invalid_tag_key[too_long_key]", status=400)
    long_value = "v" * 257
    golden(raw, "tag_resource", {"KeyId": k, "Tags": [{"TagKey": "t", "TagValue": long_value}]}, err("ValidationException",
           f"1 validation error detected: Value '{long_value}' at 'tags.1.member.tagValue' failed to satisfy constraint: "
           "Member must have length less than or equal to 256"), "LS-fork test_key_with_long_tag_value_raises_error", status=400)
    # Insertion order kept; an existing key's value updated in place.
    kms.tag_resource(KeyId=k, Tags=[{"TagKey": "b", "TagValue": "1"}, {"TagKey": "a", "TagValue": "1"}])
    kms.tag_resource(KeyId=k, Tags=[{"TagKey": "b", "TagValue": "2"}, {"TagKey": "c", "TagValue": "1"}])
    golden(kms, "list_resource_tags", {"KeyId": k}, {"Tags": [{"TagKey": "b", "TagValue": "2"}, {"TagKey": "a", "TagValue": "1"},
                                                             {"TagKey": "c", "TagValue": "1"}], "Truncated": False},
           "LS-fork test_update_and_add_tags_on_tagged_key")


# ---- Aliases ---------------------------------------------------------------------------------------------------------

def test_alias_names(strict):
    kms = strict.client("kms")
    raw = strict.client("kms", validate=False)
    k = kms.create_key()["KeyMetadata"]["KeyId"]
    golden(kms, "create_alias", {"AliasName": "no-prefix", "TargetKeyId": k}, err("ValidationException",
           'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html'),
           "LS TestKMS::test_create_alias; aws-controllers-k8s/community#1878", status=400)
    # AWS's alias characters are letters, digits, '/', '_' and '-' (docs); its texts for these are not recorded.
    for bad in ("alias/my:alias", "alias/has space", "alias/" + "a" * 251):
        with pytest.raises(ClientError) as e:
            raw.create_alias(AliasName=bad, TargetKeyId=k)
        assert code(e) == "ValidationException", bad
    name = "alias/" + "a" * 250
    kms.create_alias(AliasName=name, TargetKeyId=k)
    kms.create_alias(AliasName="alias/ok/with_all-chars09", TargetKeyId=k)
    assert {a["AliasName"] for a in kms.list_aliases(KeyId=k)["Aliases"]} == {name, "alias/ok/with_all-chars09"}


# ---- Imported key material --------------------------------------------------------------------------------------------

def test_get_parameters_for_import_on_kms_key(strict):
    kms = strict.client("kms")
    k = kms.create_key()["KeyMetadata"]
    golden(kms, "get_parameters_for_import", {"KeyId": k["KeyId"], "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"},
           err("UnsupportedOperationException", f"{k['Arn']} origin is AWS_KMS which is not valid for this operation."),
           "LS test_get_parameters_for_import", status=400)


def import_material(kms, key_id, material, **kw):
    p = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    return kms.import_key_material(KeyId=key_id, ImportToken=p["ImportToken"],
                                   EncryptedKeyMaterial=wrap(p, "RSAES_OAEP_SHA_256", material),
                                   ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE", **kw)


def test_on_demand_rotation_of_imported_material(strict):
    """docs (RotateKeyOnDemand, ImportKeyMaterial ImportType) and LocalStack's aws-validated
    test_rotate_key_on_demand_updates_current_key_material_for_external_keys."""
    kms = strict.client("kms")
    k = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    first = import_material(kms, k["KeyId"], os.urandom(32))["KeyMaterialId"]
    assert kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"] == first
    old = kms.encrypt(KeyId=k["KeyId"], Plaintext=b"before")["CiphertextBlob"]
    # Nothing pending: AWS's answer is not recorded (see the server's comment), so only an error is asserted.
    with pytest.raises(ClientError):
        kms.rotate_key_on_demand(KeyId=k["KeyId"])
    second = import_material(kms, k["KeyId"], os.urandom(32), ImportType="NEW_KEY_MATERIAL",
                             KeyMaterialDescription="gen 2")["KeyMaterialId"]
    assert second != first
    assert kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"] == first
    listed = kms.list_key_rotations(KeyId=k["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [(r["KeyMaterialId"], r["KeyMaterialState"], r["ImportState"]) for r in listed] == [
        (first, "CURRENT", "IMPORTED"), (second, "PENDING_ROTATION", "IMPORTED")]
    assert listed[1]["KeyMaterialDescription"] == "gen 2" and listed[1]["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert kms.list_key_rotations(KeyId=k["KeyId"])["Rotations"] == []
    # A second new material while one is pending is refused (AWS's code and text not recorded).
    with pytest.raises(ClientError):
        import_material(kms, k["KeyId"], os.urandom(32), ImportType="NEW_KEY_MATERIAL")
    assert kms.rotate_key_on_demand(KeyId=k["KeyId"])["KeyId"] == k["Arn"]
    m = kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
    assert m["CurrentKeyMaterialId"] == second and m["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    new = kms.encrypt(KeyId=k["KeyId"], Plaintext=b"after")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"before"
    d = kms.decrypt(CiphertextBlob=new)
    assert d["Plaintext"] == b"after" and d["KeyMaterialId"] == second
    rotations = kms.list_key_rotations(KeyId=k["KeyId"])["Rotations"]
    assert [(r["KeyMaterialId"], r["KeyMaterialState"], r["RotationType"]) for r in rotations] == [(second, "CURRENT", "ON_DEMAND")]
    # Asymmetric EXTERNAL keys cannot take new material.
    ecc = kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError):
        kms.rotate_key_on_demand(KeyId=ecc)


def test_on_demand_rotation_limit_text(strict):
    kms = strict.client("kms")
    k = kms.create_key()["KeyMetadata"]
    for _ in range(25):
        kms.rotate_key_on_demand(KeyId=k["KeyId"])
    golden(kms, "rotate_key_on_demand", {"KeyId": k["KeyId"]}, err("LimitExceededException",
           "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be "
           f"performed for this key: {k['Arn']}"), "LS-fork test_key_rotations_limits", status=400)
