"""Imported key material (BYOK): wrap with the parameters KMS hands out, import, expire, re-import."""
import datetime
import os
import time

import pytest
import requests
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from conftest import BACKENDS, code


def wrap(params, algorithm, material):
    pub = serialization.load_der_public_key(params["PublicKey"])
    h = hashes.SHA1 if algorithm.endswith("SHA_1") else hashes.SHA256
    oaep = padding.OAEP(mgf=padding.MGF1(h()), algorithm=h(), label=None)
    if algorithm.startswith("RSAES_OAEP"):
        return pub.encrypt(material, oaep)
    kek = os.urandom(32)
    return pub.encrypt(kek, oaep) + aes_key_wrap_with_padding(kek, material)


@pytest.mark.parametrize("algorithm,spec", [("RSAES_OAEP_SHA_1", "RSA_2048"), ("RSAES_OAEP_SHA_256", "RSA_3072"),
                                            ("RSA_AES_KEY_WRAP_SHA_1", "RSA_2048"), ("RSA_AES_KEY_WRAP_SHA_256", "RSA_4096")])
def test_import_symmetric_material(strict, algorithm, spec):
    kms = strict.client("kms")
    k = kms.create_key(Origin="EXTERNAL", Description="byok")["KeyMetadata"]
    assert k["KeyState"] == "PendingImport" and k["Origin"] == "EXTERNAL" and k["Enabled"] is False
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=k["KeyId"], Plaintext=b"x")
    assert code(e) == "KMSInvalidStateException"
    params = kms.get_parameters_for_import(KeyId=k["KeyId"], WrappingAlgorithm=algorithm, WrappingKeySpec=spec)
    assert params["KeyId"] == k["Arn"]
    valid_to = params["ParametersValidTo"]
    now = datetime.datetime.now(valid_to.tzinfo)
    assert datetime.timedelta(hours=23, minutes=59) < valid_to - now <= datetime.timedelta(hours=24, minutes=1)
    assert serialization.load_der_public_key(params["PublicKey"]).key_size == int(spec[4:])
    material = os.urandom(32)
    r = kms.import_key_material(KeyId=k["KeyId"], ImportToken=params["ImportToken"],
                                EncryptedKeyMaterial=wrap(params, algorithm, material),
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert r["KeyId"] == k["Arn"] and len(r["KeyMaterialId"]) == 64
    m = kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
    assert m["KeyState"] == "Enabled" and m["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    ct = kms.encrypt(KeyId=k["KeyId"], Plaintext=b"byok data")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"byok data"
    # Delete the material: the key waits for an import; the same material brings old ciphertexts back.
    kms.delete_imported_key_material(KeyId=k["KeyId"])
    assert kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] == "PendingImport"
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=ct)
    assert code(e) == "KMSInvalidStateException"
    params = kms.get_parameters_for_import(KeyId=k["KeyId"], WrappingAlgorithm=algorithm, WrappingKeySpec=spec)
    with pytest.raises(ClientError) as e:
        kms.import_key_material(KeyId=k["KeyId"], ImportToken=params["ImportToken"],
                                EncryptedKeyMaterial=wrap(params, algorithm, os.urandom(32)),
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert code(e) == "IncorrectKeyMaterialException"
    kms.import_key_material(KeyId=k["KeyId"], ImportToken=params["ImportToken"],
                            EncryptedKeyMaterial=wrap(params, algorithm, material), ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"byok data"


def test_import_errors(strict):
    kms = strict.client("kms")
    k = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    other = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    normal = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as e:
        kms.get_parameters_for_import(KeyId=normal, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    assert code(e) == "UnsupportedOperationException"
    with pytest.raises(ClientError) as e:
        kms.get_parameters_for_import(KeyId=k, WrappingAlgorithm="RSAES_PKCS1_V1_5", WrappingKeySpec="RSA_2048")
    assert code(e) == "ValidationException"
    p = kms.get_parameters_for_import(KeyId=k, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    wrapped = wrap(p, "RSAES_OAEP_SHA_256", os.urandom(32))
    with pytest.raises(ClientError) as e:
        kms.import_key_material(KeyId=other, ImportToken=p["ImportToken"], EncryptedKeyMaterial=wrapped,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert code(e) == "InvalidImportTokenException"
    bad = bytearray(p["ImportToken"])
    bad[len(bad) // 2] ^= 1
    with pytest.raises(ClientError) as e:
        kms.import_key_material(KeyId=k, ImportToken=bytes(bad), EncryptedKeyMaterial=wrapped,
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert code(e) == "InvalidImportTokenException"
    with pytest.raises(ClientError) as e:
        kms.import_key_material(KeyId=k, ImportToken=p["ImportToken"], EncryptedKeyMaterial=wrapped[::-1],
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert code(e) == "InvalidCiphertextException"
    with pytest.raises(ClientError) as e:
        kms.import_key_material(KeyId=k, ImportToken=p["ImportToken"], EncryptedKeyMaterial=wrap(p, "RSAES_OAEP_SHA_256", os.urandom(16)),
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert code(e) == "IncorrectKeyMaterialException"
    with pytest.raises(ClientError) as e:
        kms.import_key_material(KeyId=k, ImportToken=p["ImportToken"], EncryptedKeyMaterial=wrapped, ExpirationModel="KEY_MATERIAL_EXPIRES")
    assert code(e) == "ValidationException"


def test_imported_material_expires_and_token_lifetime(kms_dev):
    w, kms = kms_dev
    k = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    p = kms.get_parameters_for_import(KeyId=k, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    material = os.urandom(32)
    valid_to = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)
    kms.import_key_material(KeyId=k, ImportToken=p["ImportToken"], EncryptedKeyMaterial=wrap(p, "RSAES_OAEP_SHA_256", material),
                            ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to)
    m = kms.describe_key(KeyId=k)["KeyMetadata"]
    assert m["ExpirationModel"] == "KEY_MATERIAL_EXPIRES" and abs((m["ValidTo"] - valid_to).total_seconds()) < 1
    ct = kms.encrypt(KeyId=k, Plaintext=b"short lived")["CiphertextBlob"]
    # Three days on, the material has expired and the token (24 h) too.
    requests.post(w.endpoint + "/_warden/clock?advance=%d" % (3 * 86400)).raise_for_status()
    deadline = time.time() + 10
    while time.time() < deadline and kms.describe_key(KeyId=k)["KeyMetadata"]["KeyState"] != "PendingImport":
        time.sleep(0.2)
    assert kms.describe_key(KeyId=k)["KeyMetadata"]["KeyState"] == "PendingImport"
    with pytest.raises(ClientError) as e:
        kms.import_key_material(KeyId=k, ImportToken=p["ImportToken"], EncryptedKeyMaterial=wrap(p, "RSAES_OAEP_SHA_256", material),
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert code(e) == "ExpiredImportTokenException"
    p = kms.get_parameters_for_import(KeyId=k, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    kms.import_key_material(KeyId=k, ImportToken=p["ImportToken"], EncryptedKeyMaterial=wrap(p, "RSAES_OAEP_SHA_256", material),
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"short lived"


def test_import_asymmetric_and_hmac(strict):
    kms = strict.client("kms")
    k = kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    p = kms.get_parameters_for_import(KeyId=k, WrappingAlgorithm="RSA_AES_KEY_WRAP_SHA_256", WrappingKeySpec="RSA_3072")
    kms.import_key_material(KeyId=k, ImportToken=p["ImportToken"], EncryptedKeyMaterial=wrap(p, "RSA_AES_KEY_WRAP_SHA_256", der),
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    pub = kms.get_public_key(KeyId=k)["PublicKey"]
    assert pub == private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    sig = kms.sign(KeyId=k, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    private.public_key().verify(sig, b"m", ec.ECDSA(hashes.SHA256()))
    # An imported HMAC key: the MAC equals Python's hmac with the same key.
    import hashlib
    import hmac
    h = kms.create_key(Origin="EXTERNAL", KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    secret = os.urandom(32)
    p = kms.get_parameters_for_import(KeyId=h, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048")
    kms.import_key_material(KeyId=h, ImportToken=p["ImportToken"], EncryptedKeyMaterial=wrap(p, "RSAES_OAEP_SHA_256", secret),
                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    mac = kms.generate_mac(KeyId=h, Message=b"payload", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert mac == hmac.new(secret, b"payload", hashlib.sha256).digest()
