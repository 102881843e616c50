"""`warden serve --seed FILE`: fixed key ids, aliases and material, idempotent, the same on every fresh server."""
import base64
import hashlib
import hmac
import os
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import BACKENDS, WARDEN

SYM_ID = "0b6f1c8e-3d2a-4f5b-9c1d-7e8f9a0b1c2d"
EC_ID = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
MAC_ID = "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a"
MRK_ID = "mrk-00112233445566778899aabbccddeeff"


@pytest.fixture
def seed_file(tmp_path):
    sym = base64.b64encode(bytes(range(32))).decode()
    mac = base64.b64encode(b"k" * 32).decode()
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    indented = "\n".join("        " + line for line in pem.strip().splitlines())
    text = f"""
kms:
  keys:
    - id: {SYM_ID}
      description: app data key
      aliases: [alias/app-data, alias/app-data-v1]
      material: {sym}
      tags: {{team: payments}}
    - id: {EC_ID}
      spec: ECC_NIST_P256
      usage: SIGN_VERIFY
      material: |
{indented}
    - id: {MAC_ID}
      spec: HMAC_256
      usage: GENERATE_VERIFY_MAC
      material: {mac}
    - id: {MRK_ID}
      region: eu-west-1
      enabled: false
"""
    p = tmp_path / "seed.yaml"
    p.write_text(text)
    return p, private


@pytest.mark.parametrize("backend", BACKENDS)
def test_seeded_keys_are_the_same_on_every_fresh_server(make_warden, seed_file, backend):
    path, private = seed_file
    a = make_warden(backend, extra_args=["--seed", str(path)])
    b = make_warden(backend, extra_args=["--seed", str(path)])
    ka, kb = a.client("kms"), b.client("kms")
    m = ka.describe_key(KeyId="alias/app-data")["KeyMetadata"]
    assert m["KeyId"] == SYM_ID and m["Description"] == "app data key" and m["KeyState"] == "Enabled"
    assert ka.list_resource_tags(KeyId=SYM_ID)["Tags"] == [{"TagKey": "team", "TagValue": "payments"}]
    assert sorted(x["AliasName"] for x in ka.list_aliases(KeyId=SYM_ID)["Aliases"]) == ["alias/app-data", "alias/app-data-v1"]
    # A ciphertext from one fresh server decrypts on another: same key id, same material.
    ct = ka.encrypt(KeyId="alias/app-data", Plaintext=b"fixture", EncryptionContext={"f": "1"})["CiphertextBlob"]
    assert kb.decrypt(CiphertextBlob=ct, EncryptionContext={"f": "1"})["Plaintext"] == b"fixture"
    pub = kb.get_public_key(KeyId=EC_ID)["PublicKey"]
    assert pub == private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert ka.generate_mac(KeyId=MAC_ID, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"] == hmac.new(b"k" * 32, b"m", hashlib.sha256).digest()
    west = a.client("kms", region="eu-west-1")
    assert west.describe_key(KeyId=MRK_ID)["KeyMetadata"]["KeyState"] == "Disabled"
    # Idempotent: a restart with the same seed changes nothing and keeps what the server did since.
    ka.update_key_description(KeyId=SYM_ID, Description="changed at runtime")
    a.stop()
    a.start()
    ka = a.client("kms")
    assert ka.describe_key(KeyId=SYM_ID)["KeyMetadata"]["Description"] == "changed at runtime"
    assert len(ka.list_keys()["Keys"]) == 3
    assert ka.decrypt(CiphertextBlob=ct, EncryptionContext={"f": "1"})["Plaintext"] == b"fixture"


@pytest.mark.parametrize("backend", BACKENDS)
def test_conflicting_seed_refuses_to_start(make_warden, seed_file, tmp_path, backend):
    path, _ = seed_file
    w = make_warden(backend, extra_args=["--seed", str(path)])
    w.stop()
    other = tmp_path / "other.yaml"
    other.write_text(f"kms:\n  keys:\n    - id: {SYM_ID}\n      material: {base64.b64encode(os.urandom(32)).decode()}\n")
    r = subprocess.run([WARDEN, "serve", "--port", "0", "--data-dir", w.data_dir, "--storage", w.storage, "--seed", str(other)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "other key material" in r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("kms:\n  keys:\n    - id: not-a-uuid\n")
    r = subprocess.run([WARDEN, "serve", "--port", "0", "--data-dir", w.data_dir, "--storage", w.storage, "--seed", str(bad)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "not-a-uuid" in r.stderr
    typo = tmp_path / "typo.yaml"
    typo.write_text("kmz:\n  keys: []\n")
    r = subprocess.run([WARDEN, "serve", "--port", "0", "--data-dir", w.data_dir, "--storage", w.storage, "--seed", str(typo)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "unknown section" in r.stderr


@pytest.mark.parametrize("backend", BACKENDS)
def test_dev_reset_keeps_seeded_fixtures(make_warden, seed_file, backend):
    """A suite that resets between tests still finds its fixtures, and their ciphertexts still decrypt."""
    import requests
    path, _ = seed_file
    w = make_warden(backend, dev=True, extra_args=["--seed", str(path)])
    kms = w.client("kms")
    ct = kms.encrypt(KeyId="alias/app-data", Plaintext=b"fixture")["CiphertextBlob"]
    extra = kms.create_key()["KeyMetadata"]["KeyId"]
    assert requests.post(w.endpoint + "/_warden/reset").status_code == 200
    assert {k["KeyId"] for k in kms.list_keys()["Keys"]} == {SYM_ID, EC_ID, MAC_ID}
    assert extra not in {k["KeyId"] for k in kms.list_keys()["Keys"]}
    assert kms.decrypt(CiphertextBlob=ct)["Plaintext"] == b"fixture"
