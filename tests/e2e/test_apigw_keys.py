"""REST API keys, usage plans and quotas (issue 6, item 5): methods with apiKeyRequired need an x-api-key
header naming an enabled key of a usage plan that covers the stage; the plan's throttle and quota apply
(429 Too Many Requests / Limit Exceeded); GetUsage reports use; keys and plans survive a restart."""

import json
import time

import pytest
from botocore.exceptions import ClientError

from conftest import DEBIAN_AWS, FUNCTIONS, cli_json, close_clients, create, make_client, unique, zip_dir
from test_apigw_http import call, gw_client
from test_apigw_rest import lambda_uri, root_of, v1_client


def keyed_api(apigw, fn):
    api = apigw.create_rest_api(name=unique("keys"))["id"]
    root = root_of(apigw, api)
    res = apigw.create_resource(restApiId=api, parentId=root, pathPart="items")["id"]
    apigw.put_method(restApiId=api, resourceId=res, httpMethod="GET", authorizationType="NONE", apiKeyRequired=True)
    apigw.put_integration(restApiId=api, resourceId=res, httpMethod="GET", type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=lambda_uri(fn))
    free = apigw.create_resource(restApiId=api, parentId=root, pathPart="free")["id"]
    apigw.put_method(restApiId=api, resourceId=free, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=free, httpMethod="GET", type="AWS_PROXY",
                          integrationHttpMethod="POST", uri=lambda_uri(fn))
    apigw.create_deployment(restApiId=api, stageName="prod")
    return api


def get(daemon, api, path, key=None):
    headers = [("x-api-key", key)] if key is not None else []
    st, _, body = call(daemon.port, api, "GET", "/prod" + path, headers=headers)
    return st, (json.loads(body) if body.startswith(b"{\"message") else None)


@pytest.fixture(scope="module")
def fn(lam):
    return create(lam, unique("apigw-keys"), zip_dir(FUNCTIONS / "apigw"), "python3.12", "app.handler")["FunctionArn"]


def test_keys_plans_throttle_quota(daemon, fn):
    apigw = v1_client(daemon.endpoint)
    api = keyed_api(apigw, fn)
    assert get(daemon, api, "/free")[0] == 200
    assert get(daemon, api, "/items") == (403, {"message": "Forbidden"})
    key = apigw.create_api_key(name="k1", enabled=True)
    assert key["enabled"] is True and len(key["value"]) >= 20 and key["name"] == "k1"
    assert get(daemon, api, "/items", key["value"]) == (403, {"message": "Forbidden"})  # in no plan yet
    plan = apigw.create_usage_plan(name="limited", apiStages=[{"apiId": api, "stage": "prod"}],
                                   quota={"limit": 3, "period": "DAY"})
    pk = apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert pk["id"] == key["id"] and pk["type"] == "API_KEY" and pk["value"] == key["value"]
    for _ in range(3):
        assert get(daemon, api, "/items", key["value"])[0] == 200
    assert get(daemon, api, "/items", key["value"]) == (429, {"message": "Limit Exceeded"})
    assert get(daemon, api, "/items", "not-a-key-at-all-xxxxx") == (403, {"message": "Forbidden"})
    usage = apigw.get_usage(usagePlanId=plan["id"], startDate="2026-01-01", endDate="2026-12-31")
    assert usage["usagePlanId"] == plan["id"] and usage["items"] == {key["id"]: [[3, 0]]}
    # Another key in a throttled plan: a burst of 2, then 429 until the bucket refills.
    k2 = apigw.create_api_key(name="k2", enabled=True, value="a-chosen-value-of-20-chars")
    assert k2["value"] == "a-chosen-value-of-20-chars"
    fast = apigw.create_usage_plan(name="throttled", apiStages=[{"apiId": api, "stage": "prod"}],
                                   throttle={"rateLimit": 0.5, "burstLimit": 2})
    apigw.create_usage_plan_key(usagePlanId=fast["id"], keyId=k2["id"], keyType="API_KEY")
    got = [get(daemon, api, "/items", k2["value"])[0] for _ in range(3)]
    assert got == [200, 200, 429], got
    # Disabling a key shuts it out.
    apigw.update_api_key(apiKey=k2["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}])
    time.sleep(2.2)
    assert get(daemon, api, "/items", k2["value"]) == (403, {"message": "Forbidden"})
    # Listing and reading: values only when asked.
    items = apigw.get_api_keys()["items"]
    assert {k["id"] for k in items} >= {key["id"], k2["id"]} and all("value" not in k for k in items)
    assert "value" not in apigw.get_api_key(apiKey=key["id"])
    assert apigw.get_api_key(apiKey=key["id"], includeValue=True)["value"] == key["value"]
    assert [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [key["id"]]
    upd = apigw.update_usage_plan(usagePlanId=plan["id"],
                                  patchOperations=[{"op": "replace", "path": "/quota/limit", "value": "10"}])
    assert upd["quota"]["limit"] == 10
    assert get(daemon, api, "/items", key["value"])[0] == 200
    # Removing the key from the plan, then deleting things.
    apigw.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
    assert get(daemon, api, "/items", key["value"])[0] == 403
    apigw.delete_api_key(apiKey=key["id"])
    with pytest.raises(ClientError) as e:
        apigw.get_api_key(apiKey=key["id"])
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    apigw.delete_usage_plan(usagePlanId=plan["id"])
    assert plan["id"] not in [p["id"] for p in apigw.get_usage_plans()["items"]]


def test_validation_and_restart(daemon_factory, fn):
    d = daemon_factory()
    apigw = v1_client(d.endpoint)
    for kw, code in (({"name": "x", "value": "short"}, "BadRequestException"),):
        with pytest.raises(ClientError) as e:
            apigw.create_api_key(**kw)
        assert e.value.response["Error"]["Code"] == code
    with pytest.raises(ClientError) as e:
        apigw.create_usage_plan(name="p", apiStages=[{"apiId": "nope000000", "stage": "prod"}])
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    with pytest.raises(ClientError) as e:
        apigw.create_usage_plan(name="p", quota={"limit": 1, "period": "YEAR"})
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    # The Debian CLI creates a key; keys and plans survive a restart.
    out = cli_json(DEBIAN_AWS, d.endpoint, "apigateway", "create-api-key", "--name", "cli", "--enabled")
    assert out["enabled"] is True
    plan = apigw.create_usage_plan(name="kept", throttle={"rateLimit": 5, "burstLimit": 10})
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=out["id"], keyType="API_KEY")
    close_clients()
    assert d.stop() == 0
    d.start()
    apigw = v1_client(d.endpoint)
    assert apigw.get_api_key(apiKey=out["id"], includeValue=True)["value"] == out["value"]
    assert apigw.get_usage_plan(usagePlanId=plan["id"])["throttle"] == {"rateLimit": 5, "burstLimit": 10}
    assert [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [out["id"]]


def test_account_level_throttle_flag(daemon_factory):
    d = daemon_factory("--apigw-rate", "2", "--apigw-burst", "4")
    target = create(make_client(d.endpoint), unique("acct"), zip_dir(FUNCTIONS / "apigw"), "python3.12",
                    "app.handler")["FunctionArn"]
    http_api = gw_client(d.endpoint).create_api(Name=unique("acct"), ProtocolType="HTTP", Target=target)["ApiId"]
    call(d.port, http_api, "GET", "/x")  # the cold start, out of the measured loop
    time.sleep(2.1)  # the bucket is full again
    t0 = time.monotonic()
    got = [call(d.port, http_api, "GET", "/x")[0] for _ in range(10)]
    elapsed = time.monotonic() - t0
    # The burst of 4 goes through; after it only what the 2/s refill gives.
    assert got[:4] == [200] * 4 and 429 in got, got
    assert got.count(200) <= 4 + 2 * elapsed + 1 and set(got) == {200, 429}, (got, elapsed)
    time.sleep(1.1)
    assert call(d.port, http_api, "GET", "/x")[0] == 200

