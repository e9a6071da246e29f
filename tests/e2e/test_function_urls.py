"""Function URLs (issue 6, item 6): Create/Get/Update/Delete/ListFunctionUrlConfigs on a function
($LATEST) or an alias, with AWS's validation and errors, persistence across a restart, and the
configurations going away with their alias or function."""

import http.client
import json
import re

import pytest

from conftest import (DEBIAN_AWS, cli_error_code, cli_json, close_clients, create, expect_code, make_client,
                      make_zip, run_cli, unique)

PY = "python3.12"
URL = re.compile(r"^http://([a-z0-9]{32})\.lambda-url\.localhost:(\d+)/$")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
FN_PY = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hi'}\n"


def function(lam):
    name = unique("fn-url")
    arn = create(lam, name, make_zip({"index.py": FN_PY}), PY)["FunctionArn"]
    return name, arn


def test_create_get_update_delete(daemon, lam):
    name, arn = function(lam)
    cors = {"AllowOrigins": ["https://example.com"], "AllowMethods": ["GET", "POST"], "MaxAge": 300,
            "AllowCredentials": True, "AllowHeaders": ["x-custom"], "ExposeHeaders": ["x-out"]}
    c = lam.create_function_url_config(FunctionName=name, AuthType="NONE", Cors=cors)
    assert c["ResponseMetadata"]["HTTPStatusCode"] == 201
    m = URL.match(c["FunctionUrl"])
    assert m and int(m.group(2)) == daemon.port, c["FunctionUrl"]
    assert c["FunctionArn"] == arn and c["AuthType"] == "NONE"
    assert c["Cors"] == cors and ISO.match(c["CreationTime"])
    assert "LastModifiedTime" not in c
    g = lam.get_function_url_config(FunctionName=name)
    assert g["FunctionUrl"] == c["FunctionUrl"] and g["CreationTime"] == c["CreationTime"]
    assert ISO.match(g["LastModifiedTime"]) and g["Cors"] == cors
    # A second one for the same qualifier conflicts.
    expect_code("ResourceConflictException", lam.create_function_url_config, FunctionName=name,
                AuthType="NONE", http_status=409)
    # Update merges: absent members keep their values; the URL stays.
    u = lam.update_function_url_config(FunctionName=name, AuthType="AWS_IAM")
    assert u["AuthType"] == "AWS_IAM" and u["Cors"] == cors and u["FunctionUrl"] == c["FunctionUrl"]
    # InvokeMode is newer than boto3 1.26's model: raw requests.
    path = "/2021-10-31/functions/%s/url" % name
    assert json.loads(daemon.raw("GET", path)[2])["InvokeMode"] == "BUFFERED"
    st, _, raw = daemon.raw("PUT", path, json.dumps({"Cors": {"AllowOrigins": ["*"]},
                                                    "InvokeMode": "RESPONSE_STREAM"}))
    u = json.loads(raw)
    assert st == 200 and u["Cors"] == {"AllowOrigins": ["*"]} and u["InvokeMode"] == "RESPONSE_STREAM"
    assert u["AuthType"] == "AWS_IAM"
    r = lam.delete_function_url_config(FunctionName=name)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    for op in (lam.get_function_url_config, lam.delete_function_url_config):
        expect_code("ResourceNotFoundException", op, FunctionName=name, http_status=404)
    expect_code("ResourceNotFoundException", lam.update_function_url_config, FunctionName=name,
                AuthType="NONE", http_status=404)


def test_alias_urls_and_list(daemon, lam):
    name, arn = function(lam)
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    a = lam.create_function_url_config(FunctionName=name, Qualifier="live", AuthType="NONE")
    b = lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")
    assert a["FunctionArn"] == arn + ":live" and b["FunctionArn"] == arn
    assert a["FunctionUrl"] != b["FunctionUrl"]
    assert lam.get_function_url_config(FunctionName=arn + ":live")["FunctionUrl"] == a["FunctionUrl"]
    got = lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
    assert sorted(x["FunctionUrl"] for x in got) == sorted([a["FunctionUrl"], b["FunctionUrl"]])
    page = lam.list_function_url_configs(FunctionName=name, MaxItems=1)
    assert len(page["FunctionUrlConfigs"]) == 1 and page["NextMarker"]
    rest = lam.list_function_url_configs(FunctionName=name, Marker=page["NextMarker"])
    assert len(rest["FunctionUrlConfigs"]) == 1 and "NextMarker" not in rest
    # Versions cannot have URLs; unknown aliases are not found.
    expect_code("ValidationException", lam.create_function_url_config, FunctionName=name, Qualifier="1",
                AuthType="NONE", http_status=400)
    expect_code("ResourceNotFoundException", lam.create_function_url_config, FunctionName=name,
                Qualifier="nope", AuthType="NONE", http_status=404)
    # Deleting the alias takes its URL along; deleting the function takes the rest.
    lam.delete_alias(FunctionName=name, Name="live")
    got = lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
    assert [x["FunctionUrl"] for x in got] == [b["FunctionUrl"]]
    lam.delete_function(FunctionName=name)
    assert daemon.db_rows("SELECT count(*) FROM functions WHERE name LIKE ?", (name + "%",)) == [(0,)]
    expect_code("ResourceNotFoundException", lam.list_function_url_configs, FunctionName=name, http_status=404)


def test_validation(daemon, lam):
    name, _ = function(lam)
    path = "/2021-10-31/functions/%s/url" % name
    cases = [
        ({}, 400, "ValidationException"),  # AuthType is required
        ({"AuthType": "OPEN"}, 400, "ValidationException"),
        ({"AuthType": "NONE", "InvokeMode": "FAST"}, 400, "ValidationException"),
        ({"AuthType": "NONE", "Cors": {"MaxAge": 86401}}, 400, "ValidationException"),
        ({"AuthType": "NONE", "Cors": {"AllowMethods": ["GET"] * 7}}, 400, "ValidationException"),
        ({"AuthType": "NONE", "Cors": {"AllowMethods": ["OPTIONSX"]}}, 400, "ValidationException"),
        ({"AuthType": "NONE", "Cors": {"AllowOrigins": [""]}}, 400, "ValidationException"),
        ({"AuthType": "NONE", "Cors": {"AllowCredentials": "yes"}}, 400, "InvalidParameterValueException"),
        ({"AuthType": "NONE", "Cors": []}, 400, "InvalidParameterValueException"),
    ]
    for body, status, code in cases:
        st, headers, raw = daemon.raw("POST", path, json.dumps(body))
        assert st == status, (body, st, raw)
        assert headers.get("x-amzn-errortype", "").split(":")[0] == code, (body, headers, raw)
    st, _, raw = daemon.raw("POST", path, b"{not json")
    assert st == 400
    # Nothing was created by the failed calls.
    expect_code("ResourceNotFoundException", lam.get_function_url_config, FunctionName=name, http_status=404)
    expect_code("ResourceNotFoundException", lam.create_function_url_config, FunctionName=unique("missing"),
                AuthType="NONE", http_status=404)


def test_cli_and_restart(daemon_factory):
    d = daemon_factory()
    lam = make_client(d.endpoint)
    name, arn = function(lam)
    out = cli_json(DEBIAN_AWS, d.endpoint, "lambda", "create-function-url-config", "--function-name", name,
                   "--auth-type", "NONE", "--cors", "AllowOrigins=*,MaxAge=60")
    assert URL.match(out["FunctionUrl"]) and out["Cors"] == {"AllowOrigins": ["*"], "MaxAge": 60}
    r = run_cli(DEBIAN_AWS, d.endpoint, "lambda", "create-function-url-config", "--function-name", name,
                "--auth-type", "NONE")
    assert r.returncode != 0 and cli_error_code(r.stderr) == "ResourceConflictException", r.stderr
    close_clients()
    assert d.stop() == 0
    d.start()
    lam = make_client(d.endpoint)
    g = lam.get_function_url_config(FunctionName=name)
    assert g["FunctionUrl"] == out["FunctionUrl"] and g["Cors"] == out["Cors"]
    lst = cli_json(DEBIAN_AWS, d.endpoint, "lambda", "list-function-url-configs", "--function-name", name)
    assert [x["FunctionUrl"] for x in lst["FunctionUrlConfigs"]] == [out["FunctionUrl"]]


# ---------------------------------------------------------------- the URLs themselves

APP_PY = r"""import json
def handler(event, context):
    path = event["rawPath"]
    if path == "/shaped":
        return {"statusCode": 201, "headers": {"x-a": "b", "content-type": "text/plain"},
                "cookies": ["c=d", "e=f; Path=/"], "body": "hello"}
    if path == "/raw":
        return {"k": 1}
    if path == "/fail":
        raise ValueError("boom")
    if path == "/version":
        return {"statusCode": 200, "body": context.function_version}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
"""


def url_request(daemon, url, method, path, body=None, headers=None):
    m = URL.match(url)
    hdrs = {"Host": "%s.lambda-url.localhost:%d" % (m.group(1), daemon.port)}
    hdrs.update(headers or {})
    conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        return r.status, r.getheaders(), r.read()
    finally:
        conn.close()


def url_function(lam, **kw):
    name = unique("fn-urlapp")
    create(lam, name, make_zip({"index.py": APP_PY}), PY, MemorySize=1769)
    return name, lam.create_function_url_config(FunctionName=name, **kw)


def test_url_event_is_payload_2(daemon, lam):
    name, cfg = url_function(lam, AuthType="NONE")
    uid = URL.match(cfg["FunctionUrl"]).group(1)
    st, headers, body = url_request(daemon, cfg["FunctionUrl"], "POST", "/some/path?x=1&x=2&y=z", body=b"data!",
                                    headers={"X-Custom": "v", "Cookie": "a=1; b=2", "Content-Type": "text/plain"})
    assert st == 200, body
    ev = json.loads(body)
    assert ev["version"] == "2.0" and ev["routeKey"] == "$default"
    assert ev["rawPath"] == "/some/path" and ev["rawQueryString"] == "x=1&x=2&y=z"
    assert ev["cookies"] == ["a=1", "b=2"]
    assert ev["headers"]["x-custom"] == "v" and "X-Custom" not in ev["headers"]
    assert ev["queryStringParameters"] == {"x": "1,2", "y": "z"}
    assert ev["body"] == "data!" and ev["isBase64Encoded"] is False
    rc = ev["requestContext"]
    assert rc["accountId"] == "anonymous" and rc["apiId"] == uid and rc["domainPrefix"] == uid
    assert rc["domainName"] == "%s.lambda-url.localhost" % uid
    assert rc["http"]["method"] == "POST" and rc["http"]["path"] == "/some/path"
    assert rc["routeKey"] == "$default" and rc["stage"] == "$default"
    assert "pathParameters" not in ev and "stageVariables" not in ev
    assert dict((k.lower(), v) for k, v in headers).get("x-amzn-requestid")


def test_url_response_mapping_and_errors(daemon, lam):
    _, cfg = url_function(lam, AuthType="NONE")
    st, headers, body = url_request(daemon, cfg["FunctionUrl"], "GET", "/shaped")
    assert st == 201 and body == b"hello"
    assert ("x-a", "b") in [(k.lower(), v) for k, v in headers]
    assert sorted(v for k, v in headers if k.lower() == "set-cookie") == ["c=d", "e=f; Path=/"]
    st, headers, body = url_request(daemon, cfg["FunctionUrl"], "GET", "/raw")
    assert st == 200 and json.loads(body) == {"k": 1}
    assert dict((k.lower(), v) for k, v in headers)["content-type"].startswith("application/json")
    st, _, body = url_request(daemon, cfg["FunctionUrl"], "GET", "/fail")
    assert st == 502 and json.loads(body) == {"Message": "Internal Server Error"}
    st, _, body = url_request(daemon, "http://%s.lambda-url.localhost:1/" % ("z" * 32), "GET", "/")
    assert st == 403 and json.loads(body) == {"Message": "Forbidden"}


def test_url_auth_cors_and_alias(daemon, lam):
    name, cfg = url_function(lam, AuthType="AWS_IAM",
                             Cors={"AllowOrigins": ["https://app.example"], "AllowMethods": ["POST"],
                                   "AllowHeaders": ["x-h"], "MaxAge": 60})
    st, _, body = url_request(daemon, cfg["FunctionUrl"], "GET", "/raw")
    assert st == 403 and json.loads(body) == {"Message": "Forbidden"}
    signed = {"Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/lambda/aws4_request, "
                               "SignedHeaders=host, Signature=0"}
    st, _, body = url_request(daemon, cfg["FunctionUrl"], "GET", "/raw", headers=signed)
    assert st == 200 and json.loads(body) == {"k": 1}
    st, headers, _ = url_request(daemon, cfg["FunctionUrl"], "OPTIONS", "/raw",
                                 headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    h = dict((k.lower(), v) for k, v in headers)
    assert st in (200, 204) and h["access-control-allow-origin"] == "https://app.example"
    assert h["access-control-allow-methods"] == "POST" and h["access-control-max-age"] == "60"
    st, headers, _ = url_request(daemon, cfg["FunctionUrl"], "GET", "/raw",
                                 headers=dict(signed, Origin="https://app.example"))
    assert dict((k.lower(), v) for k, v in headers)["access-control-allow-origin"] == "https://app.example"
    # An alias's URL runs the alias's version.
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    live = lam.create_function_url_config(FunctionName=name, Qualifier="live", AuthType="NONE")
    st, _, body = url_request(daemon, live["FunctionUrl"], "GET", "/version")
    assert st == 200 and body == b"1"
