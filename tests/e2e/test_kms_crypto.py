"""KMS cryptography checked from the other side: boto3 calls verified with `cryptography`, the AWS Encryption SDK
and aws-encryption-cli round trips, exact errors for bad input."""
import base64
import hashlib
import json
import os
import subprocess

import pytest
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

from conftest import BACKENDS, code


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory):
    """One strict-mode server per backend for this module (key generation is the slow part, not the server)."""
    from conftest import Warden, storage_for
    w = Warden(str(tmp_path_factory.mktemp("kms")), storage=storage_for(request.param))
    w.start()
    yield w
    w.stop()


@pytest.fixture(scope="module")
def kms(server):
    return server.client("kms")


@pytest.fixture(scope="module")
def raw(server):
    """A client that skips botocore's own parameter checks, so the server's validation answers."""
    return server.client("kms", validate=False)


@pytest.fixture(scope="module")
def sym(kms):
    return kms.create_key(Description="symmetric")["KeyMetadata"]


def test_encrypt_decrypt_with_context(kms, sym):
    ctx = {"tenant": "acme", "purpose": "unit"}
    r = kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"attack at dawn", EncryptionContext=ctx)
    assert r["KeyId"] == sym["Arn"] and r["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    blob = r["CiphertextBlob"]
    for key_id in (None, sym["KeyId"], sym["Arn"]):
        d = kms.decrypt(CiphertextBlob=blob, EncryptionContext=dict(reversed(list(ctx.items()))),
                        **({"KeyId": key_id} if key_id else {}))
        assert d["Plaintext"] == b"attack at dawn" and d["KeyId"] == sym["Arn"]
        assert d["KeyMaterialId"] == sym["CurrentKeyMaterialId"]
    for wrong in ({}, {"tenant": "acme"}, {"tenant": "ACME", "purpose": "unit"}, dict(ctx, extra="1")):
        with pytest.raises(ClientError) as e:
            kms.decrypt(CiphertextBlob=blob, EncryptionContext=wrong)
        assert code(e) == "InvalidCiphertextException"
    # An empty context and no context are the same.
    blob2 = kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"x", EncryptionContext={})["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob2)["Plaintext"] == b"x"


def test_every_tampered_byte_fails(kms, sym):
    blob = kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"0123456789abcdef")["CiphertextBlob"]
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x01
        with pytest.raises(ClientError) as e:
            kms.decrypt(CiphertextBlob=bytes(bad), KeyId=sym["KeyId"])
        assert code(e) in ("InvalidCiphertextException", "IncorrectKeyException"), i
    for cut in (1, 10, len(blob) - 1):
        with pytest.raises(ClientError) as e:
            kms.decrypt(CiphertextBlob=blob[:cut])
        assert code(e) == "InvalidCiphertextException"


def test_plaintext_limits_and_wrong_key(kms, sym):
    kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"a" * 4096)
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"a" * 4097)
    assert code(e) == "ValidationException"
    assert "4096" in e.value.response["Error"]["Message"]
    other = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"p")["CiphertextBlob"]
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob, KeyId=other["KeyId"])
    assert code(e) == "IncorrectKeyException"
    signer = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=signer["KeyId"], Plaintext=b"p")
    assert code(e) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as e:
        kms.generate_data_key(KeyId=signer["KeyId"], KeySpec="AES_256")
    assert code(e) == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"p", DryRun=True)
    assert code(e) == "DryRunOperationException"


def test_reencrypt(kms, sym):
    dest = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"move me", EncryptionContext={"a": "1"})["CiphertextBlob"]
    r = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"a": "1"}, DestinationKeyId=dest["KeyId"],
                       DestinationEncryptionContext={"b": "2"})
    assert r["SourceKeyId"] == sym["Arn"] and r["KeyId"] == dest["Arn"]
    assert kms.decrypt(CiphertextBlob=r["CiphertextBlob"], EncryptionContext={"b": "2"})["Plaintext"] == b"move me"
    with pytest.raises(ClientError) as e:
        kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=dest["KeyId"])
    assert code(e) == "InvalidCiphertextException"


def test_data_keys_and_random(kms, raw, sym):
    for args, n in (({"KeySpec": "AES_256"}, 32), ({"KeySpec": "AES_128"}, 16), ({"NumberOfBytes": 1}, 1), ({"NumberOfBytes": 1024}, 1024)):
        r = kms.generate_data_key(KeyId=sym["KeyId"], EncryptionContext={"c": "d"}, **args)
        assert len(r["Plaintext"]) == n and r["KeyId"] == sym["Arn"]
        assert kms.decrypt(CiphertextBlob=r["CiphertextBlob"], EncryptionContext={"c": "d"})["Plaintext"] == r["Plaintext"]
    r = kms.generate_data_key_without_plaintext(KeyId=sym["KeyId"], KeySpec="AES_256")
    assert "Plaintext" not in r and len(kms.decrypt(CiphertextBlob=r["CiphertextBlob"])["Plaintext"]) == 32
    for bad in ({}, {"KeySpec": "AES_256", "NumberOfBytes": 32}, {"NumberOfBytes": 0}, {"NumberOfBytes": 1025}):
        with pytest.raises(ClientError) as e:
            raw.generate_data_key(KeyId=sym["KeyId"], **bad)
        assert code(e) == "ValidationException", bad
    rnd = [kms.generate_random(NumberOfBytes=32)["Plaintext"] for _ in range(3)]
    assert all(len(x) == 32 for x in rnd) and len(set(rnd)) == 3
    for bad in (0, 1025):
        with pytest.raises(ClientError) as e:
            raw.generate_random(NumberOfBytes=bad)
        assert code(e) == "ValidationException"


SIGNING = [
    ("RSA_2048", ["RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
                  "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"]),
    ("ECC_NIST_P256", ["ECDSA_SHA_256"]),
    ("ECC_NIST_P384", ["ECDSA_SHA_384"]),
    ("ECC_NIST_P521", ["ECDSA_SHA_512"]),
    ("ECC_SECG_P256K1", ["ECDSA_SHA_256"]),
]
HASHES = {"256": (hashes.SHA256, hashlib.sha256), "384": (hashes.SHA384, hashlib.sha384), "512": (hashes.SHA512, hashlib.sha512)}


def local_verify(pub, algorithm, signature, message):
    h = HASHES[algorithm[-3:]][0]()
    if algorithm.startswith("ECDSA"):
        pub.verify(signature, message, ec.ECDSA(h))
    elif algorithm.startswith("RSASSA_PSS"):
        pub.verify(signature, message, padding.PSS(mgf=padding.MGF1(h), salt_length=padding.PSS.DIGEST_LENGTH), h)
    else:
        pub.verify(signature, message, padding.PKCS1v15(), h)


@pytest.mark.parametrize("spec,algorithms", SIGNING, ids=[s for s, _ in SIGNING])
def test_sign_verifies_with_cryptography(kms, spec, algorithms):
    key = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    pk = kms.get_public_key(KeyId=key["KeyId"])
    assert pk["KeySpec"] == spec and pk["SigningAlgorithms"] == algorithms and pk["KeyId"] == key["Arn"]
    pub = serialization.load_der_public_key(pk["PublicKey"])
    message = b"the message " + spec.encode()
    for alg in algorithms:
        sig = kms.sign(KeyId=key["KeyId"], Message=message, SigningAlgorithm=alg)
        assert sig["KeyId"] == key["Arn"] and sig["SigningAlgorithm"] == alg
        local_verify(pub, alg, sig["Signature"], message)
        with pytest.raises(InvalidSignature):
            local_verify(pub, alg, sig["Signature"], message + b"!")
        assert kms.verify(KeyId=key["KeyId"], Message=message, Signature=sig["Signature"], SigningAlgorithm=alg)["SignatureValid"]
        # DIGEST: the client hashes; the signature is over the same message.
        digest = HASHES[alg[-3:]][1](message).digest()
        dsig = kms.sign(KeyId=key["KeyId"], Message=digest, MessageType="DIGEST", SigningAlgorithm=alg)["Signature"]
        local_verify(pub, alg, dsig, message)
        assert kms.verify(KeyId=key["KeyId"], Message=message, Signature=dsig, SigningAlgorithm=alg)["SignatureValid"]
        with pytest.raises(ClientError) as e:
            kms.verify(KeyId=key["KeyId"], Message=message + b"x", Signature=sig["Signature"], SigningAlgorithm=alg)
        assert code(e) == "KMSInvalidSignatureException"
        with pytest.raises(ClientError) as e:
            kms.sign(KeyId=key["KeyId"], Message=digest[:-1], MessageType="DIGEST", SigningAlgorithm=alg)
        assert code(e) == "ValidationException"
    with pytest.raises(ClientError) as e:
        kms.sign(KeyId=key["KeyId"], Message=message, SigningAlgorithm="RSASSA_PSS_SHA_256" if spec.startswith("ECC") else "ECDSA_SHA_256")
    assert code(e) == "InvalidKeyUsageException"


@pytest.mark.parametrize("curve,spec", [(ec.SECP256R1, "ECC_NIST_P256"), (ec.SECP384R1, "ECC_NIST_P384"), (ec.SECP521R1, "ECC_NIST_P521")])
def test_derive_shared_secret_matches_cryptography(kms, curve, spec):
    key = kms.create_key(KeySpec=spec, KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
    theirs = ec.generate_private_key(curve())
    their_pub = theirs.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    r = kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=their_pub)
    ours = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    assert r["SharedSecret"] == theirs.exchange(ec.ECDH(), ours)
    assert r["KeyId"] == key["Arn"] and r["KeyAgreementAlgorithm"] == "ECDH" and r["KeyOrigin"] == "AWS_KMS"
    with pytest.raises(ClientError) as e:
        kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=b"\x30\x03garbage")
    assert code(e) == "ValidationException"


def test_rsa_encryption(kms):
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    pub = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    for alg, h, limit in (("RSAES_OAEP_SHA_1", hashes.SHA1, 214), ("RSAES_OAEP_SHA_256", hashes.SHA256, 190)):
        ct = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p" * limit, EncryptionAlgorithm=alg)["CiphertextBlob"]
        assert len(ct) == 256
        d = kms.decrypt(KeyId=key["KeyId"], CiphertextBlob=ct, EncryptionAlgorithm=alg)
        assert d["Plaintext"] == b"p" * limit and d["EncryptionAlgorithm"] == alg
        with pytest.raises(ClientError) as e:
            kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p" * (limit + 1), EncryptionAlgorithm=alg)
        assert code(e) == "ValidationException"
        local = pub.encrypt(b"from outside", padding.OAEP(mgf=padding.MGF1(h()), algorithm=h(), label=None))
        assert kms.decrypt(KeyId=key["KeyId"], CiphertextBlob=local, EncryptionAlgorithm=alg)["Plaintext"] == b"from outside"
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=ct, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert code(e) == "InvalidCiphertextException"
    with pytest.raises(ClientError) as e:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p")
    assert code(e) == "InvalidKeyUsageException"


@pytest.mark.parametrize("spec,alg,n", [("HMAC_224", "HMAC_SHA_224", 28), ("HMAC_256", "HMAC_SHA_256", 32),
                                        ("HMAC_384", "HMAC_SHA_384", 48), ("HMAC_512", "HMAC_SHA_512", 64)])
def test_mac_round_trip(kms, spec, alg, n):
    key = kms.create_key(KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    mac = kms.generate_mac(KeyId=key["KeyId"], Message=b"payload", MacAlgorithm=alg)
    assert len(mac["Mac"]) == n and mac["KeyId"] == key["Arn"] and mac["MacAlgorithm"] == alg
    assert kms.generate_mac(KeyId=key["KeyId"], Message=b"payload", MacAlgorithm=alg)["Mac"] == mac["Mac"]
    assert kms.verify_mac(KeyId=key["KeyId"], Message=b"payload", Mac=mac["Mac"], MacAlgorithm=alg)["MacValid"]
    with pytest.raises(ClientError) as e:
        kms.verify_mac(KeyId=key["KeyId"], Message=b"payloaD", Mac=mac["Mac"], MacAlgorithm=alg)
    assert code(e) == "KMSInvalidMacException"
    with pytest.raises(ClientError) as e:
        kms.generate_mac(KeyId=key["KeyId"], Message=b"payload", MacAlgorithm="HMAC_SHA_256" if n != 32 else "HMAC_SHA_512")
    assert code(e) == "InvalidKeyUsageException"


@pytest.mark.parametrize("spec", ["RSA_2048", "ECC_NIST_P256", "ECC_SECG_P256K1"])
def test_data_key_pairs(kms, sym, spec):
    r = kms.generate_data_key_pair(KeyId=sym["KeyId"], KeyPairSpec=spec, EncryptionContext={"p": "q"})
    private = serialization.load_der_private_key(r["PrivateKeyPlaintext"], password=None)
    assert private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == r["PublicKey"]
    assert kms.decrypt(CiphertextBlob=r["PrivateKeyCiphertextBlob"], EncryptionContext={"p": "q"})["Plaintext"] == r["PrivateKeyPlaintext"]
    w = kms.generate_data_key_pair_without_plaintext(KeyId=sym["KeyId"], KeyPairSpec=spec)
    assert "PrivateKeyPlaintext" not in w and w["KeyPairSpec"] == spec
    serialization.load_der_private_key(kms.decrypt(CiphertextBlob=w["PrivateKeyCiphertextBlob"])["Plaintext"], password=None)


def test_audit_never_holds_plaintext(server, kms, sym):
    marker = os.urandom(24)
    kms.encrypt(KeyId=sym["KeyId"], Plaintext=marker, EncryptionContext={"audit": "check"})
    dk = kms.generate_data_key(KeyId=sym["KeyId"], KeySpec="AES_256")["Plaintext"]
    records = server.audit_records()
    text = json.dumps(records)
    for secret in (marker, dk):
        assert base64.b64encode(secret).decode() not in text
    enc = [r for r in records if r["eventName"] == "Encrypt" and (r["requestParameters"] or {}).get("encryptionContext") == {"audit": "check"}]
    assert len(enc) == 1
    assert enc[0]["eventSource"] == "kms.amazonaws.com" and enc[0]["readOnly"] is True
    assert enc[0]["resources"] == [{"accountId": sym["AWSAccountId"], "type": "AWS::KMS::Key", "ARN": sym["Arn"]}]
    assert enc[0]["responseElements"] is None


def test_encryption_sdk_ten_mib(server, kms, sym):
    import aws_encryption_sdk
    from aws_encryption_sdk.identifiers import CommitmentPolicy
    from aws_encryption_sdk.key_providers.kms import KMSMasterKey
    client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
    master = KMSMasterKey(client=kms, key_id=sym["Arn"])
    data = os.urandom(10 * 1024 * 1024)
    ctx = {"file": "big.bin", "owner": "tests"}
    ct, header = client.encrypt(source=data, key_provider=master, encryption_context=ctx)
    assert header.encryption_context["file"] == "big.bin"
    pt, dheader = client.decrypt(source=ct, key_provider=master)
    assert pt == data and dheader.encryption_context["owner"] == "tests"
    # Tamper with the encryption context stored in the message: the data key no longer decrypts.
    tampered = ct.replace(b"big.bin", b"big.bim", 1)
    with pytest.raises(Exception):
        client.decrypt(source=tampered, key_provider=master)


def test_encryption_cli(server, sym, tmp_path):
    key, secret = server.credentials()
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION="us-east-1",
               AWS_ENDPOINT_URL_KMS=server.endpoint, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    src = tmp_path / "plain.bin"
    src.write_bytes(os.urandom(3 * 1024 * 1024))

    def cli(*args):
        return subprocess.run(["aws-encryption-cli", *args, "--wrapping-keys", f"key={sym['Arn']}", "-S"],
                              capture_output=True, text=True, env=env, timeout=120)

    r = cli("--encrypt", "--input", str(src), "--output", str(tmp_path / "ct"), "--encryption-context", "stage=test")
    assert r.returncode == 0, r.stderr
    r = cli("--decrypt", "--input", str(tmp_path / "ct"), "--output", str(tmp_path / "pt"), "--encryption-context", "stage=test")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "pt").read_bytes() == src.read_bytes()
    r = cli("--decrypt", "--input", str(tmp_path / "ct"), "--output", str(tmp_path / "pt2"), "--encryption-context", "stage=prod")
    # The CLI reports the failed decryption and removes the partial output (its exit code stays 0).
    assert "Operation failed" in r.stderr and not (tmp_path / "pt2").exists()
