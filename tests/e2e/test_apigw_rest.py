"""API Gateway REST APIs (apigateway v1): resources, methods, AWS_PROXY integrations, deployments and stages
through boto3 and the AWS CLI, invoked through both URL forms with the REST payload (1.0)."""

import base64
import json
import re

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import (_CLIENTS, DEBIAN_AWS, FUNCTIONS, Daemon, cli_json, close_clients, create, make_client,
                      unique, zip_dir)
from test_apigw_http import REQUEST_TIME, call, header, upstream  # noqa: F401 - upstream is a fixture

UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def v1_client(endpoint):
    cfg = Config(retries={"total_max_attempts": 1}, read_timeout=60, connect_timeout=5)
    c = boto3.client("apigateway", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                     aws_secret_access_key="test", config=cfg)
    _CLIENTS.append(c)
    return c


@pytest.fixture(scope="module")
def apigw(daemon):
    return v1_client(daemon.endpoint)


@pytest.fixture(scope="module")
def fn(lam):
    name = unique("rest")
    return create(lam, name, zip_dir(FUNCTIONS / "apigw"), "python3.12", "app.handler", Timeout=10)["FunctionArn"]


def lambda_uri(fn):
    return "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/%s/invocations" % fn


def expect(code, status, f, **kw):
    with pytest.raises(ClientError) as ei:
        f(**kw)
    e = ei.value.response
    assert e["Error"]["Code"] == code and e["ResponseMetadata"]["HTTPStatusCode"] == status, e
    return e["Error"]["Message"]


def root_of(apigw, api_id):
    """The root resource's id (botocore 1.29 predates the rootResourceId member)."""
    return [r["id"] for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/"][0]


def rest_api(apigw, fn, paths, stage="prod", method="GET"):
    """A REST API with a resource per path (parents created as needed), each with one AWS_PROXY method."""
    api = apigw.create_rest_api(name=unique("rest"))
    api_id = api["id"]
    by_path = {"/": root_of(apigw, api_id)}
    for path in paths:
        parent = "/"
        for part in [p for p in path.split("/") if p]:
            full = (parent.rstrip("/") + "/" + part)
            if full not in by_path:
                by_path[full] = apigw.create_resource(restApiId=api_id, parentId=by_path[parent], pathPart=part)["id"]
            parent = full
        rid = by_path[path]
        apigw.put_method(restApiId=api_id, resourceId=rid, httpMethod=method, authorizationType="NONE")
        apigw.put_integration(restApiId=api_id, resourceId=rid, httpMethod=method, type="AWS_PROXY",
                              integrationHttpMethod="POST", uri=lambda_uri(fn))
    if stage:
        apigw.create_deployment(restApiId=api_id, stageName=stage)
    return api_id, by_path


def test_rest_api_event_both_url_forms(daemon, apigw, fn):
    api_id, ids = rest_api(apigw, fn, ["/items/{id}"])
    st, hdrs, body = call(daemon.port, api_id, "GET", "/prod/items/5?x=1&x=2&y=3",
                          headers=[("X-Dup", "a"), ("X-Dup", "b"), ("User-Agent", "rest-e2e")])
    assert st == 200, body
    rid = header(hdrs, "x-amzn-requestid")
    assert rid and re.match(UUID, rid)
    assert re.match(r"^[A-Za-z0-9+/]{15}=$", header(hdrs, "x-amz-apigw-id"))
    assert re.match(r"^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$", header(hdrs, "x-amzn-trace-id"))
    ev = json.loads(body)
    assert "version" not in ev
    assert ev["resource"] == "/items/{id}" and ev["path"] == "/items/5" and ev["httpMethod"] == "GET"
    assert ev["pathParameters"] == {"id": "5"} and ev["stageVariables"] is None
    assert ev["queryStringParameters"] == {"x": "2", "y": "3"}
    assert ev["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": ["3"]}
    assert ev["headers"]["x-dup"] == "b" and ev["multiValueHeaders"]["x-dup"] == ["a", "b"]
    assert ev["body"] is None and ev["isBase64Encoded"] is False
    ctx = ev["requestContext"]
    assert ctx["path"] == "/prod/items/5" and ctx["stage"] == "prod" and ctx["resourcePath"] == "/items/{id}"
    assert ctx["resourceId"] == ids["/items/{id}"] and ctx["httpMethod"] == "GET" and ctx["apiId"] == api_id
    assert ctx["requestId"] == rid and REQUEST_TIME.match(ctx["requestTime"])
    assert ctx["identity"]["sourceIp"] == "127.0.0.1" and ctx["identity"]["userAgent"] == "rest-e2e"
    assert ctx["domainName"] == "%s.execute-api.localhost" % api_id

    # the path-based form, on any host
    st, _, body = daemon.raw("GET", "/restapis/%s/prod/_user_request_/items/6?z=1" % api_id)
    assert st == 200, body
    ev = json.loads(body)
    assert ev["path"] == "/items/6" and ev["pathParameters"] == {"id": "6"}
    assert ev["queryStringParameters"] == {"z": "1"} and ev["requestContext"]["path"] == "/prod/items/6"


def test_rest_missing_routes_and_errors(daemon, apigw, fn):
    api_id, ids = rest_api(apigw, fn, ["/x/{proxy+}", "/boom"])
    assert json.loads(call(daemon.port, api_id, "GET", "/prod/x/a/b")[2])["pathParameters"] == {"proxy": "a/b"}
    for path in ("/prod/nothing", "/prod/x", "/other/x/a", "/prod"):
        st, hdrs, body = call(daemon.port, api_id, "GET", path)
        assert st == 403 and json.loads(body) == {"message": "Missing Authentication Token"}, path
    assert call(daemon.port, api_id, "POST", "/prod/boom")[0] == 403  # no POST method
    st, _, body = call(daemon.port, api_id, "GET", "/prod/x/error")
    assert st == 502 and json.loads(body) == {"message": "Internal server error"}
    st, _, body = daemon.raw("GET", "/restapis/nosuchapi0/prod/_user_request_/x")
    assert st == 403


def test_rest_control_plane(daemon, apigw, fn):
    api = apigw.create_rest_api(name="ctl", description="d")
    api_id = api["id"]
    root = root_of(apigw, api_id)
    status, _, body = daemon.raw("GET", "/restapis/" + api_id)
    assert status == 200 and json.loads(body)["rootResourceId"] == root
    assert api["apiKeySource"] == "HEADER" and api["endpointConfiguration"] == {"types": ["EDGE"]}
    assert api["createdDate"]
    res = apigw.get_resources(restApiId=api_id)["items"]
    assert res == [{"id": root, "path": "/"}]
    child = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")
    assert child["path"] == "/pets" and child["parentId"] == root and child["pathPart"] == "pets"
    expect("ConflictException", 409, apigw.create_resource, restApiId=api_id, parentId=root, pathPart="pets")
    expect("BadRequestException", 400, apigw.create_resource, restApiId=api_id, parentId=root, pathPart="a/b")
    expect("NotFoundException", 404, apigw.create_resource, restApiId=api_id, parentId="nope", pathPart="x")
    expect("NotFoundException", 404, apigw.get_rest_api, restApiId="nosuchapi0")
    m = apigw.put_method(restApiId=api_id, resourceId=child["id"], httpMethod="GET", authorizationType="NONE")
    assert m["httpMethod"] == "GET" and m["authorizationType"] == "NONE" and m["apiKeyRequired"] is False
    # a method without an integration cannot be deployed
    expect("BadRequestException", 400, apigw.create_deployment, restApiId=api_id, stageName="s")
    expect("NotFoundException", 404, apigw.get_integration, restApiId=api_id, resourceId=child["id"],
           httpMethod="GET")
    expect("BadRequestException", 400, apigw.put_integration, restApiId=api_id, resourceId=child["id"],
           httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST", uri="not-an-arn")
    i = apigw.put_integration(restApiId=api_id, resourceId=child["id"], httpMethod="GET", type="AWS_PROXY",
                              integrationHttpMethod="POST", uri=lambda_uri(fn))
    assert i["type"] == "AWS_PROXY" and i["timeoutInMillis"] == 29000 and i["passthroughBehavior"] == "WHEN_NO_MATCH"
    got = apigw.get_resource(restApiId=api_id, resourceId=child["id"])
    assert got["resourceMethods"]["GET"]["methodIntegration"]["uri"] == lambda_uri(fn)
    dep = apigw.create_deployment(restApiId=api_id, description="v1")
    assert dep["id"] and dep["description"] == "v1"
    stage = apigw.create_stage(restApiId=api_id, stageName="dev", deploymentId=dep["id"],
                               variables={"color": "blue"})
    assert stage["stageName"] == "dev" and stage["deploymentId"] == dep["id"] and stage["variables"] == {"color": "blue"}
    expect("ConflictException", 409, apigw.create_stage, restApiId=api_id, stageName="dev", deploymentId=dep["id"])
    expect("NotFoundException", 404, apigw.create_stage, restApiId=api_id, stageName="x", deploymentId="nope12")
    ev = json.loads(call(daemon.port, api_id, "GET", "/dev/pets")[2])
    assert ev["stageVariables"] == {"color": "blue"} and ev["requestContext"]["stage"] == "dev"
    assert [s["stageName"] for s in apigw.get_stages(restApiId=api_id)["item"]] == ["dev"]
    assert dep["id"] in [d["id"] for d in apigw.get_deployments(restApiId=api_id)["items"]]
    expect("BadRequestException", 400, apigw.delete_deployment, restApiId=api_id, deploymentId=dep["id"])
    # the Debian CLI reads the same resources
    out = cli_json(DEBIAN_AWS, daemon.endpoint, "apigateway", "get-resources", "--rest-api-id", api_id)
    assert sorted(r["path"] for r in out["items"]) == ["/", "/pets"]
    apigw.delete_method(restApiId=api_id, resourceId=child["id"], httpMethod="GET")
    expect("NotFoundException", 404, apigw.get_method, restApiId=api_id, resourceId=child["id"], httpMethod="GET")
    apigw.delete_resource(restApiId=api_id, resourceId=child["id"])
    assert [r["path"] for r in apigw.get_resources(restApiId=api_id)["items"]] == ["/"]
    assert api_id in [a["id"] for a in apigw.get_rest_apis()["items"]]
    # REST and HTTP APIs do not see each other
    gw2 = boto3.client("apigatewayv2", endpoint_url=daemon.endpoint, region_name="us-east-1",
                       aws_access_key_id="t", aws_secret_access_key="t")
    with pytest.raises(ClientError):
        gw2.get_api(ApiId=api_id)
    apigw.delete_stage(restApiId=api_id, stageName="dev")
    apigw.delete_rest_api(restApiId=api_id)
    expect("NotFoundException", 404, apigw.get_rest_api, restApiId=api_id)


def test_rest_api_survives_restart(tmp_path):
    d = Daemon(tmp_path / "data")
    d.start()
    try:
        lam = make_client(d.endpoint)
        fn = create(lam, unique("rkeep"), zip_dir(FUNCTIONS / "apigw"), "python3.12", "app.handler")["FunctionArn"]
        api_id, _ = rest_api(v1_client(d.endpoint), fn, ["/keep"])
        close_clients()
        assert d.stop() == 0, d.log_tail()
        d.start()
        assert sorted(r["path"] for r in v1_client(d.endpoint).get_resources(restApiId=api_id)["items"]) == \
            ["/", "/keep"]
        st, _, body = call(d.port, api_id, "GET", "/prod/keep")
        assert st == 200 and json.loads(body)["resource"] == "/keep"
        close_clients()
    finally:
        rc = d.stop()
    assert rc == 0, d.log_tail()


def test_rest_updates(daemon, apigw, fn):
    api_id, ids = rest_api(apigw, fn, ["/u"])
    a = apigw.update_rest_api(restApiId=api_id, patchOperations=[{"op": "replace", "path": "/name", "value": "n2"},
                                                                 {"op": "replace", "path": "/description",
                                                                  "value": "d2"}])
    assert a["name"] == "n2" and a["description"] == "d2"
    s = apigw.update_stage(restApiId=api_id, stageName="prod",
                           patchOperations=[{"op": "replace", "path": "/variables/k", "value": "v"},
                                            {"op": "replace", "path": "/description", "value": "sd"}])
    assert s["variables"] == {"k": "v"} and s["description"] == "sd"
    ev = json.loads(call(daemon.port, api_id, "GET", "/prod/u")[2])
    assert ev["stageVariables"] == {"k": "v"}
    s = apigw.update_stage(restApiId=api_id, stageName="prod",
                           patchOperations=[{"op": "remove", "path": "/variables/k"}])
    assert s.get("variables", {}) == {}
    i = apigw.update_integration(restApiId=api_id, resourceId=ids["/u"], httpMethod="GET",
                                 patchOperations=[{"op": "replace", "path": "/timeoutInMillis", "value": "1000"}])
    assert i["timeoutInMillis"] == 1000
    expect("BadRequestException", 400, apigw.update_integration, restApiId=api_id, resourceId=ids["/u"],
           httpMethod="GET", patchOperations=[{"op": "replace", "path": "/timeoutInMillis", "value": "40000"}])
    expect("BadRequestException", 400, apigw.update_stage, restApiId=api_id, stageName="prod",
           patchOperations=[{"op": "replace", "path": "/nonsense", "value": "x"}])
    expect("NotFoundException", 404, apigw.update_stage, restApiId=api_id, stageName="prod",
           patchOperations=[{"op": "replace", "path": "/deploymentId", "value": "nope12"}])
    expect("NotFoundException", 404, apigw.update_stage, restApiId=api_id, stageName="nostage",
           patchOperations=[])
    m = apigw.update_method(restApiId=api_id, resourceId=ids["/u"], httpMethod="GET",
                            patchOperations=[{"op": "replace", "path": "/operationName", "value": "getU"}])
    assert m["operationName"] == "getU"
    # a new deployment takes the changed integration to the stage
    dep = apigw.create_deployment(restApiId=api_id, stageName="prod")
    assert apigw.get_stage(restApiId=api_id, stageName="prod")["deploymentId"] == dep["id"]
    assert call(daemon.port, api_id, "GET", "/prod/u")[0] == 200


def test_rest_authorizers(daemon, apigw, lam, fn):
    zipped = zip_dir(FUNCTIONS / "apigw")
    tok_fn = create(lam, unique("rtok"), zipped, "python3.12", "auth.rest_token")["FunctionArn"]
    req_fn = create(lam, unique("rreq"), zipped, "python3.12", "auth.rest_request")["FunctionArn"]
    api_id, ids = rest_api(apigw, fn, ["/tok", "/req"], stage=None)
    tok = apigw.create_authorizer(restApiId=api_id, name="tok", type="TOKEN", authorizerUri=lambda_uri(tok_fn),
                                  identitySource="method.request.header.Authorization",
                                  identityValidationExpression="^(allow|deny)$", authorizerResultTtlInSeconds=0)
    assert tok["type"] == "TOKEN" and tok["id"] and tok["authorizerResultTtlInSeconds"] == 0
    req = apigw.create_authorizer(restApiId=api_id, name="req", type="REQUEST", authorizerUri=lambda_uri(req_fn),
                                  identitySource="method.request.header.X-Key, method.request.querystring.q",
                                  authorizerResultTtlInSeconds=300)
    assert {a["name"] for a in apigw.get_authorizers(restApiId=api_id)["items"]} == {"tok", "req"}
    for path, az in (("/tok", tok), ("/req", req)):
        apigw.put_method(restApiId=api_id, resourceId=ids[path], httpMethod="GET", authorizationType="CUSTOM",
                         authorizerId=az["id"])
        apigw.put_integration(restApiId=api_id, resourceId=ids[path], httpMethod="GET", type="AWS_PROXY",
                              integrationHttpMethod="POST", uri=lambda_uri(fn))
    apigw.create_deployment(restApiId=api_id, stageName="prod")

    st, _, body = call(daemon.port, api_id, "GET", "/prod/tok", headers=[("Authorization", "allow")])
    assert st == 200, body
    a = json.loads(body)["requestContext"]["authorizer"]
    assert a["principalId"] == "tok-user" and a["type"] == "TOKEN"
    assert a["methodArn"] == "arn:aws:execute-api:us-east-1:000000000000:%s/prod/GET/tok" % api_id
    assert a["keys"] == "authorizationToken,methodArn,type"
    st, _, body = call(daemon.port, api_id, "GET", "/prod/tok", headers=[("Authorization", "deny")])
    assert st == 403 and json.loads(body) == {
        "Message": "User is not authorized to access this resource with an explicit deny"}
    for hdrs in ([], [("Authorization", "other")]):  # missing, or failing identityValidationExpression
        st, _, body = call(daemon.port, api_id, "GET", "/prod/tok", headers=hdrs)
        assert st == 401 and json.loads(body) == {"message": "Unauthorized"}

    st, _, body = call(daemon.port, api_id, "GET", "/prod/req?q=1", headers=[("X-Key", "k1")])
    assert st == 200, body
    a = json.loads(body)["requestContext"]["authorizer"]
    assert a["principalId"] == "req-user" and a["type"] == "REQUEST" and a["resource"] == "/req"
    assert a["hasBody"] == "false"
    assert call(daemon.port, api_id, "GET", "/prod/req?q=1", headers=[("X-Key", "bad")])[0] == 403
    assert call(daemon.port, api_id, "GET", "/prod/req", headers=[("X-Key", "k1")])[0] == 401

    a2 = apigw.update_authorizer(restApiId=api_id, authorizerId=req["id"], patchOperations=[
        {"op": "replace", "path": "/authorizerResultTtlInSeconds", "value": "0"},
        {"op": "replace", "path": "/name", "value": "req2"}])
    assert a2["name"] == "req2" and a2["authorizerResultTtlInSeconds"] == 0
    assert apigw.get_authorizer(restApiId=api_id, authorizerId=req["id"])["name"] == "req2"
    expect("BadRequestException", 400, apigw.update_authorizer, restApiId=api_id, authorizerId=req["id"],
           patchOperations=[{"op": "replace", "path": "/authorizerResultTtlInSeconds", "value": "9999"}])
    deps = apigw.get_deployments(restApiId=api_id)["items"]
    d = apigw.update_deployment(restApiId=api_id, deploymentId=deps[0]["id"],
                                patchOperations=[{"op": "replace", "path": "/description", "value": "renamed"}])
    assert d["description"] == "renamed"
    expect("BadRequestException", 400, apigw.put_method, restApiId=api_id, resourceId=ids["/tok"],
           httpMethod="POST", authorizationType="CUSTOM", authorizerId="nope12")
    expect("ConflictException", 409, apigw.delete_authorizer, restApiId=api_id, authorizerId=tok["id"])
    expect("NotFoundException", 404, apigw.get_authorizer, restApiId=api_id, authorizerId="nope12")
    expect("BadRequestException", 400, apigw.create_authorizer, restApiId=api_id, name="x", type="TOKEN",
           authorizerUri="arn:aws:lambda:us-east-1:000000000000:function:f")


def test_rest_throttling(daemon, apigw, fn):
    api_id, _ = rest_api(apigw, fn, ["/t", "/free"])
    apigw.update_stage(restApiId=api_id, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2"},
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "0.001"},
        {"op": "replace", "path": "/~1free/GET/throttling/burstLimit", "value": "1000"},
        {"op": "replace", "path": "/~1free/GET/throttling/rateLimit", "value": "1000"}])
    s = apigw.get_stage(restApiId=api_id, stageName="prod")
    assert s["methodSettings"]["*/*"]["throttlingBurstLimit"] == 2
    assert s["methodSettings"]["free/GET"]["throttlingRateLimit"] == 1000.0
    codes = [call(daemon.port, api_id, "GET", "/prod/t")[0] for _ in range(3)]
    assert codes == [200, 200, 429], codes
    st, _, body = call(daemon.port, api_id, "GET", "/prod/t")
    assert st == 429 and json.loads(body) == {"message": "Too Many Requests"}
    assert all(call(daemon.port, api_id, "GET", "/prod/free")[0] == 200 for _ in range(4))
    expect("BadRequestException", 400, apigw.update_stage, restApiId=api_id, stageName="prod",
           patchOperations=[{"op": "replace", "path": "/*/FETCH/throttling/rateLimit", "value": "1"}])


def test_rest_mock_options_for_cors(daemon, apigw, fn):
    """The console's "Enable CORS": an OPTIONS method with a MOCK integration and static response headers."""
    api_id, ids = rest_api(apigw, fn, ["/items"], stage=None)
    rid = ids["/items"]
    apigw.put_method(restApiId=api_id, resourceId=rid, httpMethod="OPTIONS", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=rid, httpMethod="OPTIONS", type="MOCK",
                          requestTemplates={"application/json": "{\"statusCode\": 200}"})
    mr = apigw.put_method_response(restApiId=api_id, resourceId=rid, httpMethod="OPTIONS", statusCode="200",
                                   responseParameters={"method.response.header.Access-Control-Allow-Origin": True,
                                                       "method.response.header.Access-Control-Allow-Methods": True})
    assert mr["statusCode"] == "200"
    ir = apigw.put_integration_response(
        restApiId=api_id, resourceId=rid, httpMethod="OPTIONS", statusCode="200",
        responseParameters={"method.response.header.Access-Control-Allow-Origin": "'*'",
                            "method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS'"},
        responseTemplates={"application/json": ""})
    assert ir["statusCode"] == "200"
    got = apigw.get_integration_response(restApiId=api_id, resourceId=rid, httpMethod="OPTIONS", statusCode="200")
    assert got["responseParameters"]["method.response.header.Access-Control-Allow-Origin"] == "'*'"
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    st, hdrs, body = call(daemon.port, api_id, "OPTIONS", "/prod/items",
                          headers=[("Origin", "https://a.example"), ("Access-Control-Request-Method", "GET")])
    assert st == 200 and body == b"", body
    assert header(hdrs, "access-control-allow-origin") == "*"
    assert header(hdrs, "access-control-allow-methods") == "GET,OPTIONS"
    assert call(daemon.port, api_id, "GET", "/prod/items")[0] == 200
    apigw.delete_integration_response(restApiId=api_id, resourceId=rid, httpMethod="OPTIONS", statusCode="200")
    expect("NotFoundException", 404, apigw.get_integration_response, restApiId=api_id, resourceId=rid,
           httpMethod="OPTIONS", statusCode="200")
    expect("NotFoundException", 404, apigw.get_method_response, restApiId=api_id, resourceId=rid,
           httpMethod="OPTIONS", statusCode="404")


def test_rest_binary_media_types(daemon, apigw, fn):
    api_id, _ = rest_api(apigw, fn, ["/{proxy+}"], method="ANY")
    # without binaryMediaTypes: bodies are text, and a base64 response stays base64 text
    ev = json.loads(call(daemon.port, api_id, "POST", "/prod/up", body=b"hello",
                         headers=[("Content-Type", "application/octet-stream")])[2])
    assert ev["isBase64Encoded"] is False and ev["body"] == "hello"
    st, _, body = call(daemon.port, api_id, "GET", "/prod/binary")
    assert st == 201 and base64.b64decode(body) == bytes(range(256))
    apigw.update_rest_api(restApiId=api_id, patchOperations=[
        {"op": "add", "path": "/binaryMediaTypes/application~1octet-stream"}])
    assert apigw.get_rest_api(restApiId=api_id)["binaryMediaTypes"] == ["application/octet-stream"]
    ev = json.loads(call(daemon.port, api_id, "POST", "/prod/up", body=b"hello",
                         headers=[("Content-Type", "application/octet-stream")])[2])
    assert ev["isBase64Encoded"] is True and base64.b64decode(ev["body"]) == b"hello"
    st, _, body = call(daemon.port, api_id, "GET", "/prod/binary", headers=[("Accept", "application/octet-stream")])
    assert st == 201 and body == bytes(range(256))


def test_rest_http_proxy_with_parameters(daemon, apigw, upstream):
    api = apigw.create_rest_api(name=unique("rfwd"))
    api_id = api["id"]
    root = root_of(apigw, api_id)
    res = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")
    apigw.put_method(restApiId=api_id, resourceId=res["id"], httpMethod="ANY", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=res["id"], httpMethod="ANY", type="HTTP_PROXY",
                          integrationHttpMethod="ANY", uri=upstream + "/up/{proxy}",
                          requestParameters={"integration.request.path.proxy": "method.request.path.proxy",
                                             "integration.request.header.x-from": "method.request.header.x-in",
                                             "integration.request.header.x-static": "'fixed'",
                                             "integration.request.querystring.v": "stageVariables.ver"})
    apigw.create_deployment(restApiId=api_id, stageName="prod", variables={"ver": "7"})
    st, hdrs, body = call(daemon.port, api_id, "POST", "/prod/a/b?k=1", body=b"data", headers=[("X-In", "hello")])
    assert st == 207, body
    got = json.loads(body)
    assert got["method"] == "POST" and got["path"] == "/up/a/b?k=1&v=7" and got["body"] == "data"
    assert got["headers"]["x-from"] == "hello" and got["headers"]["x-static"] == "fixed"
    assert header(hdrs, "x-upstream") == "yes" and header(hdrs, "x-amzn-requestid")
