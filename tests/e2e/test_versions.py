"""Versions and aliases (issue 5, items 1 and 2, first acceptance bullet): PublishVersion,
ListVersionsByFunction, qualifiers on Get/Invoke/Update/Delete, CreateAlias / GetAlias /
UpdateAlias / DeleteAlias / ListAliases, weighted routing (BLUE/GREEN), asynchronous
invocations through a qualifier, and persistence across a restart."""

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import (DEBIAN_AWS, Daemon, b64sha256, cli_error_code, cli_json, client_error, close_clients,
                      create, decode_tail, expect_code, extend_timeout, fetch, invoke, make_client, make_zip,
                      run_cli, unique)

HANDLER = "index.handler"
RUNTIME = "python3.12"
LAST_MODIFIED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")

SOURCE = '''import os

MARK = %r


def handler(event, context):
    event = event if isinstance(event, dict) else {}
    if "print" in event:
        print(event["print"], flush=True)
    return {"v": MARK, "ver": context.function_version,
            "env_ver": os.environ.get("AWS_LAMBDA_FUNCTION_VERSION"),
            "arn": context.invoked_function_arn,
            "e": os.environ.get("EV"), "mem": os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")}
'''


def code(mark):
    """A small Python function whose answer names its code marker."""
    return make_zip({"index.py": SOURCE % mark})


def new_fn(lam, mark="A", prefix="ver", **kw):
    name = unique(prefix)
    conf = create(lam, name, code(mark), RUNTIME, HANDLER, **kw)
    return name, conf


def set_code(lam, name, mark):
    return lam.update_function_code(FunctionName=name, ZipFile=code(mark))


def run(lam, name, **kw):
    """Invokes; returns (executed version, parsed payload, response)."""
    r, body, out = invoke(lam, name, {}, **kw)
    assert r["StatusCode"] == 200 and "FunctionError" not in r, body
    return r.get("ExecutedVersion"), out, r


def version_names(lam, name, **kw):
    return [v["Version"] for v in lam.list_versions_by_function(FunctionName=name, **kw)["Versions"]]


@pytest.fixture(scope="module")
def two(lam):
    """A function with v1 (code A, E=one) and v2 (code B, E=two); $LATEST is code C, E=three."""
    name, conf = new_fn(lam, "A", Environment={"Variables": {"EV": "one"}}, MemorySize=128)
    v1 = lam.publish_version(FunctionName=name, Description="first")
    set_code(lam, name, "B")
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"EV": "two"}}, MemorySize=256)
    v2 = lam.publish_version(FunctionName=name, Description="second")
    set_code(lam, name, "C")
    latest = lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"EV": "three"}},
                                               MemorySize=192)
    return {"name": name, "arn": conf["FunctionArn"], "v1": v1, "v2": v2, "latest": latest}


# ---------------------------------------------------------------- PublishVersion


def test_publish_version_response(lam):
    name, conf = new_fn(lam, "P", Description="fn description", Timeout=5)
    v = lam.publish_version(FunctionName=name)
    assert v["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert v["Version"] == "1"
    assert v["FunctionName"] == name
    assert v["FunctionArn"] == conf["FunctionArn"] + ":1"
    assert v["CodeSha256"] == conf["CodeSha256"] == b64sha256(code("P"))
    assert v["CodeSize"] == conf["CodeSize"]
    for k in ("Runtime", "Handler", "Role", "Timeout", "MemorySize"):
        assert v[k] == conf[k], k
    # without a Description the version keeps the function's
    assert v["Description"] == "fn description"
    assert LAST_MODIFIED.match(v["LastModified"]), v["LastModified"]
    assert re.match(r"^[0-9a-f-]{36}$", v["RevisionId"])
    assert v["State"] == "Active"
    # a new version with a description of its own
    set_code(lam, name, "P2")
    v2 = lam.publish_version(FunctionName=name, Description="the second")
    assert v2["Version"] == "2" and v2["FunctionArn"] == conf["FunctionArn"] + ":2"
    assert v2["Description"] == "the second"
    assert v2["CodeSha256"] == b64sha256(code("P2"))
    # $LATEST itself is unchanged by publishing
    g = lam.get_function_configuration(FunctionName=name)
    assert g["Version"] == "$LATEST" and g["FunctionArn"] == conf["FunctionArn"]
    assert g["Description"] == "fn description"


def test_publish_unchanged_returns_existing_version(lam):
    name, _ = new_fn(lam, "U")
    v1 = lam.publish_version(FunctionName=name)
    again = lam.publish_version(FunctionName=name)
    assert again["Version"] == "1", again
    assert again["CodeSha256"] == v1["CodeSha256"]
    assert version_names(lam, name) == ["$LATEST", "1"]
    # a configuration change alone is a change: it makes a new version
    lam.update_function_configuration(FunctionName=name, Timeout=11)
    v2 = lam.publish_version(FunctionName=name)
    assert v2["Version"] == "2" and v2["Timeout"] == 11
    assert lam.publish_version(FunctionName=name)["Version"] == "2"
    # so does new code
    set_code(lam, name, "U2")
    assert lam.publish_version(FunctionName=name)["Version"] == "3"
    assert version_names(lam, name) == ["$LATEST", "1", "2", "3"]


def test_publish_code_sha256_precondition(lam):
    name, conf = new_fn(lam, "S")
    wrong = b64sha256(b"something else")
    e = expect_code("InvalidParameterValueException", lam.publish_version, FunctionName=name, CodeSha256=wrong,
                    http_status=400)
    assert e.response["Error"]["Message"]
    assert version_names(lam, name) == ["$LATEST"]
    v = lam.publish_version(FunctionName=name, CodeSha256=conf["CodeSha256"])
    assert v["Version"] == "1"


def test_publish_revision_id_precondition(lam):
    name, conf = new_fn(lam, "R")
    stale = conf["RevisionId"]
    current = lam.update_function_configuration(FunctionName=name, Description="changed")["RevisionId"]
    assert current != stale
    expect_code("PreconditionFailedException", lam.publish_version, FunctionName=name, RevisionId=stale,
                http_status=412)
    assert version_names(lam, name) == ["$LATEST"]
    assert lam.publish_version(FunctionName=name, RevisionId=current)["Version"] == "1"


def test_publish_missing_function(lam):
    expect_code("ResourceNotFoundException", lam.publish_version, FunctionName=unique("nope"), http_status=404)


def test_version_numbers_never_reused(lam):
    name, _ = new_fn(lam, "N1")
    assert lam.publish_version(FunctionName=name)["Version"] == "1"
    set_code(lam, name, "N2")
    assert lam.publish_version(FunctionName=name)["Version"] == "2"
    r = lam.delete_function(FunctionName=name, Qualifier="2")
    assert r["ResponseMetadata"]["HTTPStatusCode"] in (200, 204)
    assert version_names(lam, name) == ["$LATEST", "1"]
    set_code(lam, name, "N3")
    v = lam.publish_version(FunctionName=name)
    assert v["Version"] == "3", v
    assert version_names(lam, name) == ["$LATEST", "1", "3"]


def test_publish_flags_on_create_and_update_code(lam):
    """Publish=True on CreateFunction / UpdateFunctionCode publishes a version at once."""
    name = unique("pubflag")
    c = create(lam, name, code("F1"), RUNTIME, HANDLER, Publish=True)
    assert c["Version"] == "1" and c["FunctionArn"].endswith(":" + name + ":1"), c
    u = lam.update_function_code(FunctionName=name, ZipFile=code("F2"), Publish=True)
    assert u["Version"] == "2" and u["CodeSha256"] == b64sha256(code("F2")), u
    assert version_names(lam, name) == ["$LATEST", "1", "2"]
    assert run(lam, name, Qualifier="1")[1]["v"] == "F1"
    assert run(lam, name, Qualifier="2")[1]["v"] == "F2"


# ---------------------------------------------------------------- ListVersionsByFunction


def test_list_versions(lam, two):
    r = lam.list_versions_by_function(FunctionName=two["name"])
    vs = r["Versions"]
    assert [v["Version"] for v in vs] == ["$LATEST", "1", "2"]
    assert not r.get("NextMarker")
    assert vs[0]["FunctionArn"] == two["arn"]
    assert vs[1]["FunctionArn"] == two["arn"] + ":1" and vs[2]["FunctionArn"] == two["arn"] + ":2"
    assert vs[1]["CodeSha256"] == b64sha256(code("A")) and vs[2]["CodeSha256"] == b64sha256(code("B"))
    assert vs[0]["CodeSha256"] == b64sha256(code("C"))
    assert vs[1]["Description"] == "first" and vs[2]["Description"] == "second"
    assert vs[1]["Environment"] == {"Variables": {"EV": "one"}}
    assert vs[2]["Environment"] == {"Variables": {"EV": "two"}}
    assert (vs[0]["MemorySize"], vs[1]["MemorySize"], vs[2]["MemorySize"]) == (192, 128, 256)
    # by ARN too
    assert version_names(lam, two["arn"]) == ["$LATEST", "1", "2"]


def test_list_versions_pagination(lam):
    name, _ = new_fn(lam, "L0")
    for i in range(1, 6):
        lam.update_function_configuration(FunctionName=name, Description="d%d" % i)
        assert lam.publish_version(FunctionName=name)["Version"] == str(i)
    want = ["$LATEST", "1", "2", "3", "4", "5"]
    for size in (1, 2, 4):
        got, marker, pages = [], None, 0
        while True:
            kw = {"MaxItems": size}
            if marker:
                kw["Marker"] = marker
            r = lam.list_versions_by_function(FunctionName=name, **kw)
            assert len(r["Versions"]) <= size
            got += [v["Version"] for v in r["Versions"]]
            pages += 1
            marker = r.get("NextMarker")
            if not marker:
                break
            assert pages < 20
        assert got == want, (size, got)
        assert pages == -(-len(want) // size)
    pag = [v["Version"] for p in lam.get_paginator("list_versions_by_function").paginate(
        FunctionName=name, PaginationConfig={"PageSize": 2}) for v in p["Versions"]]
    assert pag == want


def test_list_versions_cli(daemon, two):
    out = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "list-versions-by-function", "--function-name",
                   two["name"], "--page-size", "1")
    assert [v["Version"] for v in out["Versions"]] == ["$LATEST", "1", "2"]


def test_list_versions_missing_function(lam):
    expect_code("ResourceNotFoundException", lam.list_versions_by_function, FunctionName=unique("nope"))


def test_list_functions_shows_latest_only(lam, two):
    """Published versions do not add entries to the default ListFunctions."""
    names = [f["FunctionName"] for p in lam.get_paginator("list_functions").paginate() for f in p["Functions"]]
    assert names.count(two["name"]) == 1
    entry = [f for p in lam.get_paginator("list_functions").paginate() for f in p["Functions"]
             if f["FunctionName"] == two["name"]][0]
    assert entry["Version"] == "$LATEST" and entry["FunctionArn"] == two["arn"]


# ---------------------------------------------------------------- qualified Get


@pytest.mark.parametrize("form", ["qualifier", "name_colon", "arn", "partial_arn"])
def test_get_function_qualified(lam, two, form):
    name, arn = two["name"], two["arn"]
    account = arn.split(":")[4]
    kw = {"qualifier": {"FunctionName": name, "Qualifier": "1"},
          "name_colon": {"FunctionName": name + ":1"},
          "arn": {"FunctionName": arn + ":1"},
          "partial_arn": {"FunctionName": "%s:function:%s:1" % (account, name)}}[form]
    g = lam.get_function(**kw)
    c = g["Configuration"]
    assert c["Version"] == "1" and c["FunctionArn"] == arn + ":1", c
    assert c["CodeSha256"] == b64sha256(code("A")) and c["Description"] == "first"
    assert c["Environment"] == {"Variables": {"EV": "one"}} and c["MemorySize"] == 128
    assert c["RevisionId"] == two["v1"]["RevisionId"]
    status, data = fetch(g["Code"]["Location"])
    assert status == 200 and data == code("A")
    gc = lam.get_function_configuration(**kw)
    assert gc["Version"] == "1" and gc["FunctionArn"] == arn + ":1"
    assert gc["CodeSha256"] == c["CodeSha256"]


def test_get_function_latest_and_version2(lam, two):
    g = lam.get_function_configuration(FunctionName=two["name"], Qualifier="$LATEST")
    assert g["Version"] == "$LATEST" and g["CodeSha256"] == b64sha256(code("C"))
    assert g["FunctionArn"] == two["arn"]
    g = lam.get_function_configuration(FunctionName=two["name"], Qualifier="2")
    assert g["Version"] == "2" and g["CodeSha256"] == b64sha256(code("B")) and g["MemorySize"] == 256
    status, data = fetch(lam.get_function(FunctionName=two["name"] + ":2")["Code"]["Location"])
    assert data == code("B")


def test_get_function_missing_version(lam, two):
    for kw in ({"FunctionName": two["name"], "Qualifier": "9"}, {"FunctionName": two["name"] + ":9"},
               {"FunctionName": two["arn"] + ":9"}, {"FunctionName": two["name"], "Qualifier": "NOALIAS"}):
        expect_code("ResourceNotFoundException", lam.get_function, http_status=404, **kw)
        expect_code("ResourceNotFoundException", lam.get_function_configuration, http_status=404, **kw)


def test_qualifier_conflicting_with_name(lam, two):
    """A qualifier in the name and a different Qualifier parameter do not mix (AWS:
    InvalidParameterValueException)."""
    e = client_error(lam.get_function, FunctionName=two["name"] + ":1", Qualifier="2")
    assert e.response["Error"]["Code"] == "InvalidParameterValueException", e.response
    e = client_error(lam.invoke, FunctionName=two["name"] + ":1", Qualifier="2", Payload=b"{}")
    assert e.response["Error"]["Code"] == "InvalidParameterValueException", e.response
    # the same qualifier twice is fine
    assert lam.get_function(FunctionName=two["name"] + ":1", Qualifier="1")["Configuration"]["Version"] == "1"


def test_get_function_alias_qualifier(lam, two):
    name = two["name"]
    lam.create_alias(FunctionName=name, Name="getme", FunctionVersion="2")
    try:
        for kw in ({"FunctionName": name, "Qualifier": "getme"}, {"FunctionName": name + ":getme"},
                   {"FunctionName": two["arn"] + ":getme"}):
            c = lam.get_function(**kw)["Configuration"]
            assert c["Version"] == "2" and c["CodeSha256"] == b64sha256(code("B")), c
            # AWS answers with the alias ARN; the version's ARN names the same code
            assert c["FunctionArn"] in (two["arn"] + ":getme", two["arn"] + ":2"), c["FunctionArn"]
            gc = lam.get_function_configuration(**kw)
            assert gc["Version"] == "2" and gc["MemorySize"] == 256
    finally:
        lam.delete_alias(FunctionName=name, Name="getme")


# ---------------------------------------------------------------- Invoke with qualifiers


def test_invoke_runs_the_right_version(lam, two):
    name = two["name"]
    for kw, mark, ver, e in (({"Qualifier": "1"}, "A", "1", "one"), ({"Qualifier": "2"}, "B", "2", "two"),
                             ({}, "C", "$LATEST", "three"), ({"Qualifier": "$LATEST"}, "C", "$LATEST", "three")):
        executed, out, _ = run(lam, name, **kw)
        assert (executed, out["v"], out["ver"], out["env_ver"], out["e"]) == (ver, mark, ver, ver, e), (kw, out)
    mems = {run(lam, name, Qualifier=q)[1]["mem"] for q in ("1",)}
    assert mems == {"128"}
    assert run(lam, name, Qualifier="2")[1]["mem"] == "256"
    assert run(lam, name)[1]["mem"] == "192"


@pytest.mark.parametrize("form", ["name_colon", "arn", "partial_arn"])
def test_invoke_qualified_names(lam, two, form):
    name, arn = two["name"], two["arn"]
    account = arn.split(":")[4]
    ident = {"name_colon": name + ":2", "arn": arn + ":2", "partial_arn": "%s:function:%s:2" % (account, name)}[form]
    executed, out, _ = run(lam, ident)
    assert executed == "2" and out["v"] == "B" and out["ver"] == "2"


def test_invoked_function_arn_carries_qualifier(lam, two):
    _, out, _ = run(lam, two["name"], Qualifier="1")
    assert out["arn"] == two["arn"] + ":1", out
    _, out, _ = run(lam, two["name"])
    assert out["arn"] == two["arn"], out


def test_invoke_missing_version(lam, two):
    expect_code("ResourceNotFoundException", lam.invoke, FunctionName=two["name"], Qualifier="77", Payload=b"{}",
                http_status=404)
    expect_code("ResourceNotFoundException", lam.invoke, FunctionName=two["name"] + ":77", Payload=b"{}",
                http_status=404)
    expect_code("ResourceNotFoundException", lam.invoke, FunctionName=two["name"], Qualifier="nosuchalias",
                Payload=b"{}", http_status=404)
    expect_code("ResourceNotFoundException", lam.invoke, FunctionName=two["name"], Qualifier="77", Payload=b"{}",
                InvocationType="DryRun")


def test_invoke_dry_run_qualified(lam, two):
    r = lam.invoke(FunctionName=two["name"], Qualifier="1", Payload=b"{}", InvocationType="DryRun")
    assert r["StatusCode"] == 204


def test_tail_start_line_names_version(lam, two):
    for q, want in (("1", "1"), ("2", "2"), ("$LATEST", "$LATEST")):
        r, body, out = invoke(lam, two["name"], {}, Qualifier=q, LogType="Tail")
        tail = decode_tail(r)
        m = re.search(r"START RequestId: (\S+) Version: (\S+)", tail)
        assert m, tail
        assert m.group(1) == r["ResponseMetadata"]["RequestId"] and m.group(2) == want, tail


def test_log_stream_names_version(lam, daemon, two):
    """Each version logs to streams named YYYY/MM/DD/[<version>]<hex>, as on AWS."""
    token = unique("logtok")
    r, body, out = invoke(lam, two["name"], {"print": token}, Qualifier="2")
    assert out["v"] == "B", body
    deadline = time.monotonic() + 10
    rows = []
    while time.monotonic() < deadline:
        rows = daemon.db_rows("SELECT stream FROM log_events WHERE grp = ? AND msg LIKE ?",
                              ("/aws/lambda/" + two["name"], "%" + token + "%"))
        if rows:
            break
        time.sleep(0.1)
    assert rows, "function output not in the store"
    assert re.match(r"^\d{4}/\d\d/\d\d/\[2\][0-9a-f]+$", rows[0][0]), rows


def test_invoke_cli_executed_version(daemon, two, tmp_path):
    out_file = tmp_path / "out.json"
    res = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "invoke", "--function-name", two["name"],
                   "--qualifier", "1", "--payload", "{}", "--cli-binary-format", "raw-in-base64-out",
                   str(out_file))
    assert res["StatusCode"] == 200 and res["ExecutedVersion"] == "1", res
    assert json.loads(out_file.read_text())["v"] == "A"
    res = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "invoke", "--function-name", two["name"] + ":2",
                   "--payload", "{}", "--cli-binary-format", "raw-in-base64-out", str(out_file))
    assert res["ExecutedVersion"] == "2" and json.loads(out_file.read_text())["v"] == "B"
    res = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "invoke", "--function-name", two["name"],
                   "--payload", "{}", "--cli-binary-format", "raw-in-base64-out", str(out_file))
    assert res["ExecutedVersion"] == "$LATEST" and json.loads(out_file.read_text())["v"] == "C"


def test_invoke_raw_executed_version_header(daemon, two):
    status, headers, body = daemon.raw("POST", "/2015-03-31/functions/%s/invocations?Qualifier=2" % two["name"],
                                       b"{}")
    assert status == 200, body
    assert headers.get("x-amz-executed-version") == "2" and json.loads(body)["v"] == "B"
    status, headers, body = daemon.raw("POST", "/2015-03-31/functions/%s%%3A1/invocations" % two["name"], b"{}")
    assert status == 200, body
    assert headers.get("x-amz-executed-version") == "1" and json.loads(body)["v"] == "A"


# ---------------------------------------------------------------- immutability


def test_versions_are_immutable(lam):
    name, _ = new_fn(lam, "I1", Environment={"Variables": {"EV": "v1"}}, Timeout=4)
    v1 = lam.publish_version(FunctionName=name)
    assert run(lam, name, Qualifier="1")[1]["v"] == "I1"  # warm an instance of version 1
    set_code(lam, name, "I2")
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"EV": "changed"}}, Timeout=8)
    executed, out, _ = run(lam, name, Qualifier="1")
    assert (executed, out["v"], out["e"]) == ("1", "I1", "v1"), out
    executed, out, _ = run(lam, name)
    assert (executed, out["v"], out["e"]) == ("$LATEST", "I2", "changed"), out
    c = lam.get_function_configuration(FunctionName=name, Qualifier="1")
    assert c["CodeSha256"] == v1["CodeSha256"] and c["Timeout"] == 4
    assert c["Environment"] == {"Variables": {"EV": "v1"}} and c["RevisionId"] == v1["RevisionId"]
    assert c["LastModified"] == v1["LastModified"]


@pytest.mark.parametrize("form", ["name_colon", "arn"])
def test_update_qualified_refused(lam, form):
    name, conf = new_fn(lam, "Q1")
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    base = name if form == "name_colon" else conf["FunctionArn"]
    for q in ("1", "live"):
        ident = base + ":" + q
        expect_code("InvalidParameterValueException", lam.update_function_code, FunctionName=ident,
                    ZipFile=code("Q2"), http_status=400)
        expect_code("InvalidParameterValueException", lam.update_function_configuration, FunctionName=ident,
                    Description="nope", http_status=400)
    # nothing changed anywhere
    assert lam.get_function_configuration(FunctionName=name, Qualifier="1")["CodeSha256"] == b64sha256(code("Q1"))
    latest = lam.get_function_configuration(FunctionName=name)
    assert latest["CodeSha256"] == b64sha256(code("Q1")) and latest["Description"] == ""
    # $LATEST spelled out is the mutable one
    u = lam.update_function_configuration(FunctionName=base + ":$LATEST", Description="ok")
    assert u["Description"] == "ok" and u["Version"] == "$LATEST"


@pytest.mark.parametrize("op", ["put_concurrency_version", "put_concurrency_alias", "delete_concurrency_version"])
def test_function_level_ops_on_qualified_name_leave_latest_alone(lam, op):
    """Reserved concurrency belongs to the function. Whether the service accepts a qualified
    name here or refuses it, $LATEST, the versions and the aliases must stay as they were."""
    name, conf = new_fn(lam, "FL1")
    lam.publish_version(FunctionName=name)
    set_code(lam, name, "FL2")
    lam.create_alias(FunctionName=name, Name="al", FunctionVersion="1")
    before = lam.get_function_configuration(FunctionName=name)
    try:
        if op == "put_concurrency_version":
            lam.put_function_concurrency(FunctionName=name + ":1", ReservedConcurrentExecutions=5)
        elif op == "put_concurrency_alias":
            lam.put_function_concurrency(FunctionName=name + ":al", ReservedConcurrentExecutions=5)
        else:
            lam.delete_function_concurrency(FunctionName=name + ":1")
    except Exception as e:  # refusing is fine (ClientError)
        assert getattr(e, "response", None) and 400 <= e.response["ResponseMetadata"]["HTTPStatusCode"] < 500, e
    after = lam.get_function_configuration(FunctionName=name)
    assert (after["Version"], after["FunctionArn"], after["CodeSha256"]) == (
        "$LATEST", conf["FunctionArn"], before["CodeSha256"]), after
    executed, out, _ = run(lam, name)
    assert (executed, out["v"]) == ("$LATEST", "FL2"), out
    assert version_names(lam, name) == ["$LATEST", "1"]
    assert lam.get_alias(FunctionName=name, Name="al")["FunctionVersion"] == "1"
    assert run(lam, name, Qualifier="1")[1]["v"] == "FL1"


# ---------------------------------------------------------------- aliases


def test_alias_crud(lam):
    name, conf = new_fn(lam, "AL1")
    lam.publish_version(FunctionName=name)
    set_code(lam, name, "AL2")
    lam.publish_version(FunctionName=name)
    a = lam.create_alias(FunctionName=name, Name="LIVE", FunctionVersion="1", Description="live traffic")
    assert a["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert a["AliasArn"] == conf["FunctionArn"] + ":LIVE"
    assert (a["Name"], a["FunctionVersion"], a["Description"]) == ("LIVE", "1", "live traffic")
    assert re.match(r"^[0-9a-f-]{36}$", a["RevisionId"])
    assert not (a.get("RoutingConfig") or {}).get("AdditionalVersionWeights")

    g = lam.get_alias(FunctionName=name, Name="LIVE")
    for k in ("AliasArn", "Name", "FunctionVersion", "Description", "RevisionId"):
        assert g[k] == a[k], k
    assert lam.get_alias(FunctionName=conf["FunctionArn"], Name="LIVE")["AliasArn"] == a["AliasArn"]

    # invoke through it
    executed, out, _ = run(lam, name, Qualifier="LIVE")
    assert (executed, out["v"], out["ver"]) == ("1", "AL1", "1"), out
    assert out["arn"] == a["AliasArn"], out

    # move it; the next invocation follows at once
    u = lam.update_alias(FunctionName=name, Name="LIVE", FunctionVersion="2", Description="moved")
    assert (u["FunctionVersion"], u["Description"], u["AliasArn"]) == ("2", "moved", a["AliasArn"])
    assert u["RevisionId"] != a["RevisionId"]
    executed, out, _ = run(lam, name + ":LIVE")
    assert (executed, out["v"], out["ver"]) == ("2", "AL2", "2"), out
    # a partial update keeps the rest
    u2 = lam.update_alias(FunctionName=name, Name="LIVE", Description="only the description")
    assert u2["FunctionVersion"] == "2" and u2["Description"] == "only the description"

    # $LATEST is a valid target
    lat = lam.create_alias(FunctionName=name, Name="dev", FunctionVersion="$LATEST")
    assert lat["FunctionVersion"] == "$LATEST"
    set_code(lam, name, "AL3")
    executed, out, _ = run(lam, name, Qualifier="dev")
    assert (executed, out["v"]) == ("$LATEST", "AL3"), out

    names = sorted(x["Name"] for x in lam.list_aliases(FunctionName=name)["Aliases"])
    assert names == ["LIVE", "dev"]

    d = lam.delete_alias(FunctionName=name, Name="LIVE")
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_code("ResourceNotFoundException", lam.get_alias, FunctionName=name, Name="LIVE", http_status=404)
    expect_code("ResourceNotFoundException", lam.invoke, FunctionName=name, Qualifier="LIVE", Payload=b"{}",
                http_status=404)
    assert [x["Name"] for x in lam.list_aliases(FunctionName=name)["Aliases"]] == ["dev"]
    # the name can be used again
    assert lam.create_alias(FunctionName=name, Name="LIVE", FunctionVersion="2")["FunctionVersion"] == "2"


def test_alias_errors(lam):
    name, _ = new_fn(lam, "AE")
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="dup", FunctionVersion="1")
    expect_code("ResourceConflictException", lam.create_alias, FunctionName=name, Name="dup", FunctionVersion="1",
                http_status=409)
    expect_code("ResourceNotFoundException", lam.create_alias, FunctionName=name, Name="ghost", FunctionVersion="5",
                http_status=404)
    expect_code("ResourceNotFoundException", lam.create_alias, FunctionName=unique("nofn"), Name="x",
                FunctionVersion="1", http_status=404)
    # an alias name may not be all digits (it would be a version)
    e = client_error(lam.create_alias, FunctionName=name, Name="123", FunctionVersion="1")
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, e.response
    assert e.response["Error"]["Code"] in ("ValidationException", "InvalidParameterValueException"), e.response
    # a malformed version
    e = client_error(lam.create_alias, FunctionName=name, Name="badver", FunctionVersion="one")
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 404), e.response
    expect_code("ResourceNotFoundException", lam.get_alias, FunctionName=name, Name="absent", http_status=404)
    expect_code("ResourceNotFoundException", lam.update_alias, FunctionName=name, Name="absent",
                FunctionVersion="1", http_status=404)
    expect_code("ResourceNotFoundException", lam.update_alias, FunctionName=name, Name="dup",
                FunctionVersion="8", http_status=404)
    assert lam.get_alias(FunctionName=name, Name="dup")["FunctionVersion"] == "1"
    assert sorted(a["Name"] for a in lam.list_aliases(FunctionName=name)["Aliases"]) == ["dup"]


def test_update_alias_revision_id(lam):
    name, _ = new_fn(lam, "AR")
    lam.publish_version(FunctionName=name)
    set_code(lam, name, "AR2")
    lam.publish_version(FunctionName=name)
    a = lam.create_alias(FunctionName=name, Name="rev", FunctionVersion="1")
    u = lam.update_alias(FunctionName=name, Name="rev", FunctionVersion="2", RevisionId=a["RevisionId"])
    assert u["FunctionVersion"] == "2"
    expect_code("PreconditionFailedException", lam.update_alias, FunctionName=name, Name="rev",
                FunctionVersion="1", RevisionId=a["RevisionId"], http_status=412)
    g = lam.get_alias(FunctionName=name, Name="rev")
    assert g["FunctionVersion"] == "2" and g["RevisionId"] == u["RevisionId"]


def test_list_aliases_filter_and_pagination(lam):
    name, _ = new_fn(lam, "LA")
    lam.publish_version(FunctionName=name)
    set_code(lam, name, "LA2")
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="a1", FunctionVersion="1")
    lam.create_alias(FunctionName=name, Name="a2", FunctionVersion="2")
    lam.create_alias(FunctionName=name, Name="a3", FunctionVersion="1")
    lam.create_alias(FunctionName=name, Name="a4", FunctionVersion="$LATEST")
    lam.create_alias(FunctionName=name, Name="a5", FunctionVersion="2",
                     RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}})
    every = lam.list_aliases(FunctionName=name)["Aliases"]
    assert sorted(a["Name"] for a in every) == ["a1", "a2", "a3", "a4", "a5"]
    for a in every:
        assert a["AliasArn"].endswith(":" + name + ":" + a["Name"])
    one = sorted(a["Name"] for a in lam.list_aliases(FunctionName=name, FunctionVersion="1")["Aliases"])
    # AWS lists an alias under a version it routes any traffic to
    assert one in (["a1", "a3"], ["a1", "a3", "a5"]), one
    assert sorted(a["Name"] for a in lam.list_aliases(FunctionName=name, FunctionVersion="2")["Aliases"]) == [
        "a2", "a5"]
    assert [a["Name"] for a in lam.list_aliases(FunctionName=name, FunctionVersion="$LATEST")["Aliases"]] == ["a4"]
    got = [a["Name"] for p in lam.get_paginator("list_aliases").paginate(
        FunctionName=name, PaginationConfig={"PageSize": 2}) for a in p["Aliases"]]
    assert sorted(got) == ["a1", "a2", "a3", "a4", "a5"] and len(got) == 5
    expect_code("ResourceNotFoundException", lam.list_aliases, FunctionName=unique("nofn"))


def test_alias_cli(daemon, lam):
    name, conf = new_fn(lam, "CL")
    ep = daemon.endpoint
    v = cli_json(DEBIAN_AWS, ep, "lambda", "publish-version", "--function-name", name, "--description", "cli")
    assert v["Version"] == "1" and v["Description"] == "cli"
    a = cli_json(DEBIAN_AWS, ep, "lambda", "create-alias", "--function-name", name, "--name", "PROD",
                 "--function-version", "1")
    assert a["AliasArn"] == conf["FunctionArn"] + ":PROD"
    g = cli_json(DEBIAN_AWS, ep, "lambda", "get-alias", "--function-name", name, "--name", "PROD")
    assert g["FunctionVersion"] == "1"
    out = cli_json(DEBIAN_AWS, ep, "lambda", "list-aliases", "--function-name", name)
    assert [x["Name"] for x in out["Aliases"]] == ["PROD"]
    p = run_cli(DEBIAN_AWS, ep, "lambda", "create-alias", "--function-name", name, "--name", "PROD",
                "--function-version", "1")
    assert p.returncode != 0 and cli_error_code(p.stderr) == "ResourceConflictException", p.stderr
    p = run_cli(DEBIAN_AWS, ep, "lambda", "delete-alias", "--function-name", name, "--name", "PROD")
    assert p.returncode == 0, p.stderr
    p = run_cli(DEBIAN_AWS, ep, "lambda", "get-alias", "--function-name", name, "--name", "PROD")
    assert p.returncode != 0 and cli_error_code(p.stderr) == "ResourceNotFoundException", p.stderr


# ---------------------------------------------------------------- routing


def test_routing_config_validation(lam, daemon):
    name, _ = new_fn(lam, "RV")
    for i in range(3):
        if i:
            set_code(lam, name, "RV%d" % i)
        lam.publish_version(FunctionName=name)

    def refused(**kw):
        e = client_error(lam.create_alias, FunctionName=name, **kw)
        assert 400 <= e.response["ResponseMetadata"]["HTTPStatusCode"] < 500, e.response
        return e.response["Error"]["Code"]

    # at most one additional version
    assert refused(Name="two", FunctionVersion="1",
                   RoutingConfig={"AdditionalVersionWeights": {"2": 0.1, "3": 0.1}}) in (
        "InvalidParameterValueException", "ValidationException")
    # weights are 0..1
    assert refused(Name="w", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 1.5}}) in (
        "ValidationException", "InvalidParameterValueException")
    # botocore refuses a negative weight itself; send it raw
    status, headers, body = daemon.raw("POST", "/2015-03-31/functions/%s/aliases" % name, json.dumps(
        {"Name": "neg", "FunctionVersion": "1", "RoutingConfig": {"AdditionalVersionWeights": {"2": -0.1}}}),
        {"Content-Type": "application/json"})
    assert status == 400, body
    # the extra version differs from the primary
    assert refused(Name="same", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"1": 0.2}}) == (
        "InvalidParameterValueException")
    # and is a published version
    assert refused(Name="ghost", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"9": 0.2}}) in (
        "ResourceNotFoundException", "InvalidParameterValueException")
    # a primary of $LATEST cannot route to two versions
    assert refused(Name="fromlatest", FunctionVersion="$LATEST",
                   RoutingConfig={"AdditionalVersionWeights": {"1": 0.2}}) == "InvalidParameterValueException"
    assert lam.list_aliases(FunctionName=name)["Aliases"] == []

    # the same rules on UpdateAlias; a refused update changes nothing
    a = lam.create_alias(FunctionName=name, Name="ok", FunctionVersion="1",
                         RoutingConfig={"AdditionalVersionWeights": {"2": 0.25}})
    assert a["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.25}}
    e = client_error(lam.update_alias, FunctionName=name, Name="ok", FunctionVersion="2")
    assert e.response["Error"]["Code"] == "InvalidParameterValueException", e.response
    e = client_error(lam.update_alias, FunctionName=name, Name="ok",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 0.1, "3": 0.1}})
    assert 400 <= e.response["ResponseMetadata"]["HTTPStatusCode"] < 500
    g = lam.get_alias(FunctionName=name, Name="ok")
    assert g["FunctionVersion"] == "1" and g["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.25}}
    assert g["RevisionId"] == a["RevisionId"]
    # moving the primary and the extra together is fine; an empty map removes routing
    u = lam.update_alias(FunctionName=name, Name="ok", FunctionVersion="3",
                         RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}})
    assert u["FunctionVersion"] == "3" and u["RoutingConfig"] == {"AdditionalVersionWeights": {"1": 0.5}}
    u = lam.update_alias(FunctionName=name, Name="ok", RoutingConfig={"AdditionalVersionWeights": {}})
    assert not (u.get("RoutingConfig") or {}).get("AdditionalVersionWeights"), u
    assert u["FunctionVersion"] == "3"
    # the additional version is a published version number ("[0-9]+" in the model): $LATEST is a
    # parameter error (AWS: ValidationException), not a missing resource
    assert refused(Name="latest", FunctionVersion="1",
                   RoutingConfig={"AdditionalVersionWeights": {"$LATEST": 0.2}}) in (
        "InvalidParameterValueException", "ValidationException")


def _invoke_many(lam, name, qualifier, n, threads=8):
    """n invocations of name:qualifier from a few threads; returns [(executed version, marker, ctx version)]."""
    def one(_):
        r = lam.invoke(FunctionName=name, Qualifier=qualifier, Payload=b"{}")
        out = json.loads(r["Payload"].read())
        assert "FunctionError" not in r, out
        return r["ExecutedVersion"], out["v"], out["ver"]

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(n)))


@pytest.fixture(scope="module")
def blue(lam):
    """The acceptance function: v1 = code "one", v2 = code "two"."""
    name, conf = new_fn(lam, "one", prefix="bluegreen")
    assert lam.publish_version(FunctionName=name)["Version"] == "1"
    set_code(lam, name, "two")
    assert lam.publish_version(FunctionName=name)["Version"] == "2"
    set_code(lam, name, "latest")
    return {"name": name, "arn": conf["FunctionArn"]}


def test_acceptance_blue_green(lam, blue):
    """Publish v1, change code, publish v2; fn:1, fn:2 and fn run the right code; BLUE at v1
    with 10 % to v2 sends 10 % +- 3 % of 2000 invocations to v2, as X-Amz-Executed-Version
    says; deleting a version that an alias uses is refused."""
    extend_timeout(240)
    name = blue["name"]
    assert run(lam, name, Qualifier="1")[:2] == ("1", run(lam, name + ":1")[1])
    assert run(lam, name, Qualifier="1")[1]["v"] == "one"
    assert run(lam, name, Qualifier="2")[1]["v"] == "two"
    assert run(lam, name)[1]["v"] == "latest"

    a = lam.create_alias(FunctionName=name, Name="BLUE", FunctionVersion="1",
                         RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
    assert a["AliasArn"] == blue["arn"] + ":BLUE"
    assert a["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.1}
    g = lam.get_alias(FunctionName=name, Name="BLUE")
    assert g["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.1}

    t0 = time.monotonic()
    results = _invoke_many(lam, name, "BLUE", 2000)
    took = time.monotonic() - t0
    counts = {}
    for executed, mark, ctx_ver in results:
        # the header, the code that ran and the version the function saw agree
        assert (executed, mark) in (("1", "one"), ("2", "two")), (executed, mark)
        assert ctx_ver == executed
        counts[executed] = counts.get(executed, 0) + 1
    share = counts.get("2", 0) / 2000.0
    assert 0.07 <= share <= 0.13, (counts, share)
    assert took < 180, took

    # deleting a version the alias uses (primary or additional) is refused as on AWS
    for q in ("1", "2"):
        e = expect_code("ResourceConflictException", lam.delete_function, FunctionName=name, Qualifier=q,
                        http_status=409)
        assert "BLUE" in e.response["Error"]["Message"], e.response
    assert version_names(lam, name) == ["$LATEST", "1", "2"]
    assert run(lam, name, Qualifier="1")[1]["v"] == "one"


def test_routing_weight_extremes(lam, blue):
    name = blue["name"]
    lam.create_alias(FunctionName=name, Name="zero", FunctionVersion="1",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 0.0}})
    assert {r[0] for r in _invoke_many(lam, name, "zero", 200)} == {"1"}
    lam.create_alias(FunctionName=name, Name="all", FunctionVersion="1",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 1.0}})
    assert {r[0] for r in _invoke_many(lam, name, "all", 200)} == {"2"}
    lam.create_alias(FunctionName=name, Name="half", FunctionVersion="2",
                     RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}})
    res = _invoke_many(lam, name, "half", 400)
    n1 = sum(1 for r in res if r[0] == "1")
    assert 140 <= n1 <= 260, n1
    for r in res:
        assert r[1] == {"1": "one", "2": "two"}[r[0]]
    # removing the routing sends everything to the primary again
    lam.update_alias(FunctionName=name, Name="all", RoutingConfig={"AdditionalVersionWeights": {}})
    assert {r[0] for r in _invoke_many(lam, name, "all", 100)} == {"1"}
    for a in ("zero", "all", "half"):
        lam.delete_alias(FunctionName=name, Name=a)


def test_routing_cli_executed_version(daemon, lam, blue, tmp_path):
    name = blue["name"]
    lam.create_alias(FunctionName=name, Name="GREEN", FunctionVersion="1",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 1.0}})
    try:
        out_file = tmp_path / "o.json"
        res = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "invoke", "--function-name", name, "--qualifier",
                       "GREEN", "--payload", "{}", "--cli-binary-format", "raw-in-base64-out", str(out_file))
        assert res["ExecutedVersion"] == "2" and json.loads(out_file.read_text())["v"] == "two", res
        a = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "update-alias", "--function-name", name, "--name",
                     "GREEN", "--routing-config", "AdditionalVersionWeights={2=0.3}")
        assert a["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.3}
    finally:
        lam.delete_alias(FunctionName=name, Name="GREEN")


# ---------------------------------------------------------------- DeleteFunction with a qualifier


def test_delete_version(lam):
    name, conf = new_fn(lam, "D1")
    lam.publish_version(FunctionName=name)
    set_code(lam, name, "D2")
    lam.publish_version(FunctionName=name)
    assert run(lam, name, Qualifier="1")[1]["v"] == "D1"  # a warm instance of version 1
    r = lam.delete_function(FunctionName=name, Qualifier="1")
    assert r["ResponseMetadata"]["HTTPStatusCode"] in (200, 204)
    expect_code("ResourceNotFoundException", lam.get_function, FunctionName=name, Qualifier="1", http_status=404)
    expect_code("ResourceNotFoundException", lam.invoke, FunctionName=name, Qualifier="1", Payload=b"{}",
                http_status=404)
    assert version_names(lam, name) == ["$LATEST", "2"]
    # the rest of the function is untouched
    assert run(lam, name, Qualifier="2")[1]["v"] == "D2"
    assert run(lam, name)[1]["v"] == "D2"
    # by qualified ARN
    lam.update_function_configuration(FunctionName=name, Description="x")
    assert lam.publish_version(FunctionName=name)["Version"] == "3"
    lam.delete_function(FunctionName=conf["FunctionArn"] + ":3")
    assert version_names(lam, name) == ["$LATEST", "2"]
    # a version that does not exist (any more)
    expect_code("ResourceNotFoundException", lam.delete_function, FunctionName=name, Qualifier="1")
    # $LATEST cannot be deleted on its own
    e = client_error(lam.delete_function, FunctionName=name, Qualifier="$LATEST")
    assert e.response["Error"]["Code"] == "InvalidParameterValueException", e.response
    assert lam.get_function(FunctionName=name)["Configuration"]["Version"] == "$LATEST"


def test_delete_version_used_by_alias(lam):
    name, _ = new_fn(lam, "DA1")
    for i in range(3):
        if i:
            set_code(lam, name, "DA%d" % (i + 1))
        lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="prim", FunctionVersion="1")
    lam.create_alias(FunctionName=name, Name="split", FunctionVersion="3",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 0.4}})
    expect_code("ResourceConflictException", lam.delete_function, FunctionName=name, Qualifier="1", http_status=409)
    expect_code("ResourceConflictException", lam.delete_function, FunctionName=name, Qualifier="2", http_status=409)
    expect_code("ResourceConflictException", lam.delete_function, FunctionName=name, Qualifier="3", http_status=409)
    assert version_names(lam, name) == ["$LATEST", "1", "2", "3"]
    # DeleteFunction does not delete aliases
    e = client_error(lam.delete_function, FunctionName=name, Qualifier="prim")
    assert 400 <= e.response["ResponseMetadata"]["HTTPStatusCode"] < 500, e.response
    assert lam.get_alias(FunctionName=name, Name="prim")["FunctionVersion"] == "1"
    # once no alias uses it, it can go
    lam.update_alias(FunctionName=name, Name="prim", FunctionVersion="3")
    lam.delete_function(FunctionName=name, Qualifier="1")
    lam.update_alias(FunctionName=name, Name="split", RoutingConfig={"AdditionalVersionWeights": {}})
    lam.delete_function(FunctionName=name, Qualifier="2")
    assert version_names(lam, name) == ["$LATEST", "3"]


def test_delete_function_removes_versions_and_aliases(lam):
    name, conf = new_fn(lam, "DF1")
    lam.publish_version(FunctionName=name)
    set_code(lam, name, "DF2")
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="keep", FunctionVersion="1",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    run(lam, name, Qualifier="keep")
    lam.delete_function(FunctionName=name)
    for q in ("1", "2", "keep"):
        expect_code("ResourceNotFoundException", lam.get_function, FunctionName=name, Qualifier=q)
        expect_code("ResourceNotFoundException", lam.invoke, FunctionName=name, Qualifier=q, Payload=b"{}")
    expect_code("ResourceNotFoundException", lam.get_alias, FunctionName=name, Name="keep")
    expect_code("ResourceNotFoundException", lam.list_versions_by_function, FunctionName=name)
    # a new function of the same name starts empty
    create(lam, name, code("DF3"), RUNTIME, HANDLER)
    assert version_names(lam, name) == ["$LATEST"]
    assert lam.list_aliases(FunctionName=name)["Aliases"] == []
    expect_code("ResourceNotFoundException", lam.get_alias, FunctionName=name, Name="keep")
    expect_code("ResourceNotFoundException", lam.invoke, FunctionName=name, Qualifier="1", Payload=b"{}")
    v = lam.publish_version(FunctionName=name)
    assert v["CodeSha256"] == b64sha256(code("DF3"))
    assert run(lam, name, Qualifier=v["Version"])[1]["v"] == "DF3"
    lam.delete_function(FunctionName=name)


# ---------------------------------------------------------------- asynchronous invocation


def _wait_log(daemon, name, token, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = daemon.db_rows("SELECT stream FROM log_events WHERE grp = ? AND msg LIKE ?",
                              ("/aws/lambda/" + name, "%" + token + "%"))
        if rows:
            return rows
        time.sleep(0.1)
    raise AssertionError("no log line with %s for %s within %d s" % (token, name, timeout))


def test_event_invocation_with_qualifier(lam, daemon, two):
    name = two["name"]
    lam.create_alias(FunctionName=name, Name="asyncA", FunctionVersion="2")
    try:
        cases = (({"Qualifier": "1"}, "1"), ({"Qualifier": "asyncA"}, "2"), ({}, "$LATEST"))
        tokens = []
        for kw, ver in cases:
            token = unique("evt")
            r = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"print": token}), **kw)
            assert r["StatusCode"] == 202, r
            tokens.append((token, ver))
        # name:qualifier form too
        token = unique("evt")
        r = lam.invoke(FunctionName=name + ":1", InvocationType="Event", Payload=json.dumps({"print": token}))
        assert r["StatusCode"] == 202
        tokens.append((token, "1"))
        for token, ver in tokens:
            rows = _wait_log(daemon, name, token)
            stream = rows[0][0]
            assert "/[%s]" % ver in stream, (ver, stream)
            starts = daemon.db_rows("SELECT msg FROM log_events WHERE grp = ? AND stream = ? AND msg LIKE "
                                    "'START RequestId:%'", ("/aws/lambda/" + name, stream))
            assert starts and all(m[0].rstrip().endswith("Version: " + ver) for m in starts), starts
        expect_code("ResourceNotFoundException", lam.invoke, FunctionName=name, InvocationType="Event",
                    Qualifier="404", Payload=b"{}")
    finally:
        lam.delete_alias(FunctionName=name, Name="asyncA")


# ---------------------------------------------------------------- persistence


def test_versions_and_aliases_survive_restart(tmp_path):
    extend_timeout(150)
    d = Daemon(tmp_path / "data")
    d.start()
    try:
        lam = make_client(d.endpoint)
        name, conf = new_fn(lam, "K1", Environment={"Variables": {"EV": "k1"}})
        v1 = lam.publish_version(FunctionName=name, Description="keep one")
        set_code(lam, name, "K2")
        v2 = lam.publish_version(FunctionName=name)
        set_code(lam, name, "K3")
        assert lam.publish_version(FunctionName=name)["Version"] == "3"
        lam.delete_function(FunctionName=name, Qualifier="3")
        set_code(lam, name, "K4")
        lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"EV": "k4"}})
        blue = lam.create_alias(FunctionName=name, Name="BLUE", FunctionVersion="1", Description="b",
                                RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
        live = lam.create_alias(FunctionName=name, Name="live", FunctionVersion="2")
        assert run(lam, name, Qualifier="1")[1]["v"] == "K1"
        close_clients()
        assert d.stop() == 0, d.log_tail()

        d.start()
        lam = make_client(d.endpoint)
        vs = lam.list_versions_by_function(FunctionName=name)["Versions"]
        assert [v["Version"] for v in vs] == ["$LATEST", "1", "2"]
        for got, want in ((vs[1], v1), (vs[2], v2)):
            for k in ("FunctionArn", "CodeSha256", "Description", "RevisionId", "LastModified", "Environment"):
                assert got.get(k) == want.get(k), k
        assert lam.get_alias(FunctionName=name, Name="BLUE") | {"ResponseMetadata": None} == \
            blue | {"ResponseMetadata": None}
        g = lam.get_alias(FunctionName=name, Name="live")
        assert (g["FunctionVersion"], g["RevisionId"]) == ("2", live["RevisionId"])
        executed, out, _ = run(lam, name, Qualifier="1")
        assert (executed, out["v"], out["e"], out["ver"]) == ("1", "K1", "k1", "1"), out
        executed, out, _ = run(lam, name + ":live")
        assert (executed, out["v"]) == ("2", "K2")
        executed, out, _ = run(lam, name)
        assert (executed, out["v"], out["e"]) == ("$LATEST", "K4", "k4")
        res = _invoke_many(lam, name, "BLUE", 400)
        n2 = sum(1 for r in res if r[0] == "2")
        assert 10 <= n2 <= 75, n2  # 10 % of 400, generously
        for r in res:
            assert r[1] == {"1": "K1", "2": "K2"}[r[0]]
        expect_code("ResourceConflictException", lam.delete_function, FunctionName=name, Qualifier="1")
        # a deleted version's number is not reused after a restart either
        assert lam.publish_version(FunctionName=name)["Version"] == "4"
        close_clients()
    finally:
        rc = d.stop()
    assert rc == 0, d.log_tail()
