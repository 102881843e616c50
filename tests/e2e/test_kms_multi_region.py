"""Multi-Region keys: replicas in other regions of the same server share material; the primary can move."""
import pytest
from botocore.exceptions import ClientError

from conftest import BACKENDS, code


@pytest.mark.parametrize("backend", BACKENDS)
def test_replicate_and_move_primary(make_warden, backend):
    w = make_warden(backend)
    east, west = w.client("kms", region="us-east-1"), w.client("kms", region="eu-west-1")
    k = east.create_key(MultiRegion=True, Description="global")["KeyMetadata"]
    assert k["KeyId"].startswith("mrk-") and len(k["KeyId"]) == 36 and k["MultiRegion"] is True
    cfg = k["MultiRegionConfiguration"]
    assert cfg["MultiRegionKeyType"] == "PRIMARY" and cfg["PrimaryKey"] == {"Arn": k["Arn"], "Region": "us-east-1"}
    assert cfg["ReplicaKeys"] == []
    with pytest.raises(ClientError) as e:
        west.describe_key(KeyId=k["KeyId"])
    assert code(e) == "NotFoundException"
    ct = east.encrypt(KeyId=k["KeyId"], Plaintext=b"made in us-east-1", EncryptionContext={"r": "1"})["CiphertextBlob"]

    r = east.replicate_key(KeyId=k["KeyId"], ReplicaRegion="eu-west-1", Description="the copy",
                           Tags=[{"TagKey": "site", "TagValue": "dub"}])
    replica = r["ReplicaKeyMetadata"]
    west_arn = k["Arn"].replace("us-east-1", "eu-west-1")
    assert replica["Arn"] == west_arn and replica["KeyId"] == k["KeyId"] and replica["Description"] == "the copy"
    assert replica["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert r["ReplicaTags"] == [{"TagKey": "site", "TagValue": "dub"}]
    assert east.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]["ReplicaKeys"] == [
        {"Arn": west_arn, "Region": "eu-west-1"}]
    # A ciphertext from one region decrypts in the other, both ways.
    d = west.decrypt(CiphertextBlob=ct, EncryptionContext={"r": "1"})
    assert d["Plaintext"] == b"made in us-east-1" and d["KeyId"] == west_arn
    back = west.encrypt(KeyId=k["KeyId"], Plaintext=b"made in eu-west-1")["CiphertextBlob"]
    assert east.decrypt(CiphertextBlob=back)["Plaintext"] == b"made in eu-west-1"
    with pytest.raises(ClientError) as e:
        east.replicate_key(KeyId=k["KeyId"], ReplicaRegion="eu-west-1")
    assert code(e) == "AlreadyExistsException"
    with pytest.raises(ClientError) as e:
        west.replicate_key(KeyId=k["KeyId"], ReplicaRegion="ap-south-1")
    assert code(e) == "UnsupportedOperationException"
    plain = east.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as e:
        east.replicate_key(KeyId=plain, ReplicaRegion="eu-west-1")
    assert code(e) == "UnsupportedOperationException"
    # Rotation on the primary reaches the replica: material made after it decrypts in both regions.
    east.rotate_key_on_demand(KeyId=k["KeyId"])
    rotated = east.encrypt(KeyId=k["KeyId"], Plaintext=b"after rotation")["CiphertextBlob"]
    assert west.decrypt(CiphertextBlob=rotated)["Plaintext"] == b"after rotation"
    assert east.decrypt(CiphertextBlob=west.encrypt(KeyId=k["KeyId"], Plaintext=b"west")["CiphertextBlob"])["Plaintext"] == b"west"
    # A replica does not name its current material; its primary does.
    assert "CurrentKeyMaterialId" not in west.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
    assert len(east.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]) == 64
    with pytest.raises(ClientError) as e:
        west.rotate_key_on_demand(KeyId=k["KeyId"])
    assert code(e) == "UnsupportedOperationException"
    # Move the primary to eu-west-1.
    east.update_primary_region(KeyId=k["KeyId"], PrimaryRegion="eu-west-1")
    m_west = west.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    m_east = east.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    assert m_west["MultiRegionKeyType"] == "PRIMARY" and m_east["MultiRegionKeyType"] == "REPLICA"
    assert m_east["PrimaryKey"]["Region"] == "eu-west-1" and m_east["ReplicaKeys"] == [{"Arn": k["Arn"], "Region": "us-east-1"}]
    west.rotate_key_on_demand(KeyId=k["KeyId"])
    with pytest.raises(ClientError) as e:
        east.update_primary_region(KeyId=k["KeyId"], PrimaryRegion="eu-west-1")
    assert code(e) == "UnsupportedOperationException"
    # Survives a restart.
    w.stop()
    w.start()
    west = w.client("kms", region="eu-west-1")
    assert west.decrypt(CiphertextBlob=ct, EncryptionContext={"r": "1"})["Plaintext"] == b"made in us-east-1"


def test_primary_waits_for_its_replicas(make_warden):
    import time
    import requests
    w = make_warden("sqlite", dev=True, extra_args=["--job-interval", "0.2"])
    east, west = w.client("kms", region="us-east-1"), w.client("kms", region="eu-west-1")
    k = east.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    east.replicate_key(KeyId=k, ReplicaRegion="eu-west-1")
    r = east.schedule_key_deletion(KeyId=k, PendingWindowInDays=7)
    assert r["KeyState"] == "PendingReplicaDeletion"
    requests.post(w.endpoint + "/_warden/clock?advance=%d" % (8 * 86400)).raise_for_status()
    time.sleep(1)
    assert east.describe_key(KeyId=k)["KeyMetadata"]["KeyState"] == "PendingReplicaDeletion"
    west.schedule_key_deletion(KeyId=k, PendingWindowInDays=7)
    requests.post(w.endpoint + "/_warden/clock?advance=%d" % (8 * 86400)).raise_for_status()
    deadline = time.time() + 10
    gone = set()
    while time.time() < deadline and len(gone) < 2:
        for name, client in (("east", east), ("west", west)):
            try:
                client.describe_key(KeyId=k)
            except ClientError as e:
                assert e.response["Error"]["Code"] == "NotFoundException"
                gone.add(name)
        time.sleep(0.2)
    assert gone == {"east", "west"}
