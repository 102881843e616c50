"""CloudWatch through an old boto3 whose CloudWatch model speaks the Query protocol; prints what the client saw."""
import json
import os
from datetime import datetime, timedelta, timezone

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

cw = boto3.client("cloudwatch", endpoint_url=os.environ["WARDEN_ENDPOINT"], region_name="us-east-1",
                  aws_access_key_id=os.environ["WARDEN_KEY"], aws_secret_access_key=os.environ["WARDEN_SECRET"],
                  config=Config(retries={"max_attempts": 1}))
out = {"protocol": cw.meta.service_model.protocol}
ts = datetime.now(timezone.utc).replace(second=0, microsecond=0)
dims = [{"Name": "Page", "Value": "/home"}]
cw.put_metric_data(Namespace="Legacy", MetricData=[{"MetricName": "Hits", "Dimensions": dims, "Timestamp": ts, "Value": v, "Unit": "Count"}
                                                   for v in (1, 2, 3)])
s = cw.get_metric_statistics(Namespace="Legacy", MetricName="Hits", Dimensions=dims, StartTime=ts, EndTime=ts + timedelta(minutes=1),
                             Period=60, Statistics=["Sum", "SampleCount"])
out["stats"] = [[d["Sum"], d["SampleCount"], d["Unit"]] for d in s["Datapoints"]]
out["metrics"] = [[m["Namespace"], m["MetricName"], [[d["Name"], d["Value"]] for d in m["Dimensions"]]]
                  for m in cw.list_metrics(Namespace="Legacy")["Metrics"]]
cw.put_metric_alarm(AlarmName="legacy-alarm", Namespace="Legacy", MetricName="Hits", Dimensions=dims, Statistic="Sum", Period=60,
                    EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanThreshold")
a = cw.describe_alarms(AlarmNames=["legacy-alarm"])["MetricAlarms"][0]
out["alarm"] = [a["AlarmName"], a["Threshold"], a["ComparisonOperator"], [[d["Name"], d["Value"]] for d in a["Dimensions"]]]
try:
    cw.put_metric_data(Namespace="AWS/Legacy", MetricData=[{"MetricName": "m", "Value": 1}])
except ClientError as e:
    out["error"] = {"code": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
try:
    cw.set_alarm_state(AlarmName="nope", StateValue="OK", StateReason="x")
except ClientError as e:
    out["missing"] = {"code": e.response["Error"]["Code"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
print(json.dumps(out))
