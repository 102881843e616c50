"""Runs with an old boto3 whose SQS model still speaks the Query protocol (see requirements-legacy.txt), against the
Warden at WARDEN_ENDPOINT. Each scenario prints one JSON object of what the client saw; the test asserts on it."""
import base64
import json
import os
import sys

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError


def client():
    return boto3.client("sqs", endpoint_url=os.environ["WARDEN_ENDPOINT"], region_name="us-east-1",
                        aws_access_key_id=os.environ["WARDEN_KEY"], aws_secret_access_key=os.environ["WARDEN_SECRET"],
                        config=Config(retries={"max_attempts": 1}))


def error(call):
    try:
        call()
    except ClientError as e:
        return {"code": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
                "type": e.response["Error"].get("Type")}
    return None


def standard():
    c = client()
    out = {"protocol": c.meta.service_model.protocol, "botocore": botocore.__version__}
    url = c.create_queue(QueueName="legacy", Attributes={"VisibilityTimeout": "40"}, tags={"team": "a"})["QueueUrl"]
    out["url"] = url
    out["get_url"] = c.get_queue_url(QueueName="legacy")["QueueUrl"]
    out["list"] = c.list_queues(QueueNamePrefix="leg")["QueueUrls"]
    out["attrs"] = c.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout", "QueueArn"])["Attributes"]
    c.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "0", "MaximumMessageSize": "2048"})
    out["max_size"] = c.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]["MaximumMessageSize"]
    c.tag_queue(QueueUrl=url, Tags={"env": "test"})
    c.untag_queue(QueueUrl=url, TagKeys=["team"])
    out["tags"] = c.list_queue_tags(QueueUrl=url)["Tags"]
    # botocore checks MD5OfMessageBody and MD5OfMessageAttributes of both the send and the receive.
    sent = c.send_message(QueueUrl=url, MessageBody="héllo & <xml>", MessageAttributes={
        "s": {"DataType": "String", "StringValue": "v"}, "n": {"DataType": "Number", "StringValue": "12"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"}})
    out["sent_md5"] = sent["MD5OfMessageBody"]
    got = c.receive_message(QueueUrl=url, AttributeNames=["All"], MessageAttributeNames=["All"], WaitTimeSeconds=1)["Messages"]
    m = got[0]
    out["received"] = {"body": m["Body"], "id_matches": m["MessageId"] == sent["MessageId"],
                       "receive_count": m["Attributes"]["ApproximateReceiveCount"],
                       "attrs": {k: v.get("StringValue") or base64.b64encode(v["BinaryValue"]).decode()
                                 for k, v in m["MessageAttributes"].items()}}
    c.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    again = c.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    out["receive_count_again"] = again["Attributes"]["ApproximateReceiveCount"]
    c.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
    batch = c.send_message_batch(QueueUrl=url, Entries=[{"Id": f"m{i}", "MessageBody": f"body {i}"} for i in range(3)]
                                 + [{"Id": "bad", "MessageBody": "nul \u0000 char"}])
    out["batch"] = {"ok": sorted(e["Id"] for e in batch["Successful"]),
                    "failed": [(e["Id"], e["Code"], e["SenderFault"]) for e in batch.get("Failed", [])]}
    msgs = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    out["batch_bodies"] = sorted(m["Body"] for m in msgs)
    vis = c.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "a", "ReceiptHandle": msgs[0]["ReceiptHandle"], "VisibilityTimeout": 60},
        {"Id": "bad", "ReceiptHandle": "nonsense", "VisibilityTimeout": 60}])
    out["vis_batch"] = {"ok": [e["Id"] for e in vis["Successful"]], "failed": [(e["Id"], e["Code"]) for e in vis["Failed"]]}
    deleted = c.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                            for i, m in enumerate(msgs)])
    out["deleted"] = len(deleted["Successful"])
    out["empty_receive"] = "Messages" in c.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    c.purge_queue(QueueUrl=url)
    out["errors"] = {
        "missing_queue": error(lambda: c.get_queue_url(QueueName="nope")),
        "bad_attribute": error(lambda: c.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "99999"})),
        "bad_receipt": error(lambda: c.delete_message(QueueUrl=url, ReceiptHandle="garbage")),
        "too_large": error(lambda: c.send_message(QueueUrl=url, MessageBody="y" * 4096)),
    }
    c.delete_queue(QueueUrl=url)
    out["after_delete"] = error(lambda: c.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]))
    return out


def fifo():
    c = client()
    url = c.create_queue(QueueName="legacy.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    for i in range(4):
        c.send_message(QueueUrl=url, MessageBody=f"g{i}", MessageGroupId="g")
    c.send_message(QueueUrl=url, MessageBody="g0", MessageGroupId="g")  # a duplicate by content
    seen = []
    while True:
        got = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
        if not got:
            break
        for m in got:
            seen.append((m["Body"], m["Attributes"]["MessageGroupId"], m["Attributes"]["SequenceNumber"]))
            c.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return {"seen": seen}


if __name__ == "__main__":
    print(json.dumps({"standard": standard, "fifo": fifo}[sys.argv[1]]()))
