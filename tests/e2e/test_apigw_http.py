"""API Gateway HTTP APIs: the apigatewayv2 control plane through boto3 and the AWS CLI, and invoke
URLs ({apiId}.execute-api.localhost:{port}) answered by Lambda functions with payload 2.0 and 1.0."""

import base64
import concurrent.futures
import http.client
import json
import re
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import (_CLIENTS, DEBIAN_AWS, FUNCTIONS, Daemon, cli_error_code, cli_json, close_clients, create,
                      free_port, kill_daemon, make_client, run_cli, run_new_python, unique, zip_dir)

HANDLER = "app.handler"
REQUEST_TIME = re.compile(r"^\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000$")


def gw_client(endpoint):
    cfg = Config(retries={"total_max_attempts": 1}, read_timeout=60, connect_timeout=5)
    c = boto3.client("apigatewayv2", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                     aws_secret_access_key="test", config=cfg)
    _CLIENTS.append(c)  # closed with the others before a daemon stops
    return c


@pytest.fixture(scope="module")
def gw(daemon):
    return gw_client(daemon.endpoint)


@pytest.fixture(scope="module")
def fn(lam):
    name = unique("apigw")
    return create(lam, name, zip_dir(FUNCTIONS / "apigw"), "python3.12", HANDLER, Timeout=10)["FunctionArn"]


def call(port, api_id, method, path, body=None, headers=(), timeout=30):
    """One request to an invoke URL; headers is a list of (name, value) pairs (repeats allowed).
    Returns (status, [(lowercase name, value)], body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", "%s.execute-api.localhost:%d" % (api_id, port))
        for k, v in headers:
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        data = r.read()
        return r.status, [(k.lower(), v) for k, v in r.getheaders()], data
    finally:
        conn.close()


def header(headers, name):
    vals = [v for k, v in headers if k == name]
    return vals[0] if len(vals) == 1 else (vals or None)


def http_api(gw, fn, routes, payload="2.0", stage="$default", auto=True, **api_kw):
    """An HTTP API whose routes all go to one Lambda integration; returns (apiId, integrationId, routeIds)."""
    api = gw.create_api(Name=unique("api"), ProtocolType="HTTP", **api_kw)
    integ = gw.create_integration(ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=fn,
                                  PayloadFormatVersion=payload)
    ids = {}
    for rk in routes:
        r = gw.create_route(ApiId=api["ApiId"], RouteKey=rk, Target="integrations/" + integ["IntegrationId"])
        ids[rk] = r["RouteId"]
    if stage:
        gw.create_stage(ApiId=api["ApiId"], StageName=stage, AutoDeploy=auto)
    return api["ApiId"], integ["IntegrationId"], ids


def expect_gw_error(code, status, fn, *args, **kwargs):
    with pytest.raises(ClientError) as ei:
        fn(*args, **kwargs)
    e = ei.value.response
    assert e["Error"]["Code"] == code, e
    assert e["ResponseMetadata"]["HTTPStatusCode"] == status, e
    assert e["Error"]["Message"], e
    return e["Error"]["Message"]


# ---------------------------------------------------------------- payload 2.0


def test_payload_v2_event(daemon, gw, fn):
    api_id, _, ids = http_api(gw, fn, ["GET /items/{id}", "$default"])
    st, hdrs, body = call(daemon.port, api_id, "GET", "/items/42?color=red&color=blue&plain&enc=a%20b",
                          headers=[("User-Agent", "e2e-agent/1.0"), ("X-Dup", "one"), ("X-Dup", "two"),
                                   ("Cookie", "a=1; b=2"), ("Cookie", "c=3"), ("X-Mixed-Case", "Value")])
    assert st == 200, body
    ev = json.loads(body)
    assert header(hdrs, "content-type") == "application/json"
    assert header(hdrs, "x-fn") == "yes"
    assert header(hdrs, "set-cookie") == ["session=abc; Path=/", "theme=dark"]
    rid = header(hdrs, "apigw-requestid")
    assert rid and re.match(r"^[A-Za-z0-9+/]{15}=$", rid), hdrs
    assert ev["version"] == "2.0"
    assert ev["routeKey"] == "GET /items/{id}"
    assert ev["rawPath"] == "/items/42"
    assert ev["rawQueryString"] == "color=red&color=blue&plain&enc=a%20b"
    assert ev["cookies"] == ["a=1", "b=2", "c=3"]
    h = ev["headers"]
    assert h["user-agent"] == "e2e-agent/1.0" and h["x-dup"] == "one,two" and h["x-mixed-case"] == "Value"
    assert h["host"] == "%s.execute-api.localhost:%d" % (api_id, daemon.port)
    assert h["x-forwarded-for"] == "127.0.0.1" and h["x-forwarded-proto"] == "http"
    assert h["x-forwarded-port"] == str(daemon.port) and h["x-amzn-trace-id"].startswith("Root=1-")
    assert "cookie" not in h and all(k == k.lower() for k in h)
    assert ev["queryStringParameters"] == {"color": "red,blue", "plain": "", "enc": "a b"}
    assert ev["pathParameters"] == {"id": "42"}
    assert ev["isBase64Encoded"] is False
    assert "body" not in ev and "stageVariables" not in ev
    ctx = ev["requestContext"]
    assert ctx["accountId"] == "000000000000" and ctx["apiId"] == api_id
    assert ctx["domainName"] == "%s.execute-api.localhost" % api_id and ctx["domainPrefix"] == api_id
    assert ctx["http"] == {"method": "GET", "path": "/items/42", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                           "userAgent": "e2e-agent/1.0"}
    assert ctx["requestId"] == rid and ctx["routeKey"] == "GET /items/{id}" and ctx["stage"] == "$default"
    assert REQUEST_TIME.match(ctx["time"]), ctx["time"]
    assert abs(ctx["timeEpoch"] / 1000 - time.time()) < 60
    assert time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(ctx["timeEpoch"] // 1000)) == ctx["time"]

    # $default takes what no route matches; a text body is passed as text
    st, _, body = call(daemon.port, api_id, "POST", "/other/path", body=b'{"k": "v"}',
                       headers=[("Content-Type", "application/json")])
    ev = json.loads(body)
    assert st == 200 and ev["routeKey"] == "$default" and ev["requestContext"]["routeKey"] == "$default"
    assert ev["body"] == '{"k": "v"}' and ev["isBase64Encoded"] is False
    assert "pathParameters" not in ev and "queryStringParameters" not in ev and "cookies" not in ev
    assert ev["rawQueryString"] == "" and ev["headers"]["content-length"] == "10"

    # a binary body goes base64-encoded
    raw = bytes(range(256))
    st, _, body = call(daemon.port, api_id, "PUT", "/upload", body=raw,
                       headers=[("Content-Type", "application/octet-stream")])
    ev = json.loads(body)
    assert ev["isBase64Encoded"] is True and base64.b64decode(ev["body"]) == raw


def test_v2_response_mapping(daemon, gw, fn):
    api_id, integ, _ = http_api(gw, fn, ["$default"])
    st, hdrs, body = call(daemon.port, api_id, "GET", "/inferred")
    assert st == 200 and header(hdrs, "content-type") == "application/json"
    assert json.loads(body) == {"hello": "world", "n": [1, 2]}
    st, hdrs, body = call(daemon.port, api_id, "GET", "/string")
    assert st == 200 and body == b'"just a string"' and header(hdrs, "content-type") == "application/json"
    st, hdrs, body = call(daemon.port, api_id, "GET", "/binary")
    assert st == 201 and body == bytes(range(256)) and header(hdrs, "content-type") == "application/octet-stream"
    # responseParameters apply to Lambda responses too
    gw.update_integration(ApiId=api_id, IntegrationId=integ, ResponseParameters={
        "200": {"overwrite:header.x-fn": "changed", "overwrite:statuscode": "202"}})
    st, hdrs, _ = call(daemon.port, api_id, "GET", "/anything")
    assert st == 202 and header(hdrs, "x-fn") == "changed"


def test_function_error_and_malformed_response_502(daemon, gw, fn):
    api_id, _, _ = http_api(gw, fn, ["ANY /{proxy+}"])
    for path in ("/error", "/malformed"):
        st, hdrs, body = call(daemon.port, api_id, "GET", path)
        assert st == 502, (path, body)
        assert json.loads(body) == {"message": "Internal Server Error"}
        assert header(hdrs, "apigw-requestid")


def test_integration_timeout_504(daemon, gw, fn):
    api_id, integ, _ = http_api(gw, fn, ["GET /sleep"])
    gw.update_integration(ApiId=api_id, IntegrationId=integ, TimeoutInMillis=300)
    t0 = time.monotonic()
    st, _, body = call(daemon.port, api_id, "GET", "/sleep")
    assert st == 504 and json.loads(body) == {"message": "Service Unavailable"}, body
    assert time.monotonic() - t0 < 1.9
    # the instance finishes its sleep and serves again
    gw.update_integration(ApiId=api_id, IntegrationId=integ, TimeoutInMillis=30000)
    st, _, body = call(daemon.port, api_id, "GET", "/sleep")
    assert st == 200, body


def test_missing_function_500(daemon, gw, fn):
    missing = fn.rsplit(":", 1)[0] + ":" + unique("nosuchfn")
    api = gw.create_api(Name="missing", ProtocolType="HTTP", Target=missing)
    st, _, body = call(daemon.port, api["ApiId"], "GET", "/")
    assert st == 500 and json.loads(body) == {"message": "Internal Server Error"}


# ---------------------------------------------------------------- payload 1.0


def test_payload_v1_event(daemon, gw, fn):
    api_id, _, _ = http_api(gw, fn, ["POST /v1/{proxy+}"], payload="1.0")
    st, hdrs, body = call(daemon.port, api_id, "POST", "/v1/a/b%20c?q=1&q=2&r=x", body=b"hello",
                          headers=[("Content-Type", "text/plain"), ("X-Dup", "one"), ("X-Dup", "two")])
    assert st == 200, body
    assert header(hdrs, "x-single") == "one" and header(hdrs, "x-multi") == ["a", "b"]
    ev = json.loads(body)
    assert ev["version"] == "1.0"
    assert ev["resource"] == "/v1/{proxy+}" and ev["path"] == "/v1/a/b%20c" and ev["httpMethod"] == "POST"
    assert ev["headers"]["x-dup"] == "two" and ev["multiValueHeaders"]["x-dup"] == ["one", "two"]
    assert ev["queryStringParameters"] == {"q": "2", "r": "x"}
    assert ev["multiValueQueryStringParameters"] == {"q": ["1", "2"], "r": ["x"]}
    assert ev["pathParameters"] == {"proxy": "a/b c"}
    assert ev["stageVariables"] is None
    assert ev["body"] == "hello" and ev["isBase64Encoded"] is False
    ctx = ev["requestContext"]
    assert ctx["apiId"] == api_id and ctx["accountId"] == "000000000000" and ctx["stage"] == "$default"
    assert ctx["httpMethod"] == "POST" and ctx["path"] == "/v1/a/b%20c" and ctx["protocol"] == "HTTP/1.1"
    assert ctx["resourcePath"] == "/v1/{proxy+}" and ctx["resourceId"] == "POST /v1/{proxy+}"
    assert ctx["requestId"] == header(hdrs, "apigw-requestid") == ctx["extendedRequestId"]
    assert REQUEST_TIME.match(ctx["requestTime"]) and isinstance(ctx["requestTimeEpoch"], int)
    assert ctx["identity"]["sourceIp"] == "127.0.0.1" and ctx["identity"]["user"] is None
    assert ctx["domainName"] == "%s.execute-api.localhost" % api_id

    # absent maps are null in 1.0; a 1.0 response must have a statusCode
    st, _, body = call(daemon.port, api_id, "POST", "/v1/x")
    ev = json.loads(body)
    assert ev["queryStringParameters"] is None and ev["multiValueQueryStringParameters"] is None
    assert ev["body"] is None
    st, _, body = call(daemon.port, api_id, "POST", "/v1/inferred")
    assert st == 502 and json.loads(body) == {"message": "Internal Server Error"}


# ---------------------------------------------------------------- routing


def test_route_precedence(daemon, gw, fn):
    keys = ["GET /pets/dog/1", "GET /pets/dog/{id}", "GET /pets/{proxy+}", "ANY /pets/{proxy+}", "ANY /{proxy+}",
            "GET /", "$default"]
    api_id, _, _ = http_api(gw, fn, keys)
    cases = [("GET", "/pets/dog/1", "GET /pets/dog/1"), ("GET", "/pets/dog/2", "GET /pets/dog/{id}"),
             ("GET", "/pets/cat/2", "GET /pets/{proxy+}"), ("GET", "/pets/dog", "GET /pets/{proxy+}"),
             ("POST", "/pets/dog/1", "ANY /pets/{proxy+}"), ("DELETE", "/toys/1", "ANY /{proxy+}"),
             ("GET", "/", "GET /"), ("POST", "/", "$default"), ("GET", "/pets", "ANY /{proxy+}")]
    for method, path, want in cases:
        st, _, body = call(daemon.port, api_id, method, path)
        assert st == 200, (method, path, body)
        assert json.loads(body)["routeKey"] == want, (method, path)
    ev = json.loads(call(daemon.port, api_id, "GET", "/pets/a/b/c")[2])
    assert ev["pathParameters"] == {"proxy": "a/b/c"}


def test_no_route_and_unknown_api_404(daemon, gw, fn):
    api_id, _, _ = http_api(gw, fn, ["GET /only"])
    for path in ("/other", "/only/more", "/"):
        st, hdrs, body = call(daemon.port, api_id, "GET", path)
        assert st == 404 and json.loads(body) == {"message": "Not Found"}, path
        assert header(hdrs, "apigw-requestid")
    assert call(daemon.port, api_id, "POST", "/only")[0] == 404
    st, _, body = call(daemon.port, "0000000000", "GET", "/only")
    assert st == 404 and json.loads(body) == {"message": "Not Found"}
    # an API with no stage has nothing to serve
    api_id, _, _ = http_api(gw, fn, ["GET /only"], stage=None)
    assert call(daemon.port, api_id, "GET", "/only")[0] == 404


def test_stages_and_deployments(daemon, gw, fn):
    api_id, integ, _ = http_api(gw, fn, ["GET /items/{id}"])
    gw.create_stage(ApiId=api_id, StageName="prod", StageVariables={"env": "production", "tier": "gold"})
    # prod has no deployment yet
    assert call(daemon.port, api_id, "GET", "/prod/items/1")[0] == 404
    dep = gw.create_deployment(ApiId=api_id, StageName="prod", Description="first")
    assert dep["DeploymentStatus"] == "DEPLOYED" and dep["AutoDeployed"] is False
    assert gw.get_stage(ApiId=api_id, StageName="prod")["DeploymentId"] == dep["DeploymentId"]
    st, _, body = call(daemon.port, api_id, "GET", "/prod/items/7")
    ev = json.loads(body)
    assert st == 200 and ev["requestContext"]["stage"] == "prod"
    assert ev["stageVariables"] == {"env": "production", "tier": "gold"}
    assert ev["rawPath"] == "/prod/items/7" and ev["pathParameters"] == {"id": "7"}
    # $default still answers paths without a stage prefix
    ev = json.loads(call(daemon.port, api_id, "GET", "/items/8")[2])
    assert ev["requestContext"]["stage"] == "$default" and "stageVariables" not in ev

    # a new route is live at once on the autoDeploy stage, on prod only after a deployment
    gw.create_route(ApiId=api_id, RouteKey="GET /new", Target="integrations/" + integ)
    assert call(daemon.port, api_id, "GET", "/new")[0] == 200
    assert call(daemon.port, api_id, "GET", "/prod/new")[0] == 404
    dflt = gw.get_stage(ApiId=api_id, StageName="$default")
    auto = gw.get_deployment(ApiId=api_id, DeploymentId=dflt["DeploymentId"])
    assert auto["AutoDeployed"] is True
    dep2 = gw.create_deployment(ApiId=api_id, StageName="prod")
    assert call(daemon.port, api_id, "GET", "/prod/new")[0] == 200
    ids = {d["DeploymentId"] for d in gw.get_deployments(ApiId=api_id)["Items"]}
    assert {dep["DeploymentId"], dep2["DeploymentId"], dflt["DeploymentId"]} <= ids

    # an older deployment can be put back; stage variables can change
    gw.update_stage(ApiId=api_id, StageName="prod", DeploymentId=dep["DeploymentId"],
                    StageVariables={"env": "rollback"})
    assert call(daemon.port, api_id, "GET", "/prod/new")[0] == 404
    ev = json.loads(call(daemon.port, api_id, "GET", "/prod/items/1")[2])
    assert ev["stageVariables"] == {"env": "rollback", "tier": "gold"}
    expect_gw_error("BadRequestException", 400, gw.delete_deployment, ApiId=api_id,
                    DeploymentId=dep["DeploymentId"])
    gw.delete_deployment(ApiId=api_id, DeploymentId=dep2["DeploymentId"])
    expect_gw_error("NotFoundException", 404, gw.get_deployment, ApiId=api_id, DeploymentId=dep2["DeploymentId"])

    stages = {s["StageName"] for s in gw.get_stages(ApiId=api_id)["Items"]}
    assert stages == {"$default", "prod"}
    gw.delete_stage(ApiId=api_id, StageName="prod")
    expect_gw_error("NotFoundException", 404, gw.get_stage, ApiId=api_id, StageName="prod")
    # without the prod stage, /prod/items/1 is a $default path that no route matches
    assert call(daemon.port, api_id, "GET", "/prod/items/1")[0] == 404


# ---------------------------------------------------------------- CORS


def test_cors(daemon, gw, fn):
    cors = {"AllowOrigins": ["https://app.example.com", "https://*.example.org"], "AllowMethods": ["GET", "POST"],
            "AllowHeaders": ["content-type", "x-api"], "ExposeHeaders": ["x-fn"], "MaxAge": 600,
            "AllowCredentials": True}
    api_id, _, _ = http_api(gw, fn, ["GET /items/{id}"], CorsConfiguration=cors)
    assert gw.get_api(ApiId=api_id)["CorsConfiguration"] == cors
    st, hdrs, body = call(daemon.port, api_id, "OPTIONS", "/items/1",
                          headers=[("Origin", "https://app.example.com"), ("Access-Control-Request-Method", "GET")])
    assert st == 204 and body == b"", body
    assert header(hdrs, "access-control-allow-origin") == "https://app.example.com"
    assert header(hdrs, "access-control-allow-methods") == "GET,POST"
    assert header(hdrs, "access-control-allow-headers") == "content-type,x-api"
    assert header(hdrs, "access-control-max-age") == "600"
    assert header(hdrs, "access-control-allow-credentials") == "true"
    # a wildcard subdomain
    st, hdrs, _ = call(daemon.port, api_id, "OPTIONS", "/anything",
                       headers=[("Origin", "https://a.example.org"), ("Access-Control-Request-Method", "POST")])
    assert st == 204 and header(hdrs, "access-control-allow-origin") == "https://a.example.org"
    # a normal request gets the configured headers; the function's own CORS headers are dropped
    st, hdrs, _ = call(daemon.port, api_id, "GET", "/items/1", headers=[("Origin", "https://app.example.com")])
    assert st == 200
    assert header(hdrs, "access-control-allow-origin") == "https://app.example.com"
    assert header(hdrs, "access-control-expose-headers") == "x-fn"
    assert header(hdrs, "access-control-allow-credentials") == "true"
    # an origin not allowed gets no CORS headers
    st, hdrs, _ = call(daemon.port, api_id, "OPTIONS", "/items/1",
                       headers=[("Origin", "https://evil.example"), ("Access-Control-Request-Method", "GET")])
    assert st == 204 and header(hdrs, "access-control-allow-origin") is None
    st, hdrs, _ = call(daemon.port, api_id, "GET", "/items/1", headers=[("Origin", "https://evil.example")])
    assert st == 200 and header(hdrs, "access-control-allow-origin") is None
    # "*" and removal
    gw.update_api(ApiId=api_id, CorsConfiguration={"AllowOrigins": ["*"], "AllowMethods": ["*"]})
    st, hdrs, _ = call(daemon.port, api_id, "OPTIONS", "/x",
                       headers=[("Origin", "https://any.where"), ("Access-Control-Request-Method", "PUT")])
    assert header(hdrs, "access-control-allow-origin") == "*" and header(hdrs, "access-control-allow-methods") == "*"
    gw.delete_cors_configuration(ApiId=api_id)
    assert "CorsConfiguration" not in gw.get_api(ApiId=api_id)
    st, hdrs, _ = call(daemon.port, api_id, "OPTIONS", "/items/1",
                       headers=[("Origin", "https://any.where"), ("Access-Control-Request-Method", "GET")])
    assert st == 404  # no CORS configuration and no OPTIONS route
    expect_gw_error("BadRequestException", 400, gw.update_api, ApiId=api_id,
                    CorsConfiguration={"AllowOrigins": ["*"], "AllowCredentials": True})
    expect_gw_error("BadRequestException", 400, gw.update_api, ApiId=api_id,
                    CorsConfiguration={"MaxAge": 86401})


# ---------------------------------------------------------------- limits


def test_body_limit_413_and_daemon_keeps_serving(daemon, gw, fn):
    api_id, _, _ = http_api(gw, fn, ["$default"])
    st, hdrs, body = call(daemon.port, api_id, "POST", "/big", body=b"x" * (10 * 1024 * 1024 + 1),
                          headers=[("Content-Type", "text/plain")])
    assert st == 413 and json.loads(body) == {"message": "Request Entity Too Large"}
    st, _, body = call(daemon.port, api_id, "GET", "/after")
    assert st == 200 and json.loads(body)["rawPath"] == "/after"
    st, _, body = call(daemon.port, api_id, "GET", "/", headers=[("X-Big", "y" * 11000)])
    assert st == 431 and json.loads(body) == {"message": "Request Header Fields Too Large"}
    assert call(daemon.port, api_id, "GET", "/again")[0] == 200
    assert daemon.health()["status"] == "ok"


# ---------------------------------------------------------------- control plane


def test_quick_create_with_debian_cli(daemon, fn):
    out = cli_json(DEBIAN_AWS, daemon.endpoint, "apigatewayv2", "create-api", "--name", "quick", "--protocol-type",
                   "HTTP", "--target", fn)
    api_id = out["ApiId"]
    assert out["ApiEndpoint"] == "http://%s.execute-api.localhost:%d" % (api_id, daemon.port)
    assert out["ProtocolType"] == "HTTP" and out["RouteSelectionExpression"] == "$request.method $request.path"
    routes = cli_json(DEBIAN_AWS, daemon.endpoint, "apigatewayv2", "get-routes", "--api-id", api_id)["Items"]
    assert [r["RouteKey"] for r in routes] == ["$default"] and routes[0]["ApiGatewayManaged"] is True
    integ = cli_json(DEBIAN_AWS, daemon.endpoint, "apigatewayv2", "get-integrations", "--api-id", api_id)["Items"]
    assert integ[0]["IntegrationType"] == "AWS_PROXY" and integ[0]["PayloadFormatVersion"] == "2.0"
    assert routes[0]["Target"] == "integrations/" + integ[0]["IntegrationId"]
    stages = cli_json(DEBIAN_AWS, daemon.endpoint, "apigatewayv2", "get-stages", "--api-id", api_id)["Items"]
    assert stages[0]["StageName"] == "$default" and stages[0]["AutoDeploy"] is True
    st, _, body = call(daemon.port, api_id, "GET", "/hello?x=1")
    ev = json.loads(body)
    assert st == 200 and ev["rawPath"] == "/hello" and ev["routeKey"] == "$default"
    # quick create with a route key, through the invocations-path form of the URI
    uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/%s/invocations" % fn
    out = cli_json(DEBIAN_AWS, daemon.endpoint, "apigatewayv2", "create-api", "--name", "quick2", "--protocol-type",
                   "HTTP", "--target", uri, "--route-key", "GET /hi")
    assert call(daemon.port, out["ApiId"], "GET", "/hi")[0] == 200
    assert call(daemon.port, out["ApiId"], "GET", "/other")[0] == 404
    p = run_cli(DEBIAN_AWS, daemon.endpoint, "apigatewayv2", "get-api", "--api-id", "nosuchapi0")
    assert p.returncode != 0 and cli_error_code(p.stderr) == "NotFoundException", p.stderr


def test_malformed_route_keys(gw, fn):
    api_id, integ, _ = http_api(gw, fn, ["GET /items"])
    for bad in ("GET/items", "GET items", "FETCH /items", "get /items", "GET /items//x", "GET /{proxy+}/x",
                "GET /{}", "GET /{a}/{a}", "GET /it{em", "$connect", "GET  /x", ""):
        msg = expect_gw_error("BadRequestException", 400, gw.create_route, ApiId=api_id, RouteKey=bad)
        if bad:
            assert "route key" in msg.lower(), msg
    msg = expect_gw_error("ConflictException", 409, gw.create_route, ApiId=api_id, RouteKey="GET /items")
    assert "GET /items" in msg
    expect_gw_error("BadRequestException", 400, gw.create_route, ApiId=api_id, RouteKey="GET /x",
                    Target="integrations/nope")
    r = gw.create_route(ApiId=api_id, RouteKey="ANY /{proxy+}")
    assert "Target" not in r and r["AuthorizationType"] == "NONE" and r["ApiKeyRequired"] is False
    up = gw.update_route(ApiId=api_id, RouteId=r["RouteId"], RouteKey="POST /{proxy+}",
                         Target="integrations/" + integ)
    assert up["RouteKey"] == "POST /{proxy+}" and up["Target"] == "integrations/" + integ
    got = gw.get_route(ApiId=api_id, RouteId=r["RouteId"])
    assert {k: v for k, v in got.items() if k != "ResponseMetadata"} == \
        {k: v for k, v in up.items() if k != "ResponseMetadata"}
    expect_gw_error("ConflictException", 409, gw.update_route, ApiId=api_id, RouteId=r["RouteId"],
                    RouteKey="GET /items")
    expect_gw_error("ConflictException", 409, gw.delete_integration, ApiId=api_id, IntegrationId=integ)
    gw.delete_route(ApiId=api_id, RouteId=r["RouteId"])
    expect_gw_error("NotFoundException", 404, gw.get_route, ApiId=api_id, RouteId=r["RouteId"])


def test_not_found_and_validation_errors(daemon, gw, fn):
    for op, kw in ((gw.get_api, {}), (gw.get_routes, {}), (gw.get_stages, {}), (gw.delete_api, {}),
                   (gw.get_route, {"RouteId": "abc"}), (gw.get_integration, {"IntegrationId": "abc"})):
        msg = expect_gw_error("NotFoundException", 404, op, ApiId="nosuchapi0", **kw)
        assert "nosuchapi0" in msg
    api_id, integ, _ = http_api(gw, fn, [])
    expect_gw_error("NotFoundException", 404, gw.get_route, ApiId=api_id, RouteId="nope123")
    expect_gw_error("NotFoundException", 404, gw.get_stage, ApiId=api_id, StageName="nostage")
    expect_gw_error("NotFoundException", 404, gw.get_integration, ApiId=api_id, IntegrationId="nope123")
    expect_gw_error("NotFoundException", 404, gw.get_deployment, ApiId=api_id, DeploymentId="nope12")
    expect_gw_error("BadRequestException", 400, gw.create_deployment, ApiId=api_id)  # no routes
    expect_gw_error("ConflictException", 409, gw.create_stage, ApiId=api_id, StageName="$default")
    expect_gw_error("BadRequestException", 400, gw.create_stage, ApiId=api_id, StageName="bad name")
    expect_gw_error("BadRequestException", 400, gw.create_stage, ApiId=api_id, StageName="v",
                    StageVariables={"bad-name": "x"})
    expect_gw_error("NotFoundException", 404, gw.create_stage, ApiId=api_id, StageName="v", DeploymentId="nope12")
    msg = expect_gw_error("BadRequestException", 400, gw.update_integration, ApiId=api_id, IntegrationId=integ,
                          TimeoutInMillis=30001)
    assert "50" in msg and "30000" in msg
    # below botocore's own minimum: sent raw
    status, headers, body = daemon.raw("PATCH", "/v2/apis/%s/integrations/%s" % (api_id, integ),
                                       body=json.dumps({"timeoutInMillis": 10}))
    assert status == 400 and headers["x-amzn-errortype"] == "BadRequestException", body
    assert gw.get_integration(ApiId=api_id, IntegrationId=integ)["TimeoutInMillis"] == 30000
    expect_gw_error("BadRequestException", 400, gw.create_integration, ApiId=api_id, IntegrationType="AWS_PROXY",
                    IntegrationUri="not-an-arn", PayloadFormatVersion="2.0")
    expect_gw_error("BadRequestException", 400, gw.create_integration, ApiId=api_id, IntegrationType="AWS_PROXY",
                    IntegrationUri=fn, PayloadFormatVersion="3.0")
    expect_gw_error("BadRequestException", 400, gw.create_integration, ApiId=api_id, IntegrationType="MOCK")
    expect_gw_error("BadRequestException", 400, gw.create_api, Name="x", ProtocolType="SOAP")
    h = gw.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationUri="https://example.com/{proxy}",
                              IntegrationMethod="GET", PayloadFormatVersion="1.0")
    assert h["IntegrationType"] == "HTTP_PROXY" and h["TimeoutInMillis"] == 30000 and h["ConnectionType"] == "INTERNET"
    items = gw.get_integrations(ApiId=api_id)["Items"]
    assert {i["IntegrationId"] for i in items} == {integ, h["IntegrationId"]}
    assert gw.get_integration(ApiId=api_id, IntegrationId=h["IntegrationId"])["IntegrationMethod"] == "GET"
    gw.delete_integration(ApiId=api_id, IntegrationId=h["IntegrationId"])
    expect_gw_error("NotFoundException", 404, gw.get_integration, ApiId=api_id, IntegrationId=h["IntegrationId"])
    # the wire shape of an error: x-amzn-ErrorType and {"message": ...}
    status, headers, body = daemon.raw("GET", "/v2/apis/nosuchapi0")
    assert status == 404 and headers["x-amzn-errortype"] == "NotFoundException"
    assert json.loads(body) == {"message": "Invalid API identifier specified 000000000000:nosuchapi0"}
    status, headers, body = daemon.raw("POST", "/v2/apis/%s/routes" % api_id, body="[1]")
    assert status == 400 and headers["x-amzn-errortype"] == "BadRequestException"


def test_apis_list_update_delete_and_tags(gw, fn):
    made = [gw.create_api(Name=unique("list"), ProtocolType="HTTP", Tags={"team": "a"})["ApiId"] for _ in range(3)]
    seen, token, pages = [], None, 0
    while True:
        kw = {"MaxResults": "2"}
        if token:
            kw["NextToken"] = token
        page = gw.get_apis(**kw)
        assert len(page["Items"]) <= 2
        seen += [a["ApiId"] for a in page["Items"]]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
        assert pages < 100
    assert set(made) <= set(seen) and len(seen) == len(set(seen))
    a = gw.update_api(ApiId=made[0], Name="renamed", Description="d")
    assert a["Name"] == "renamed" and a["Description"] == "d" and a["Tags"] == {"team": "a"}
    assert gw.get_api(ApiId=made[0])["Name"] == "renamed"
    arn = "arn:aws:apigateway:us-east-1::/apis/" + made[1]
    gw.tag_resource(ResourceArn=arn, Tags={"env": "dev"})
    assert gw.get_tags(ResourceArn=arn)["Tags"] == {"team": "a", "env": "dev"}
    gw.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert gw.get_tags(ResourceArn=arn)["Tags"] == {"env": "dev"}
    expect_gw_error("NotFoundException", 404, gw.get_tags, ResourceArn="arn:aws:apigateway:us-east-1::/apis/zzz")
    for api_id in made:
        gw.delete_api(ApiId=api_id)
        expect_gw_error("NotFoundException", 404, gw.get_api, ApiId=api_id)
    assert not set(made) & {a["ApiId"] for a in gw.get_apis()["Items"]}


def test_concurrent_writes_to_one_api_all_land(daemon, gw, fn):
    """Writes to one API are serialised: none is lost even when they arrive together."""
    api_id, integ, _ = http_api(gw, fn, [])
    keys = ["GET /c%d" % i for i in range(12)]
    with concurrent.futures.ThreadPoolExecutor(6) as ex:
        list(ex.map(lambda k: gw.create_route(ApiId=api_id, RouteKey=k, Target="integrations/" + integ), keys))
    assert sorted(r["RouteKey"] for r in gw.get_routes(ApiId=api_id)["Items"]) == sorted(keys)
    for k in keys[:3]:
        assert call(daemon.port, api_id, "GET", k.split(" ")[1])[0] == 200


# ---------------------------------------------------------------- persistence


def test_apis_survive_restart_and_kill(tmp_path, python_zip):
    d = Daemon(tmp_path / "data")
    d.start()
    try:
        lam = make_client(d.endpoint)
        gw = gw_client(d.endpoint)
        name = unique("keep")
        fn = create(lam, name, zip_dir(FUNCTIONS / "apigw"), "python3.12", HANDLER)["FunctionArn"]
        api_id, integ, ids = http_api(gw, fn, ["GET /items/{id}"], payload="1.0",
                                      CorsConfiguration={"AllowOrigins": ["*"]})
        gw.create_stage(ApiId=api_id, StageName="prod", StageVariables={"v": "1"})
        gw.create_deployment(ApiId=api_id, StageName="prod")
        gone = gw.create_api(Name="gone", ProtocolType="HTTP")["ApiId"]
        gw.delete_api(ApiId=gone)
        before = {k: gw.get_api(ApiId=api_id)[k] for k in ("Name", "CreatedDate", "CorsConfiguration")}
        close_clients()
        assert d.stop() == 0, d.log_tail()
        d.start()
        gw = gw_client(d.endpoint)
        assert {k: gw.get_api(ApiId=api_id)[k] for k in before} == before
        assert gw.get_route(ApiId=api_id, RouteId=ids["GET /items/{id}"])["RouteKey"] == "GET /items/{id}"
        expect_gw_error("NotFoundException", 404, gw.get_api, ApiId=gone)
        ev = json.loads(call(d.port, api_id, "GET", "/prod/items/3")[2])
        assert ev["version"] == "1.0" and ev["stageVariables"] == {"v": "1"} and ev["pathParameters"] == {"id": "3"}

        # a 2xx means committed: kill -9 right after the answer
        r = gw.create_route(ApiId=api_id, RouteKey="GET /after-kill", Target="integrations/" + integ)
        close_clients()
        kill_daemon(d)
        d.start()
        gw = gw_client(d.endpoint)
        assert gw.get_route(ApiId=api_id, RouteId=r["RouteId"])["RouteKey"] == "GET /after-kill"
        st, _, body = call(d.port, api_id, "GET", "/after-kill")
        assert st == 200 and json.loads(body)["resource"] == "/after-kill"
        close_clients()
    finally:
        rc = d.stop()
    assert rc == 0, d.log_tail()


def test_newer_cli_and_sdk(daemon, fn, new_aws, new_python):
    """The AWS CLI and boto3 on PATH (botocore 1.43) drive the same API."""
    out = cli_json(new_aws["path"], daemon.endpoint, "apigatewayv2", "create-api", "--name", "newcli",
                   "--protocol-type", "HTTP", "--target", fn, "--cors-configuration", "AllowOrigins=*")
    api_id = out["ApiId"]
    assert out["CorsConfiguration"] == {"AllowOrigins": ["*"]}
    p = run_cli(new_aws["path"], daemon.endpoint, "apigatewayv2", "create-route", "--api-id", api_id,
                "--route-key", "GET//bad")
    assert p.returncode != 0 and cli_error_code(p.stderr) == "BadRequestException", p.stderr
    assert call(daemon.port, api_id, "GET", "/x")[0] == 200
    script = """
import json, os, boto3
c = boto3.client("apigatewayv2", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1")
api = c.get_api(ApiId=os.sys.argv[1])
r = c.create_route(ApiId=api["ApiId"], RouteKey="GET /items/{id}",
                   Target=c.get_routes(ApiId=api["ApiId"])["Items"][0]["Target"])
s = c.create_stage(ApiId=api["ApiId"], StageName="beta", AutoDeploy=True, StageVariables={"k": "v"})
try:
    c.get_stage(ApiId=api["ApiId"], StageName="nope")
    err = None
except c.exceptions.NotFoundException as e:
    err = e.response["Error"]["Code"]
print(json.dumps({"route": r["RouteKey"], "stage": s["StageName"], "auto": s["AutoDeploy"], "err": err,
                  "created": str(api["CreatedDate"])}))
"""
    res = run_new_python(new_python, daemon.endpoint, script, api_id)
    assert res["route"] == "GET /items/{id}" and res["stage"] == "beta" and res["auto"] is True
    assert res["err"] == "NotFoundException"
    ev = json.loads(call(daemon.port, api_id, "GET", "/beta/items/9")[2])
    assert ev["requestContext"]["stage"] == "beta" and ev["stageVariables"] == {"k": "v"}
    assert ev["routeKey"] == "GET /items/{id}" and ev["pathParameters"] == {"id": "9"}


# ---------------------------------------------------------------- HTTP_PROXY


@pytest.fixture(scope="module")
def upstream():
    """A small HTTP server that answers with what it received (and sleeps on /slow)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self):
            n = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(n)
            if self.path.startswith("/up/slow"):
                time.sleep(2)
            out = json.dumps({"method": self.command, "path": self.path, "body": data.decode(),
                              "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
            self.send_response(207)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Upstream", "yes")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        do_GET = do_POST = do_PUT = do_DELETE = answer  # noqa: N815 - http.server's naming

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

    srv = Server(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    t.start()
    yield "http://127.0.0.1:%d" % srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def test_http_proxy_integration(daemon, gw, upstream):
    api = gw.create_api(Name="fwd", ProtocolType="HTTP")
    api_id = api["ApiId"]
    integ = gw.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                                  IntegrationUri=upstream + "/up/{proxy}", PayloadFormatVersion="1.0")
    gw.create_route(ApiId=api_id, RouteKey="ANY /fwd/{proxy+}", Target="integrations/" + integ["IntegrationId"])
    gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    st, hdrs, body = call(daemon.port, api_id, "POST", "/fwd/a/b?x=1&y=2", body=b"payload",
                          headers=[("Content-Type", "text/plain"), ("X-Custom", "c")])
    assert st == 207, body
    assert header(hdrs, "x-upstream") == "yes" and header(hdrs, "apigw-requestid")
    got = json.loads(body)
    assert got["method"] == "POST" and got["path"] == "/up/a/b?x=1&y=2" and got["body"] == "payload"
    assert got["headers"]["x-custom"] == "c" and got["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert got["headers"]["host"] == upstream[len("http://"):]
    # a fixed method
    gw.update_integration(ApiId=api_id, IntegrationId=integ["IntegrationId"], IntegrationMethod="PUT")
    assert json.loads(call(daemon.port, api_id, "GET", "/fwd/z")[2])["method"] == "PUT"
    # the integration timeout applies
    gw.update_integration(ApiId=api_id, IntegrationId=integ["IntegrationId"], TimeoutInMillis=300)
    st, _, body = call(daemon.port, api_id, "GET", "/fwd/slow")
    assert st == 504 and json.loads(body) == {"message": "Service Unavailable"}
    # parameter mapping: headers, query string and path
    gw.update_integration(ApiId=api_id, IntegrationId=integ["IntegrationId"], IntegrationMethod="ANY",
                          TimeoutInMillis=5000, RequestParameters={
                              "append:header.x-added": "static-v",
                              "overwrite:header.x-custom": "$request.querystring.q",
                              "remove:header.x-gone": "''",
                              "overwrite:querystring.q2": "$request.header.x-custom",
                              "remove:querystring.drop": "''",
                              "append:header.x-rid": "$context.requestId",
                              "overwrite:path": "$request.path.proxy"})
    st, hdrs, body = call(daemon.port, api_id, "GET", "/fwd/up/mapped?q=qv&drop=1&keep=2",
                          headers=[("X-Custom", "orig"), ("X-Gone", "bye")])
    assert st == 207, body
    got = json.loads(body)
    assert got["path"] == "/up/mapped?q=qv&keep=2&q2=orig", got["path"]
    h = got["headers"]
    assert h["x-added"] == "static-v" and h["x-custom"] == "qv" and "x-gone" not in h
    assert h["x-rid"] == header(hdrs, "apigw-requestid")
    expect_gw_error("BadRequestException", 400, gw.update_integration, ApiId=api_id,
                    IntegrationId=integ["IntegrationId"], RequestParameters={"rename:header.x": "y"})
    # an update merges the mapping; a key set to "" goes
    got = gw.update_integration(ApiId=api_id, IntegrationId=integ["IntegrationId"],
                                RequestParameters={"remove:header.x-gone": "", "append:header.x-more": "m"})
    assert "remove:header.x-gone" not in got["RequestParameters"]
    assert got["RequestParameters"]["append:header.x-more"] == "m"
    assert got["RequestParameters"]["overwrite:path"] == "$request.path.proxy"
    keys = dict.fromkeys(got["RequestParameters"], "")
    assert gw.update_integration(ApiId=api_id, IntegrationId=integ["IntegrationId"],
                                 RequestParameters=keys).get("RequestParameters", {}) == {}
    # response mapping by status code
    gw.update_integration(ApiId=api_id, IntegrationId=integ["IntegrationId"], ResponseParameters={
        "207": {"overwrite:statuscode": "200", "append:header.x-mapped": "$response.header.X-Upstream",
                "remove:header.x-upstream": "''", "overwrite:header.x-rid": "$context.requestId"}})
    st, hdrs, body = call(daemon.port, api_id, "GET", "/fwd/z")
    assert st == 200 and header(hdrs, "x-mapped") == "yes" and header(hdrs, "x-upstream") is None
    assert header(hdrs, "x-rid") == header(hdrs, "apigw-requestid")
    expect_gw_error("BadRequestException", 400, gw.update_integration, ApiId=api_id,
                    IntegrationId=integ["IntegrationId"], ResponseParameters={"2xx": {"overwrite:statuscode": "200"}})
    expect_gw_error("BadRequestException", 400, gw.update_integration, ApiId=api_id,
                    IntegrationId=integ["IntegrationId"], ResponseParameters={"200": {"overwrite:statuscode": "x"}})
    gw.update_integration(ApiId=api_id, IntegrationId=integ["IntegrationId"], ResponseParameters={})
    # an unreachable upstream
    gw.update_integration(ApiId=api_id, IntegrationId=integ["IntegrationId"], TimeoutInMillis=5000,
                          IntegrationUri="http://127.0.0.1:%d/{proxy}" % free_port())
    st, _, body = call(daemon.port, api_id, "GET", "/fwd/x")
    assert st == 500 and json.loads(body) == {"message": "Internal Server Error"}
    assert call(daemon.port, api_id, "GET", "/nothing")[0] == 404
    assert daemon.health()["status"] == "ok"


def test_throttling(daemon, gw, fn):
    api_id, _, _ = http_api(gw, fn, ["GET /limited", "GET /free"], stage=None)
    expect_gw_error("NotFoundException", 404, gw.create_stage, ApiId=api_id, StageName="$default",
                    RouteSettings={"GET /nope": {"ThrottlingBurstLimit": 1}})
    gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True,
                    DefaultRouteSettings={"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 0.001},
                    RouteSettings={"GET /free": {"ThrottlingBurstLimit": 1000, "ThrottlingRateLimit": 1000}})
    codes = [call(daemon.port, api_id, "GET", "/limited")[0] for _ in range(3)]
    assert codes == [200, 200, 429], codes
    st, hdrs, body = call(daemon.port, api_id, "GET", "/limited")
    assert st == 429 and json.loads(body) == {"message": "Too Many Requests"} and header(hdrs, "apigw-requestid")
    assert all(call(daemon.port, api_id, "GET", "/free")[0] == 200 for _ in range(5))
    s = gw.get_stage(ApiId=api_id, StageName="$default")
    assert s["DefaultRouteSettings"] == {"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 0.001}
    # a zero limit blocks the route; removing the settings lifts it
    gw.update_stage(ApiId=api_id, StageName="$default", RouteSettings={"GET /free": {"ThrottlingBurstLimit": 0}})
    assert call(daemon.port, api_id, "GET", "/free")[0] == 429
    gw.update_stage(ApiId=api_id, StageName="$default", DefaultRouteSettings={}, RouteSettings={})
    assert call(daemon.port, api_id, "GET", "/limited")[0] == 200


def test_malformed_control_plane_input_never_crashes(daemon, gw, fn):
    """Wrong JSON types, garbage bodies and odd paths get 4xx answers and the daemon keeps serving."""
    api_id, integ, ids = http_api(gw, fn, ["GET /m"])
    route = ids["GET /m"]
    bodies = ["", "null", "[]", "42", "\"s\"", "{", "{\"name\": 5}", "{\"protocolType\": []}",
              "{\"routeKey\": {}}", "{\"routeKey\": \"GET /x\", \"target\": 7}", "{\"target\": \"integrations/\"}",
              "{\"integrationType\": \"AWS_PROXY\", \"integrationUri\": null, \"payloadFormatVersion\": 2}",
              "{\"timeoutInMillis\": \"5\"}", "{\"timeoutInMillis\": 1e308}", "{\"stageName\": \"\"}",
              "{\"stageName\": \"s\", \"stageVariables\": {\"a\": 1}}", "{\"stageName\": \"s\", \"routeSettings\": []}",
              "{\"stageName\": \"s\", \"defaultRouteSettings\": {\"throttlingBurstLimit\": -1}}",
              "{\"corsConfiguration\": {\"allowOrigins\": \"*\"}}", "{\"corsConfiguration\": 3}",
              "{\"tags\": {\"a\": {}}}", "{\"name\": \"" + "n" * 200 + "\", \"protocolType\": \"HTTP\"}"]
    paths = [("POST", "/v2/apis"), ("PATCH", "/v2/apis/%s" % api_id), ("POST", "/v2/apis/%s/routes" % api_id),
             ("PATCH", "/v2/apis/%s/routes/%s" % (api_id, route)), ("POST", "/v2/apis/%s/integrations" % api_id),
             ("PATCH", "/v2/apis/%s/integrations/%s" % (api_id, integ)), ("POST", "/v2/apis/%s/stages" % api_id),
             ("PATCH", "/v2/apis/%s/stages/$default" % api_id), ("POST", "/v2/apis/%s/deployments" % api_id),
             ("POST", "/v2/tags/arn:aws:apigateway:us-east-1::%2Fapis%2F" + api_id),
             ("POST", "/restapis"), ("POST", "/restapis/%s/resources/x" % api_id)]
    for method, path in paths:
        for b in bodies:
            st, _, out = daemon.raw(method, path, body=b, headers={"Content-Type": "application/json"})
            assert st < 500, (method, path, b, st, out)
    for path in ("/v2/apis/%s/routes/%s/extra" % (api_id, route), "/v2/apis/%2e%2e", "/v2/apis/" + "x" * 2000,
                 "/v2/tags/", "/v2/apis/%s/cors" % api_id, "/restapis/x/resources/y/methods/GET/integration/z"):
        st, _, _ = daemon.raw("GET", path)
        assert 400 <= st < 500, path
    assert call(daemon.port, api_id, "GET", "/m")[0] == 200
    assert daemon.health()["status"] == "ok"


def test_odd_invoke_requests(daemon, gw, fn):
    """Odd paths, hosts and methods on invoke URLs are answered, and the daemon keeps serving."""
    api_id, _, _ = http_api(gw, fn, ["GET /a/{x}", "ANY /g/{p+}"])
    for path in ("/a/%zz", "/a/%00", "/" + "/".join(["s"] * 300), "/a/" + "x" * 8000, "//", "/a//", "/g/",
                 "/g/%2F%2F", "/a/x?%zz=%zz&&=&a", "/a/x?" + "q=1&" * 2000):
        st, _, body = call(daemon.port, api_id, "GET", path)
        assert st in (200, 400, 404, 414, 431), (path[:60], st, body[:200])
    for method in ("PROPFIND", "TRACE", "CONNECT-ISH"):
        st, _, _ = call(daemon.port, api_id, method, "/g/x")
        assert st in (200, 400, 404, 405, 501), (method, st)
    for host in ("%s.execute-api.localhost" % api_id, "%s.execute-api.us-east-1.localhost:1" % api_id,
                 "%s.EXECUTE-API.LOCALHOST" % api_id.upper()):
        conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=30)
        conn.putrequest("GET", "/a/1", skip_host=True)
        conn.putheader("Host", host)
        conn.endheaders()
        r = conn.getresponse()
        r.read()
        conn.close()
        assert r.status in (200, 404), (host, r.status)
    for host in (".execute-api.localhost", "x.execute-api.example.com", "execute-api.localhost"):
        conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=30)
        conn.putrequest("GET", "/_lambdad/health", skip_host=True)
        conn.putheader("Host", host)
        conn.endheaders()
        r = conn.getresponse()
        assert r.status == 200, host  # not an API host: the daemon's own path
        r.read()
        conn.close()
    assert call(daemon.port, api_id, "GET", "/a/ok")[0] == 200
    assert daemon.health()["status"] == "ok"


def test_lambda_authorizers(daemon, gw, lam, fn):
    zipped = zip_dir(FUNCTIONS / "apigw")
    auth_fn = {h: create(lam, unique("auth"), zipped, "python3.12", "auth." + h)["FunctionArn"]
               for h in ("simple", "policy", "broken")}
    uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/%s/invocations"
    api_id, integ, ids = http_api(gw, fn, ["GET /simple/{id}", "GET /policy", "GET /broken", "GET /open"])
    simple = gw.create_authorizer(ApiId=api_id, Name="simple", AuthorizerType="REQUEST",
                                  AuthorizerUri=uri % auth_fn["simple"], AuthorizerPayloadFormatVersion="2.0",
                                  EnableSimpleResponses=True, IdentitySource=["$request.header.Authorization"])
    assert simple["AuthorizerType"] == "REQUEST" and simple["IdentitySource"] == ["$request.header.Authorization"]
    policy = gw.create_authorizer(ApiId=api_id, Name="policy", AuthorizerType="REQUEST",
                                  AuthorizerUri=uri % auth_fn["policy"], AuthorizerPayloadFormatVersion="1.0",
                                  IdentitySource=["$request.querystring.token"])
    broken = gw.create_authorizer(ApiId=api_id, Name="broken", AuthorizerType="REQUEST",
                                  AuthorizerUri=uri % auth_fn["broken"], AuthorizerPayloadFormatVersion="2.0",
                                  EnableSimpleResponses=True, IdentitySource=["$context.requestId"])
    for key, az in (("GET /simple/{id}", simple), ("GET /policy", policy), ("GET /broken", broken)):
        gw.update_route(ApiId=api_id, RouteId=ids[key], AuthorizationType="CUSTOM", AuthorizerId=az["AuthorizerId"])
    assert {a["Name"] for a in gw.get_authorizers(ApiId=api_id)["Items"]} == {"simple", "policy", "broken"}

    # simple responses: the context reaches the integration
    st, _, body = call(daemon.port, api_id, "GET", "/simple/7", headers=[("Authorization", "let-me-in")])
    assert st == 200, body
    ev = json.loads(body)
    ctx = ev["requestContext"]["authorizer"]["lambda"]
    assert ctx["user"] == "alice" and ctx["type"] == "REQUEST" and ctx["identitySource"] == ["let-me-in"]
    assert ctx["routeArn"] == "arn:aws:execute-api:us-east-1:000000000000:%s/$default/GET/simple/7" % api_id
    assert ctx["hasBody"] is False and ctx["routeKey"] == "GET /simple/{id}"
    st, _, body = call(daemon.port, api_id, "GET", "/simple/7", headers=[("Authorization", "wrong")])
    assert st == 403 and json.loads(body) == {"message": "Forbidden"}
    st, _, body = call(daemon.port, api_id, "GET", "/simple/7")
    assert st == 401 and json.loads(body) == {"message": "Unauthorized"}

    # IAM policies (payload 1.0)
    st, _, body = call(daemon.port, api_id, "GET", "/policy?token=allow")
    assert st == 200, body
    a = json.loads(body)["requestContext"]["authorizer"]["lambda"]
    assert a["type"] == "REQUEST"
    assert a["methodArn"] == "arn:aws:execute-api:us-east-1:000000000000:%s/$default/GET/policy" % api_id
    assert call(daemon.port, api_id, "GET", "/policy?token=deny")[0] == 403
    assert call(daemon.port, api_id, "GET", "/policy")[0] == 401
    # payload 1.0 integrations see the principal and the context as strings
    gw.update_integration(ApiId=api_id, IntegrationId=integ, PayloadFormatVersion="1.0")
    ev = json.loads(call(daemon.port, api_id, "GET", "/policy?token=allow")[2])
    assert ev["requestContext"]["authorizer"]["principalId"] == "user-42"
    assert ev["requestContext"]["authorizer"]["k"] == "v" and ev["requestContext"]["authorizer"]["num"] == "5"

    # a malformed authorizer answer is a 500; routes without an authorizer are open
    st, _, body = call(daemon.port, api_id, "GET", "/broken")
    assert st == 500 and json.loads(body) == {"message": "Internal Server Error"}
    assert call(daemon.port, api_id, "GET", "/open")[0] == 200

    # validation
    expect_gw_error("ConflictException", 409, gw.delete_authorizer, ApiId=api_id, AuthorizerId=simple["AuthorizerId"])
    expect_gw_error("NotFoundException", 404, gw.update_route, ApiId=api_id, RouteId=ids["GET /open"],
                    AuthorizationType="CUSTOM", AuthorizerId="nope123")
    expect_gw_error("BadRequestException", 400, gw.create_authorizer, ApiId=api_id, Name="j", AuthorizerType="JWT",
                    IdentitySource=["$request.header.Authorization"])  # JWT needs a JwtConfiguration
    expect_gw_error("BadRequestException", 400, gw.create_authorizer, ApiId=api_id, Name="x", AuthorizerType="REQUEST",
                    AuthorizerUri=uri % auth_fn["simple"], AuthorizerPayloadFormatVersion="1.0",
                    EnableSimpleResponses=True, IdentitySource=["$request.header.Authorization"])
    expect_gw_error("BadRequestException", 400, gw.create_authorizer, ApiId=api_id, Name="x", AuthorizerType="REQUEST",
                    AuthorizerUri=uri % auth_fn["simple"], AuthorizerPayloadFormatVersion="2.0",
                    IdentitySource=["header.Authorization"])
    gw.update_route(ApiId=api_id, RouteId=ids["GET /broken"], AuthorizationType="NONE")
    gw.delete_authorizer(ApiId=api_id, AuthorizerId=broken["AuthorizerId"])
    expect_gw_error("NotFoundException", 404, gw.get_authorizer, ApiId=api_id, AuthorizerId=broken["AuthorizerId"])


def test_authorizer_cache(daemon, gw, lam, fn):
    """With authorizerResultTtlInSeconds, a decision is reused for the same identity (a counter proves it)."""
    zipped = zip_dir(FUNCTIONS / "apigw")
    counting = create(lam, unique("authc"), zipped, "python3.12", "auth.counting")["FunctionArn"]
    uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/%s/invocations" % counting
    api_id, _, ids = http_api(gw, fn, ["GET /c"])
    az = gw.create_authorizer(ApiId=api_id, Name="c", AuthorizerType="REQUEST", AuthorizerUri=uri,
                              AuthorizerPayloadFormatVersion="2.0", EnableSimpleResponses=True,
                              IdentitySource=["$request.header.X-Token"], AuthorizerResultTtlInSeconds=300)
    gw.update_route(ApiId=api_id, RouteId=ids["GET /c"], AuthorizationType="CUSTOM", AuthorizerId=az["AuthorizerId"])
    calls = [json.loads(call(daemon.port, api_id, "GET", "/c", headers=[("X-Token", "t1")])[2])
             ["requestContext"]["authorizer"]["lambda"]["calls"] for _ in range(3)]
    assert calls[0] == calls[1] == calls[2], calls  # one authorizer call, cached
    other = json.loads(call(daemon.port, api_id, "GET", "/c", headers=[("X-Token", "t2")])[2])
    assert other["requestContext"]["authorizer"]["lambda"]["calls"] == calls[0] + 1
    # a denied identity is cached too
    assert call(daemon.port, api_id, "GET", "/c", headers=[("X-Token", "deny")])[0] == 403
    assert call(daemon.port, api_id, "GET", "/c", headers=[("X-Token", "deny")])[0] == 403
    again = json.loads(call(daemon.port, api_id, "GET", "/c", headers=[("X-Token", "t3")])[2])
    assert again["requestContext"]["authorizer"]["lambda"]["calls"] == calls[0] + 3


def test_disable_execute_api_endpoint(daemon, gw, fn):
    api_id, _, _ = http_api(gw, fn, ["$default"])
    assert call(daemon.port, api_id, "GET", "/x")[0] == 200
    gw.update_api(ApiId=api_id, DisableExecuteApiEndpoint=True)
    st, _, body = call(daemon.port, api_id, "GET", "/x")
    assert st == 403 and json.loads(body) == {"message": "Forbidden"}
    gw.update_api(ApiId=api_id, DisableExecuteApiEndpoint=False)
    assert call(daemon.port, api_id, "GET", "/x")[0] == 200
