"""API Gateway access logs (issue 6, item 7): a stage's accessLogSettings (a CloudWatch Logs group
ARN and a format of $context variables) give one line per request in that group's stream
{apiId}/{stage}, readable with the CloudWatch Logs API."""

import json
import re
import time

import boto3
from botocore.config import Config

from conftest import _CLIENTS, FUNCTIONS, create, unique, zip_dir
from test_apigw_http import REQUEST_TIME, call, gw_client

GROUP = "apigw-access"
FORMAT = json.dumps({k: "$context." + v for k, v in {
    "requestId": "requestId", "ip": "identity.sourceIp", "requestTime": "requestTime", "epoch": "requestTimeEpoch",
    "httpMethod": "httpMethod", "routeKey": "routeKey", "status": "status", "responseLength": "responseLength",
    "integrationLatency": "integrationLatency", "stage": "stage", "apiId": "apiId", "path": "path",
    "protocol": "protocol", "unknown": "authorizer.error"}.items()})


def logs_client(endpoint):
    c = boto3.client("logs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                     aws_secret_access_key="test", config=Config(retries={"total_max_attempts": 1}))
    _CLIENTS.append(c)
    return c


def lines(logs, group, stream, count, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            ev = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"]
        except logs.exceptions.ResourceNotFoundException:
            ev = []
        if len(ev) >= count:
            return [e["message"] for e in ev]
        time.sleep(0.1)
    raise AssertionError("%d access log lines expected in %s/%s" % (count, group, stream))


def test_http_api_stage_access_log(daemon, lam):
    gw = gw_client(daemon.endpoint)
    logs = logs_client(daemon.endpoint)
    fn = create(lam, unique("apigw-log"), zip_dir(FUNCTIONS / "apigw"), "python3.12", "app.handler")["FunctionArn"]
    api = gw.create_api(Name=unique("api"), ProtocolType="HTTP")["ApiId"]
    integ = gw.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn,
                                  PayloadFormatVersion="2.0")["IntegrationId"]
    gw.create_route(ApiId=api, RouteKey="GET /items/{id}", Target="integrations/" + integ)
    arn = "arn:aws:logs:us-east-1:000000000000:log-group:%s" % GROUP
    gw.create_stage(ApiId=api, StageName="prod", AutoDeploy=True,
                    AccessLogSettings={"DestinationArn": arn, "Format": FORMAT})
    before = time.time() * 1000
    st, headers, body = call(daemon.port, api, "GET", "/prod/items/42?x=1")
    assert st == 200, body
    rid = dict(headers)["apigw-requestid"]
    st2, _, _ = call(daemon.port, api, "POST", "/prod/items/42")  # no such route: not logged
    assert st2 == 404
    st3, _, _ = call(daemon.port, api, "GET", "/prod/items/7")
    assert st3 == 200
    got = [json.loads(l) for l in lines(logs, GROUP, "%s/prod" % api, 2)]
    first = got[0]
    assert first["requestId"] == rid and first["ip"] == "127.0.0.1" and first["httpMethod"] == "GET"
    assert first["routeKey"] == "GET /items/{id}" and first["status"] == "200" and first["stage"] == "prod"
    assert first["apiId"] == api and first["path"] == "/prod/items/42" and first["protocol"] == "HTTP/1.1"
    assert int(first["responseLength"]) == len(body) and int(first["integrationLatency"]) >= 0
    assert REQUEST_TIME.match(first["requestTime"]) and int(first["epoch"]) >= before - 1000
    assert first["unknown"] == "-"
    assert got[1]["path"] == "/prod/items/7"
    # A stage without settings writes nothing; the group shows up in DescribeLogGroups.
    names = [g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"]]
    assert names == [GROUP]
