"""Issue 6 acceptance: a REST API resource /items/{id} built with Debian's AWS CLI 2.9 delivers the
payload 1.0 event (resource, pathParameters, multiValue maps, requestContext) to its function."""

import json

from conftest import DEBIAN_AWS, FUNCTIONS, cli_json, create, unique, zip_dir
from test_apigw_http import call


def test_rest_api_built_with_the_cli(daemon, lam):
    fn = create(lam, unique("rest-cli"), zip_dir(FUNCTIONS / "apigw"), "python3.12", "app.handler")["FunctionArn"]
    ep = daemon.endpoint
    api = cli_json(DEBIAN_AWS, ep, "apigateway", "create-rest-api", "--name", unique("cli"))["id"]
    root = cli_json(DEBIAN_AWS, ep, "apigateway", "get-resources", "--rest-api-id", api)["items"][0]["id"]
    items = cli_json(DEBIAN_AWS, ep, "apigateway", "create-resource", "--rest-api-id", api, "--parent-id", root,
                     "--path-part", "items")["id"]
    one = cli_json(DEBIAN_AWS, ep, "apigateway", "create-resource", "--rest-api-id", api, "--parent-id", items,
                   "--path-part", "{id}")
    assert one["path"] == "/items/{id}"
    cli_json(DEBIAN_AWS, ep, "apigateway", "put-method", "--rest-api-id", api, "--resource-id", one["id"],
             "--http-method", "GET", "--authorization-type", "NONE")
    uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/%s/invocations" % fn
    cli_json(DEBIAN_AWS, ep, "apigateway", "put-integration", "--rest-api-id", api, "--resource-id", one["id"],
             "--http-method", "GET", "--type", "AWS_PROXY", "--integration-http-method", "POST", "--uri", uri)
    dep = cli_json(DEBIAN_AWS, ep, "apigateway", "create-deployment", "--rest-api-id", api, "--stage-name", "test")
    assert dep["id"]
    st, _, body = call(daemon.port, api, "GET", "/test/items/42?tag=a&tag=b", headers=[("X-Hdr", "v")])
    assert st == 200, body
    ev = json.loads(body)
    assert ev["resource"] == "/items/{id}" and ev["path"] == "/items/42" and ev["httpMethod"] == "GET"
    assert ev["pathParameters"] == {"id": "42"}
    assert ev["queryStringParameters"] == {"tag": "b"} and ev["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}
    assert ev["headers"]["x-hdr"] == "v" and ev["multiValueHeaders"]["x-hdr"] == ["v"]
    ctx = ev["requestContext"]
    assert ctx["stage"] == "test" and ctx["resourcePath"] == "/items/{id}" and ctx["apiId"] == api
    assert ctx["resourceId"] == one["id"] and ctx["accountId"] == "000000000000"
    stages = cli_json(DEBIAN_AWS, ep, "apigateway", "get-stages", "--rest-api-id", api)
    assert [s["stageName"] for s in stages["item"]] == ["test"]
