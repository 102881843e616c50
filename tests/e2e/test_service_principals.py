"""Calls one service makes to another as its service principal, decided by the target's resource policy as on AWS, on
both backends: SNS into SQS queues (sns.amazonaws.com, aws:SourceArn = the topic), EventBridge to queue and topic
targets (events.amazonaws.com, aws:SourceArn = the rule), Secrets Manager's check of a rotation function's policy.
A dev server keeps deliveries between the account's own resources open, as LocalStack and moto do.

Sources: SNS Developer Guide, "Fanout to Amazon SQS queues" (the queue policy) and "Amazon SNS dead-letter queues" (a
policy that prevents delivery is a client-side error, not retried); EventBridge User Guide, "Using resource-based
policies for Amazon EventBridge" and "Using dead-letter queues to process undelivered events" (missing permissions:
no retries, straight to the DLQ; NO_PERMISSIONS among its ERROR_CODEs); Secrets Manager's RotateSecret refusal as
recorded from AWS (HTTP 400, AccessDeniedException) in a public Terraform log, and its troubleshooting page ("When you
add a Lambda rotation function Amazon Resource Name (ARN) to your secret, Secrets Manager checks the permissions of the
function")."""
import json

import pytest
from botocore.exceptions import ClientError

from conftest import BACKENDS, allow_service, allow_service_on_topic, code
from test_sns import drain, queue

# Long enough for a delivery that was going to happen to have happened; nothing here measures time.
QUIET = 5


@pytest.fixture(params=BACKENDS)
def dev_server(request, make_warden):
    return make_warden(request.param, dev=True)


def test_sns_delivers_only_into_queues_whose_policy_allows_the_topic(strict):
    sns, sqs = strict.client("sns"), strict.client("sqs")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    other_topic = sns.create_topic(Name="other")["TopicArn"]
    open_url, open_arn = queue(sqs, "allowed")
    closed_url, closed_arn = queue(sqs, "no-policy")
    wrong_url, wrong_arn = queue(sqs, "other-topic-only")
    dlq_url, dlq_arn = queue(sqs, "refused-copies")
    allow_service(sqs, open_url, "sns.amazonaws.com", topic)
    allow_service(sqs, wrong_url, "sns.amazonaws.com", other_topic)
    # A subscription's dead-letter queue must let SNS in too.
    allow_service(sqs, dlq_url, "sns.amazonaws.com", topic)
    raw = {"RawMessageDelivery": "true"}
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=open_arn, Attributes=raw)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=closed_arn,
                  Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=wrong_arn, Attributes=raw)
    sns.publish(TopicArn=topic, Message="first")
    assert [m["Body"] for m in drain(sqs, open_url, 1)] == ["first"]
    # The queue without a policy refuses SNS: a client-side error, so no retries; the copy goes to the subscription's
    # dead-letter queue.
    assert [json.loads(m["Body"])["Message"] for m in drain(sqs, dlq_url, 1)] == ["first"]
    assert drain(sqs, closed_url, 1, timeout=QUIET) == []
    # A policy that lets another topic in does not let this one in.
    assert drain(sqs, wrong_url, 1, timeout=QUIET) == []
    # Once the queue's policy allows the topic, the next message arrives.
    allow_service(sqs, closed_url, "sns.amazonaws.com", topic)
    sns.publish(TopicArn=topic, Message="second")
    assert [json.loads(m["Body"])["Message"] for m in drain(sqs, closed_url, 1)] == ["second"]
    assert [m["Body"] for m in drain(sqs, open_url, 1)] == ["second"]
    assert drain(sqs, wrong_url, 1, timeout=QUIET) == []


def test_eventbridge_delivers_only_to_queues_whose_policy_allows_the_rule(strict):
    ev, sqs = strict.client("events"), strict.client("sqs")
    rule = ev.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"]}))["RuleArn"]
    other_rule = ev.put_rule(Name="unrelated", EventPattern=json.dumps({"source": ["elsewhere"]}))["RuleArn"]
    open_url, open_arn = queue(sqs, "ev-allowed")
    closed_url, closed_arn = queue(sqs, "ev-no-policy")
    wrong_url, wrong_arn = queue(sqs, "ev-other-rule-only")
    dlq_url, dlq_arn = queue(sqs, "ev-refused")
    allow_service(sqs, open_url, "events.amazonaws.com", rule)
    allow_service(sqs, wrong_url, "events.amazonaws.com", other_rule)
    allow_service(sqs, dlq_url, "events.amazonaws.com", rule)
    ev.put_targets(Rule="orders", Targets=[
        {"Id": "open", "Arn": open_arn},
        {"Id": "closed", "Arn": closed_arn, "DeadLetterConfig": {"Arn": dlq_arn}},
        {"Id": "wrong", "Arn": wrong_arn}])
    ev.put_events(Entries=[{"Source": "shop", "DetailType": "order", "Detail": json.dumps({"n": 1})}])
    assert json.loads(drain(sqs, open_url, 1)[0]["Body"])["detail"] == {"n": 1}
    # Missing permissions are not retried: the event goes straight to the target's dead-letter queue.
    dead = drain(sqs, dlq_url, 1)
    assert len(dead) == 1 and json.loads(dead[0]["Body"])["detail"] == {"n": 1}
    attrs = {k: v["StringValue"] for k, v in dead[0]["MessageAttributes"].items()}
    assert attrs["RULE_ARN"] == rule and attrs["TARGET_ARN"] == closed_arn and attrs["RETRY_ATTEMPTS"] == "0"
    assert attrs["ERROR_CODE"] == "NO_PERMISSIONS"
    assert drain(sqs, closed_url, 1, timeout=QUIET) == []
    assert drain(sqs, wrong_url, 1, timeout=QUIET) == []


def test_eventbridge_publishes_to_a_topic_only_when_the_topic_policy_allows_the_rule(strict):
    ev, sns, sqs = strict.client("events"), strict.client("sns"), strict.client("sqs")
    topic = sns.create_topic(Name="from-rules")["TopicArn"]
    url, arn = queue(sqs, "topic-reader")
    allow_service(sqs, url, "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    rule = ev.put_rule(Name="to-topic", EventPattern=json.dumps({"source": ["shop"]}))["RuleArn"]
    ev.put_targets(Rule="to-topic", Targets=[{"Id": "t", "Arn": topic}])
    # SNS's default topic policy names only the owning account (AWS:SourceOwner): EventBridge may not publish.
    ev.put_events(Entries=[{"Source": "shop", "DetailType": "order", "Detail": json.dumps({"n": 1})}])
    assert drain(sqs, url, 1, timeout=QUIET) == []
    allow_service_on_topic(sns, topic, "events.amazonaws.com", rule)
    ev.put_events(Entries=[{"Source": "shop", "DetailType": "order", "Detail": json.dumps({"n": 2})}])
    got = drain(sqs, url, 1)
    assert [json.loads(m["Body"])["detail"] for m in got] == [{"n": 2}]


NOOP = "def handler(event, context):\n    return None\n"
REFUSAL = ("Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access "
           "to the principal secretsmanager.amazonaws.com.")


@pytest.mark.parametrize("backend", BACKENDS)
def test_rotate_secret_refuses_a_function_whose_policy_does_not_allow_secrets_manager(make_warden, backend):
    from test_lambda import ROLE, lam, zipped
    w = make_warden(backend, extra_args=["--enable-functions"])
    sm, fn = w.client("secretsmanager"), lam(w)
    account = w.client("sts").get_caller_identity()["Account"]
    fn_arn = fn.create_function(FunctionName="rotator", Runtime="python3.12", Role=ROLE, Handler="app.handler", Timeout=10,
                                Code={"ZipFile": zipped({"app.py": NOOP})})["FunctionArn"]
    sm.create_secret(Name="guarded", SecretString="initial")

    def refused():
        with pytest.raises(ClientError) as e:
            sm.rotate_secret(SecretId="guarded", RotationLambdaARN=fn_arn, RotationRules={"AutomaticallyAfterDays": 30},
                             RotateImmediately=False)
        assert code(e) == "AccessDeniedException" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert e.value.response["Error"]["Message"] == REFUSAL
        d = sm.describe_secret(SecretId="guarded")
        assert not d.get("RotationEnabled") and "RotationLambdaARN" not in d  # nothing was configured

    # No policy at all, then a policy for another service.
    refused()
    fn.add_permission(FunctionName="rotator", StatementId="sns", Action="lambda:InvokeFunction", Principal="sns.amazonaws.com")
    refused()
    # Allowed for Secrets Manager in this account: the rotation is configured.
    fn.add_permission(FunctionName="rotator", StatementId="sm", Action="lambda:InvokeFunction",
                      Principal="secretsmanager.amazonaws.com", SourceAccount=account)
    sm.rotate_secret(SecretId="guarded", RotationLambdaARN=fn_arn, RotationRules={"AutomaticallyAfterDays": 30},
                     RotateImmediately=False)
    d = sm.describe_secret(SecretId="guarded")
    assert d["RotationEnabled"] and d["RotationLambdaARN"] == fn_arn


def test_dev_mode_keeps_deliveries_between_the_accounts_resources_open(dev_server):
    sns, sqs, ev = dev_server.client("sns"), dev_server.client("sqs"), dev_server.client("events")
    topic = sns.create_topic(Name="open")["TopicArn"]
    url, arn = queue(sqs, "no-policy")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, Message="through")
    assert [m["Body"] for m in drain(sqs, url, 1)] == ["through"]
    ev.put_rule(Name="open", EventPattern=json.dumps({"source": ["shop"]}))
    ev.put_targets(Rule="open", Targets=[{"Id": "q", "Arn": arn}, {"Id": "t", "Arn": topic}])
    ev.put_events(Entries=[{"Source": "shop", "DetailType": "order", "Detail": json.dumps({"n": 1})}])
    got = drain(sqs, url, 2)
    # One copy straight from the rule, one through the topic (its default policy notwithstanding).
    assert len(got) == 2 and all(json.loads(m["Body"])["detail"] == {"n": 1} for m in got)
