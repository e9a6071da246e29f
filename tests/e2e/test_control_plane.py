"""Control plane: Create/Get/List/Update/Delete, both path generations, ARN forms,
pagination, code download, and updates that change what runs."""

import json
import re
import urllib.parse

import pytest

from conftest import (DEBIAN_AWS, ROLE, b64sha256, cli_json, create, echo_zip, expect_code, fetch, invoke,
                      make_zip, run_cli, run_new_python, unique)

PY = "lambda_function.lambda_handler"
LAST_MODIFIED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")


@pytest.fixture(scope="module")
def fn(lam, python_zip):
    name = unique("cp")
    conf = create(lam, name, python_zip, "python3.11", PY, Description="first", Timeout=7, MemorySize=256,
                  Environment={"Variables": {"AA": "1"}}, Tags={"team": "e2e"})
    return conf


def test_create_response(fn, python_zip):
    assert fn["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert fn["FunctionArn"] == "arn:aws:lambda:us-east-1:%s:function:%s" % (
        fn["FunctionArn"].split(":")[4], fn["FunctionName"])
    assert re.match(r"^\d{12}$", fn["FunctionArn"].split(":")[4])
    assert fn["Runtime"] == "python3.11" and fn["Handler"] == PY and fn["Role"] == ROLE
    assert fn["CodeSize"] == len(python_zip)
    assert fn["CodeSha256"] == b64sha256(python_zip)
    assert (fn["Description"], fn["Timeout"], fn["MemorySize"]) == ("first", 7, 256)
    assert fn["Environment"] == {"Variables": {"AA": "1"}}
    assert fn["Version"] == "$LATEST" and fn["PackageType"] == "Zip"
    assert fn["Architectures"] == ["x86_64"] and fn["EphemeralStorage"] == {"Size": 512}
    assert LAST_MODIFIED.match(fn["LastModified"]), fn["LastModified"]
    assert re.match(r"^[0-9a-f-]{36}$", fn["RevisionId"])
    assert fn["State"] in ("Active", "Pending")


def test_defaults(lam, python_zip):
    name = unique("defaults")
    conf = create(lam, name, python_zip, "python3.12", PY)
    assert (conf["Timeout"], conf["MemorySize"], conf["Description"]) == (3, 128, "")
    assert conf["EphemeralStorage"] == {"Size": 512}
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    lam.delete_function(FunctionName=name)


def test_get_function(lam, fn, python_zip):
    g = lam.get_function(FunctionName=fn["FunctionName"])
    c = g["Configuration"]
    for k in ("FunctionName", "FunctionArn", "Runtime", "Handler", "CodeSha256", "CodeSize", "Timeout",
              "MemorySize", "Description", "Role", "Version"):
        assert c[k] == fn[k], k
    assert c["State"] == "Active" and c["LastUpdateStatus"] == "Successful"
    assert g["Code"]["RepositoryType"] == "S3"
    status, data = fetch(g["Code"]["Location"])
    assert status == 200 and data == python_zip
    assert b64sha256(data) == c["CodeSha256"]
    gc = lam.get_function_configuration(FunctionName=fn["FunctionName"])
    assert gc["CodeSha256"] == c["CodeSha256"] and gc["RevisionId"] == c["RevisionId"]


def test_get_function_returns_tags(lam, fn):
    """Tags given to CreateFunction come back from GetFunction (and ListTags)."""
    assert lam.get_function(FunctionName=fn["FunctionName"]).get("Tags") == {"team": "e2e"}
    assert lam.list_tags(Resource=fn["FunctionArn"])["Tags"] == {"team": "e2e"}


def test_code_location_is_on_daemon(lam, daemon, fn):
    loc = lam.get_function(FunctionName=fn["FunctionName"])["Code"]["Location"]
    u = urllib.parse.urlsplit(loc)
    assert u.scheme == "http" and u.port == daemon.port, loc


@pytest.mark.parametrize("form", ["name", "arn", "arn_latest", "partial_arn", "name_latest"])
def test_name_forms(lam, fn, form):
    name, arn = fn["FunctionName"], fn["FunctionArn"]
    account = arn.split(":")[4]
    ident = {"name": name, "arn": arn, "arn_latest": arn + ":$LATEST",
             "partial_arn": "%s:function:%s" % (account, name), "name_latest": name + ":$LATEST"}[form]
    assert lam.get_function(FunctionName=ident)["Configuration"]["FunctionName"] == name
    assert lam.get_function_configuration(FunctionName=ident)["FunctionArn"] == arn
    r, body, out = invoke(lam, ident, {"form": form})
    assert "FunctionError" not in r and out["event"] == {"form": form}, body


def test_percent_encoded_paths_raw(daemon, fn):
    arn = fn["FunctionArn"]
    enc = urllib.parse.quote(arn, safe="")
    assert "%3A" in enc
    status, _, body = daemon.raw("GET", "/2015-03-31/functions/%s" % enc)
    assert status == 200 and json.loads(body)["Configuration"]["FunctionArn"] == arn, body
    status, _, body = daemon.raw("GET", "/2015-03-31/functions/%s/configuration" % urllib.parse.quote(
        fn["FunctionName"] + ":$LATEST", safe=""))
    assert status == 200, body
    status, _, body = daemon.raw("POST", "/2015-03-31/functions/%s/invocations" % enc, b'{"raw": true}')
    assert status == 200 and json.loads(body)["event"] == {"raw": True}, body


@pytest.mark.parametrize("which", ["account", "region"])
def test_wrong_account_or_region_arn(lam, fn, which):
    """An ARN naming another account or region is not this function. (AWS answers
    AccessDeniedException / ResourceNotFoundException / a parameter error; any error will do.)"""
    parts = fn["FunctionArn"].split(":")
    if which == "account":
        parts[4] = "999999999999" if parts[4] != "999999999999" else "111111111111"
    else:
        parts[3] = "eu-west-1"
    from conftest import client_error
    for op in (lam.get_function, lam.get_function_configuration):
        e = client_error(op, FunctionName=":".join(parts))
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 403, 404), e.response
    e = client_error(lam.invoke, FunctionName=":".join(parts), Payload=b"{}")
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 403, 404), e.response


def test_unknown_qualifier(lam, fn):
    expect_code("ResourceNotFoundException", lam.get_function, FunctionName=fn["FunctionName"], Qualifier="42")
    expect_code("ResourceNotFoundException", lam.invoke, FunctionName=fn["FunctionName"], Qualifier="42",
                Payload=b"{}")


# ---------------------------------------------------------------- List and pagination


@pytest.fixture(scope="module")
def many(lam, daemon):
    """A dedicated daemon would be cleaner; the module daemon holds few functions, so list all."""
    names = [unique("page%02d" % i) for i in range(7)]
    zb = echo_zip()
    for n in names:
        create(lam, n, zb, "provided.al2", "x")
    return names


def _all_names_boto(lam, max_items=None):
    names, marker, pages = [], None, 0
    while True:
        kw = {}
        if max_items:
            kw["MaxItems"] = max_items
        if marker:
            kw["Marker"] = marker
        r = lam.list_functions(**kw)
        pages += 1
        if max_items:
            assert len(r["Functions"]) <= max_items
        names += [f["FunctionName"] for f in r["Functions"]]
        marker = r.get("NextMarker")
        if not marker:
            return names, pages
        assert pages < 100


def test_list_pagination_boto3(lam, many):
    all_names, pages = _all_names_boto(lam)
    assert set(many) <= set(all_names) and len(all_names) == len(set(all_names))
    paged, pages = _all_names_boto(lam, max_items=2)
    assert sorted(paged) == sorted(all_names) and len(paged) == len(set(paged))
    assert pages == (len(all_names) + 1) // 2
    # the paginator gives the same
    pag = [f["FunctionName"] for p in lam.get_paginator("list_functions").paginate(
        PaginationConfig={"PageSize": 3}) for f in p["Functions"]]
    assert sorted(pag) == sorted(all_names)


def test_list_pagination_cli(daemon, lam, many):
    all_names, _ = _all_names_boto(lam)
    out = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "list-functions", "--page-size", "2")
    assert sorted(f["FunctionName"] for f in out["Functions"]) == sorted(all_names)
    out = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "list-functions", "--max-items", "3")
    assert len(out["Functions"]) == 3 and out.get("NextToken")
    rest = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "list-functions", "--starting-token", out["NextToken"])
    assert sorted(f["FunctionName"] for f in out["Functions"] + rest["Functions"]) == sorted(all_names)


def test_list_bad_marker_and_max_items(daemon):
    status, headers, body = daemon.raw("GET", "/2015-03-31/functions/?MaxItems=0")
    assert status in (400,), body
    status, _, body = daemon.raw("GET", "/2015-03-31/functions/?MaxItems=abc")
    assert status == 400, body


@pytest.mark.parametrize("path", ["/2015-03-31/functions", "/2015-03-31/functions/"])
def test_list_both_paths_raw(daemon, many, path):
    status, headers, body = daemon.raw("GET", path)
    assert status == 200, body
    doc = json.loads(body)
    assert set(many) <= {f["FunctionName"] for f in doc["Functions"]}
    assert headers.get("x-amzn-requestid")


@pytest.mark.parametrize("path", ["/2016-08-19/account-settings", "/2016-08-19/account-settings/"])
def test_account_settings_both_paths(daemon, lam, path):
    status, _, body = daemon.raw("GET", path)
    assert status == 200, body
    doc = json.loads(body)
    assert doc["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert doc["AccountLimit"]["CodeSizeUnzipped"] == 262144000
    assert doc["AccountLimit"]["CodeSizeZipped"] == 52428800
    assert doc["AccountUsage"]["FunctionCount"] >= 1
    r = lam.get_account_settings()
    assert r["AccountUsage"]["FunctionCount"] == doc["AccountUsage"]["FunctionCount"]


# ---------------------------------------------------------------- Delete


def test_delete_204(lam, daemon, python_zip):
    name = unique("del")
    create(lam, name, python_zip, "python3.11", PY)
    r = lam.delete_function(FunctionName=name)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_code("ResourceNotFoundException", lam.get_function, FunctionName=name)
    expect_code("ResourceNotFoundException", lam.delete_function, FunctionName=name)
    create(lam, name, python_zip, "python3.11", PY)  # the name is free again
    status, _, body = daemon.raw("DELETE", "/2015-03-31/functions/%s" % name)
    assert status == 204 and body == b""


def test_delete_by_arn_and_running_instances(lam, python_zip):
    name = unique("delarn")
    conf = create(lam, name, python_zip, "python3.11", PY)
    invoke(lam, name, {})
    lam.delete_function(FunctionName=conf["FunctionArn"])
    expect_code("ResourceNotFoundException", lam.invoke, FunctionName=name, Payload=b"{}")


def test_create_delete_with_cli_v2(daemon, tmp_path, python_zip):
    (tmp_path / "f.zip").write_bytes(python_zip)
    name = unique("cli")
    ep = daemon.endpoint
    conf = cli_json(DEBIAN_AWS, ep, "lambda", "create-function", "--function-name", name, "--runtime", "python3.10",
                    "--handler", PY, "--role", ROLE, "--zip-file", "fileb://%s" % (tmp_path / "f.zip"),
                    "--environment", "Variables={KK=v}")
    assert conf["Environment"]["Variables"] == {"KK": "v"}
    cli_json(DEBIAN_AWS, ep, "lambda", "wait", "function-active-v2", "--function-name", name)
    got = cli_json(DEBIAN_AWS, ep, "lambda", "get-function", "--function-name", name)
    assert got["Configuration"]["CodeSha256"] == b64sha256(python_zip)
    names = [f["FunctionName"] for f in cli_json(DEBIAN_AWS, ep, "lambda", "list-functions")["Functions"]]
    assert name in names
    settings = cli_json(DEBIAN_AWS, ep, "lambda", "get-account-settings")
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    p = run_cli(DEBIAN_AWS, ep, "lambda", "delete-function", "--function-name", name)
    assert p.returncode == 0, p.stderr
    p = run_cli(DEBIAN_AWS, ep, "lambda", "get-function", "--function-name", name)
    assert p.returncode != 0 and "ResourceNotFoundException" in p.stderr


def test_control_plane_with_path_cli(daemon, tmp_path, python_zip, new_aws):
    aws = new_aws["path"]
    (tmp_path / "f.zip").write_bytes(python_zip)
    name = unique("cli1")
    ep = daemon.endpoint
    cli_json(aws, ep, "lambda", "create-function", "--function-name", name, "--runtime", "python3.12",
             "--handler", PY, "--role", ROLE, "--zip-file", "fileb://%s" % (tmp_path / "f.zip"))
    got = cli_json(aws, ep, "lambda", "get-function", "--function-name", name)
    assert got["Configuration"]["CodeSha256"] == b64sha256(python_zip)
    names = [f["FunctionName"] for f in cli_json(aws, ep, "lambda", "list-functions", "--page-size", "2")["Functions"]]
    assert name in names
    assert cli_json(aws, ep, "lambda", "get-account-settings")["AccountLimit"]["ConcurrentExecutions"] == 1000
    out = cli_json(aws, ep, "lambda", "update-function-configuration", "--function-name", name, "--timeout", "9")
    assert out["Timeout"] == 9
    meta = cli_json(aws, ep, "lambda", "invoke", "--function-name", name, "--payload", '{"v1": true}',
                    str(tmp_path / "out.json"))
    assert meta["StatusCode"] == 200 and "FunctionError" not in meta
    assert json.loads((tmp_path / "out.json").read_text())["event"] == {"v1": True}
    p = run_cli(aws, ep, "lambda", "delete-function", "--function-name", name)
    assert p.returncode == 0, p.stderr


NEW_BOTO_CONTROL = r'''
import json, os, sys, hashlib, base64, urllib.request, boto3
from botocore.config import Config
from botocore.exceptions import ClientError
lam = boto3.client("lambda", endpoint_url=os.environ["ENDPOINT"], config=Config(retries={"total_max_attempts": 1}))
zb = open(sys.argv[1], "rb").read()
name = sys.argv[2]
out = {}
c = lam.create_function(FunctionName=name, Runtime="python3.13", Role="arn:aws:iam::123456789012:role/r",
                        Handler="lambda_function.lambda_handler", Code={"ZipFile": zb})
out["create_status"] = c["ResponseMetadata"]["HTTPStatusCode"]
g = lam.get_function(FunctionName=c["FunctionArn"])
out["sha_ok"] = g["Configuration"]["CodeSha256"] == base64.b64encode(hashlib.sha256(zb).digest()).decode()
out["download_ok"] = urllib.request.urlopen(g["Code"]["Location"], timeout=10).read() == zb
out["listed"] = name in [f["FunctionName"] for p in lam.get_paginator("list_functions").paginate(
    PaginationConfig={"PageSize": 2}) for f in p["Functions"]]
out["account"] = lam.get_account_settings()["AccountLimit"]["ConcurrentExecutions"]
r = lam.invoke(FunctionName=name, Payload=json.dumps({"new": "boto3"}), LogType="Tail")
out["invoke"] = [r["StatusCode"], r.get("FunctionError"), json.loads(r["Payload"].read())["event"],
                 base64.b64decode(r["LogResult"]).decode().startswith("START RequestId:")]
u = lam.update_function_configuration(FunctionName=name, MemorySize=512)
out["memory"] = u["MemorySize"]
d = lam.delete_function(FunctionName=name)
out["delete_status"] = d["ResponseMetadata"]["HTTPStatusCode"]
try:
    lam.get_function(FunctionName=name)
    out["gone"] = False
except ClientError as e:
    out["gone"] = e.response["Error"]["Code"]
print(json.dumps(out))
'''


def test_control_plane_with_newer_boto3(daemon, tmp_path, python_zip, new_python):
    (tmp_path / "f.zip").write_bytes(python_zip)
    name = unique("newboto")
    out = run_new_python(new_python, daemon.endpoint, NEW_BOTO_CONTROL, str(tmp_path / "f.zip"), name)
    assert out == {"create_status": 201, "sha_ok": True, "download_ok": True, "listed": True, "account": 1000,
                   "invoke": [200, None, {"new": "boto3"}, True], "memory": 512,
                   "delete_status": out["delete_status"], "gone": "ResourceNotFoundException"}
    assert out["delete_status"] in (200, 204)


# ---------------------------------------------------------------- Updates change what runs


def test_update_function_code(lam, python_zip):
    name = unique("upcode")
    create(lam, name, python_zip, "python3.12", PY)
    _, _, before = invoke(lam, name, {"v": 1})
    assert before["runtime"] == "python"
    new_zip = make_zip({"lambda_function.py": "def lambda_handler(event, context):\n    return {'version': 2}\n"})
    conf = lam.update_function_code(FunctionName=name, ZipFile=new_zip)
    assert conf["CodeSha256"] == b64sha256(new_zip) and conf["CodeSize"] == len(new_zip)
    assert conf["LastUpdateStatus"] in ("Successful", "InProgress")
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    for _ in range(3):  # warm instances of the old code must not serve
        _, body, out = invoke(lam, name, {"v": 2})
        assert out == {"version": 2}, body
    g = lam.get_function(FunctionName=name)
    assert g["Configuration"]["CodeSha256"] == b64sha256(new_zip)
    assert fetch(g["Code"]["Location"])[1] == new_zip


def test_update_code_with_cli(daemon, tmp_path, python_zip, lam):
    name = unique("upcli")
    create(lam, name, echo_zip(), "provided.al2", "x")
    (tmp_path / "f.zip").write_bytes(python_zip)
    out = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "update-function-code", "--function-name", name,
                   "--zip-file", "fileb://%s" % (tmp_path / "f.zip"))
    assert out["CodeSha256"] == b64sha256(python_zip)
    lam.update_function_configuration(FunctionName=name, Runtime="python3.12", Handler=PY)
    _, body, res = invoke(lam, name, {"now": "python"})
    assert res["runtime"] == "python", body


def test_update_function_configuration(lam, python_zip):
    name = unique("upconf")
    conf0 = create(lam, name, python_zip, "python3.12", PY, Environment={"Variables": {"AA": "1"}})
    _, _, before = invoke(lam, name, {})
    assert before["env"]["AA"] == "1"
    conf = lam.update_function_configuration(
        FunctionName=name, Timeout=11, MemorySize=384, Description="updated", Handler="other.handler",
        Environment={"Variables": {"BB": "2", "CC": "three"}}, EphemeralStorage={"Size": 2048})
    assert conf["RevisionId"] != conf0["RevisionId"]
    assert (conf["Timeout"], conf["MemorySize"], conf["Description"], conf["Handler"]) == \
        (11, 384, "updated", "other.handler")
    assert conf["Environment"]["Variables"] == {"BB": "2", "CC": "three"}
    assert conf["EphemeralStorage"] == {"Size": 2048}
    assert conf["CodeSha256"] == conf0["CodeSha256"]
    g = lam.get_function_configuration(FunctionName=name)
    for k in ("Timeout", "MemorySize", "Description", "Handler", "Environment", "EphemeralStorage", "RevisionId"):
        assert g[k] == conf[k], k
    _, body, out = invoke(lam, name, {"x": 1})
    assert out == {"handler": "other.handler", "event": {"x": 1}}, body
    lam.update_function_configuration(FunctionName=name, Handler=PY)
    _, body, out = invoke(lam, name, {})
    env = out["env"]
    assert env["BB"] == "2" and env["CC"] == "three" and "AA" not in env, env
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "384" and out["memory_limit_in_mb"] == "384"
    assert env["_HANDLER"] == PY
    assert 10000 < out["remaining_ms"] <= 11000
    # removing all variables
    conf = lam.update_function_configuration(FunctionName=name, Environment={"Variables": {}})
    _, _, out = invoke(lam, name, {})
    assert "BB" not in out["env"]


def test_update_preserves_unspecified(lam, python_zip):
    name = unique("keep")
    create(lam, name, python_zip, "python3.12", PY, Timeout=13, Description="keep me",
           Environment={"Variables": {"KK": "v"}})
    conf = lam.update_function_configuration(FunctionName=name, MemorySize=1024)
    assert (conf["Timeout"], conf["Description"], conf["Environment"]["Variables"]) == (13, "keep me", {"KK": "v"})
