"""Layers (issue 5, item 3, and the layers acceptance bullet): PublishLayerVersion, GetLayerVersion
(Content.Location downloads the zip), GetLayerVersionByArn, ListLayers, ListLayerVersions,
DeleteLayerVersion, CompatibleRuntime filtering; functions that reference up to 5 layer versions
(validated, order kept); what a function sees at run time under /opt (read-only, later layers win,
/opt/bin on PATH, /opt/lib on LD_LIBRARY_PATH, /opt/python and /opt/nodejs/node_modules on the module
paths); one stored copy per layer; layers across UpdateFunctionConfiguration, published versions,
deletion while in use, and a daemon restart."""

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import urllib.parse
import uuid
import zipfile
import io
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import (DEBIAN_AWS, Daemon, b64sha256, cli_error_code, cli_json, close_clients,
                      create, expect_code, extend_timeout, fetch, invoke, make_client, make_zip, run_cli, unique)

ACCOUNT = "000000000000"
REGION = "us-east-1"
LAYER_PREFIX = "arn:aws:lambda:%s:%s:layer:" % (REGION, ACCOUNT)
PY_RUNTIME = "python3.12"
NODE_RUNTIME = "nodejs20.x"
PY_HANDLER = "probe.handler"
NODE_HANDLER = "index.handler"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$")
EROFS = 30
ENOENT = 2

# A Python function that reports what it sees; the event says what to look at.
PROBE_PY = r'''import ctypes
import importlib
import os
import subprocess
import sys
import time
import uuid

INSTANCE = uuid.uuid4().hex


def handler(event, context):
    event = event if isinstance(event, dict) else {}
    if "sleep" in event:
        time.sleep(event["sleep"])
    out = {"env": {k: os.environ.get(k) for k in ("PATH", "LD_LIBRARY_PATH", "PYTHONPATH", "NODE_PATH")},
           "sys_path": sys.path, "instance": INSTANCE, "env_cold": os.environ.get("COLD")}
    try:
        out["opt"] = sorted(os.listdir("/opt"))
    except OSError as e:
        out["opt"] = e.errno
    for mod in event.get("import", []):
        try:
            m = importlib.import_module(mod)
            out.setdefault("imported", {})[mod] = {"file": m.__file__, "value": m.value()}
        except Exception as e:  # reported, not raised: the test says what failed
            out.setdefault("imported", {})[mod] = {"error": repr(e)}
    for path in event.get("read", []):
        try:
            with open(path) as f:
                out.setdefault("read", {})[path] = f.read()
        except OSError as e:
            out.setdefault("read", {})[path] = e.errno
    if "run" in event:
        try:
            p = subprocess.run(event["run"], capture_output=True, text=True, timeout=10)
            out["run"] = {"rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr}
        except OSError as e:
            out["run"] = {"errno": e.errno, "error": repr(e)}
    for path in event.get("write", []):
        try:
            with open(path, "w") as f:
                f.write("x")
            out.setdefault("write", {})[path] = "ok"
        except OSError as e:
            out.setdefault("write", {})[path] = e.errno
    for path in event.get("mkdir", []):
        try:
            os.mkdir(path)
            out.setdefault("mkdir", {})[path] = "ok"
        except OSError as e:
            out.setdefault("mkdir", {})[path] = e.errno
    if "cdll" in event:
        lib, sym = event["cdll"]
        try:
            out["cdll"] = getattr(ctypes.CDLL(lib), sym)()
        except OSError as e:
            out["cdll"] = {"error": repr(e)}
    return out
'''

# A Node function that requires the packages the event names.
PROBE_JS = r'''exports.handler = async (event) => {
  const out = { nodePath: process.env.NODE_PATH, required: {} };
  for (const m of (event && event.require) || []) {
    try {
      const x = require(m);
      out.required[m] = { value: x.value(), file: require.resolve(m) };
    } catch (e) {
      out.required[m] = { error: String(e) };
    }
  }
  return out;
};
'''


@pytest.fixture(scope="module")
def probe_zip():
    return make_zip({"probe.py": PROBE_PY})


@pytest.fixture(scope="module")
def node_probe_zip():
    return make_zip({"index.js": PROBE_JS})


def publish(lam, name, zip_bytes, **kw):
    return lam.publish_layer_version(LayerName=name, Content={"ZipFile": zip_bytes}, **kw)


def new_layer(lam, files, prefix="lay", **kw):
    """Publishes version 1 of a new layer from {name: content}; returns (response, zip bytes)."""
    z = make_zip(files)
    return publish(lam, unique(prefix), z, **kw), z


def text_layer(lam, text, path="x.txt", prefix="txt"):
    """A layer holding one text file; returns its LayerVersionArn."""
    return new_layer(lam, {path: text}, prefix=prefix)[0]["LayerVersionArn"]


def py_fn(lam, probe_zip, layers, prefix="lfn", **kw):
    name = unique(prefix)
    conf = create(lam, name, probe_zip, PY_RUNTIME, PY_HANDLER, Layers=list(layers), **kw)
    return name, conf


def probe(lam, name, event, **kw):
    r, body, out = invoke(lam, name, event, **kw)
    assert r["StatusCode"] == 200 and "FunctionError" not in r, body
    return out


def layer_arns(conf):
    return [layer["Arn"] for layer in conf.get("Layers") or []]


def version_numbers(lam, name, **kw):
    return [v["Version"] for v in lam.list_layer_versions(LayerName=name, **kw)["LayerVersions"]]


def all_layers(lam, **kw):
    """Every ListLayers item, following NextMarker; checks that no layer appears twice."""
    items, marker, pages = [], None, 0
    while True:
        args = dict(kw)
        if marker:
            args["Marker"] = marker
        r = lam.list_layers(**args)
        pages += 1
        if "MaxItems" in kw:
            assert len(r["Layers"]) <= kw["MaxItems"], r
        items += r["Layers"]
        marker = r.get("NextMarker")
        if not marker:
            break
        assert pages < 200
    names = [i["LayerName"] for i in items]
    assert len(names) == len(set(names)), names
    return {i["LayerName"]: i for i in items}, pages


# ---------------------------------------------------------------- PublishLayerVersion


def test_publish_response(lam, daemon):
    name = unique("pub")
    z = make_zip({"python/mylib.py": "def value():\n    return 1\n"})
    r = publish(lam, name, z, Description="first layer", CompatibleRuntimes=["python3.12", "python3.11"],
                CompatibleArchitectures=["x86_64", "arm64"], LicenseInfo="MIT")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert r["LayerArn"] == LAYER_PREFIX + name
    assert r["LayerVersionArn"] == LAYER_PREFIX + name + ":1"
    assert r["Version"] == 1 and isinstance(r["Version"], int)
    assert r["Description"] == "first layer"
    assert ISO.match(r["CreatedDate"]), r["CreatedDate"]
    assert r["CompatibleRuntimes"] == ["python3.12", "python3.11"]
    assert r["CompatibleArchitectures"] == ["x86_64", "arm64"]
    assert r["LicenseInfo"] == "MIT"
    c = r["Content"]
    assert c["CodeSha256"] == b64sha256(z) and c["CodeSize"] == len(z)
    u = urllib.parse.urlsplit(c["Location"])
    assert u.scheme == "http" and u.port == daemon.port, c["Location"]
    status, data = fetch(c["Location"])
    assert status == 200 and data == z


def test_publish_minimal_and_versions_count_up(lam):
    name = unique("count")
    versions = [publish(lam, name, make_zip({"f%d" % i: str(i)}))["Version"] for i in range(3)]
    assert versions == [1, 2, 3]
    r = lam.get_layer_version(LayerName=name, VersionNumber=1)
    assert r["LayerVersionArn"] == LAYER_PREFIX + name + ":1"
    assert r.get("Description", "") == ""
    assert r.get("CompatibleRuntimes", []) == []


def test_publish_same_zip_twice_is_a_new_version(lam):
    """Unlike PublishVersion, PublishLayerVersion always creates a version."""
    name = unique("same")
    z = make_zip({"a.txt": "same"})
    assert [publish(lam, name, z)["Version"] for _ in range(2)] == [1, 2]
    shas = {v["Content"]["CodeSha256"] for v in (lam.get_layer_version(LayerName=name, VersionNumber=n)
                                                for n in (1, 2))}
    assert shas == {b64sha256(z)}


@pytest.mark.parametrize("bad", ["bad.name", "with space", "a" * 141])
def test_publish_bad_layer_name(lam, bad):
    e = expect_code("ValidationException", publish, lam, bad, make_zip({"a": "b"}))
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_publish_name_limits_ok(lam):
    name = ("L-_9" + uuid.uuid4().hex) * 10
    name = name[:140]
    r = publish(lam, name, make_zip({"a": "b"}))
    assert r["LayerArn"] == LAYER_PREFIX + name


@pytest.mark.parametrize("op", ["get", "list", "delete"])
def test_bad_layer_name_other_operations(lam, op):
    """The LayerName pattern holds for every operation, not only for Publish."""
    call = {"get": lambda: lam.get_layer_version(LayerName="bad.name", VersionNumber=1),
            "list": lambda: lam.list_layer_versions(LayerName="bad.name"),
            "delete": lambda: lam.delete_layer_version(LayerName="bad.name", VersionNumber=1)}[op]
    expect_code("ValidationException", call, http_status=400)


def test_publish_not_a_zip(lam):
    expect_code("InvalidParameterValueException", publish, lam, unique("nozip"), b"this is not a zip file",
                http_status=400)


def test_publish_missing_content_raw(daemon):
    path = "/2018-10-31/layers/%s/versions" % unique("nocontent")
    for body in ({}, {"Content": {}}, {"Description": "no content"}):
        status, headers, data = daemon.raw("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        assert status == 400, (body, status, data)
        doc = json.loads(data)
        code = headers.get("x-amzn-errortype", "").split(":")[0] or doc.get("Type") or doc.get("__type")
        assert code in ("ValidationException", "InvalidParameterValueException"), (body, headers, data)


@pytest.mark.parametrize("field,value", [
    ("CompatibleRuntimes", ["python3.12"] * 16),
    ("CompatibleArchitectures", ["x86_64", "arm64", "x86_64"]),
    ("LicenseInfo", "x" * 513),
])
def test_publish_limits(lam, field, value):
    expect_code("ValidationException", publish, lam, unique("limit"), make_zip({"a": "b"}), **{field: value})


@pytest.mark.parametrize("field,value", [
    ("CompatibleRuntimes", ["python3.12"] * 15),
    ("LicenseInfo", "x" * 512),
])
def test_publish_at_limits_ok(lam, field, value):
    r = publish(lam, unique("atlimit"), make_zip({"a": "b"}), **{field: value})
    assert r[field] == value


def test_publish_path_traversal_refused(lam, daemon):
    """A layer zip whose entry climbs out of the layer gets an AWS error and writes nothing outside."""
    marker = "escape-%s.txt" % uuid.uuid4().hex[:8]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("ok.txt", "fine")
        z.writestr("../../" + marker, "escaped")
    expect_code("InvalidParameterValueException", publish, lam, unique("trav"), buf.getvalue())
    for root in (daemon.data_dir, daemon.data_dir.parent, daemon.data_dir.parent.parent):
        assert not (root / marker).exists(), root / marker


def test_publish_symlink_outside_refused(lam, daemon):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("evil")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(info, "../../../../../../etc/passwd")
    expect_code("InvalidParameterValueException", publish, lam, unique("symlink"), buf.getvalue())


# ---------------------------------------------------------------- Get / List / Delete


def test_layer_api_round_trip(lam, daemon):
    name = unique("api")
    z1 = make_zip({"python/mylib.py": "def value():\n    return 'one'\n"})
    z2 = make_zip({"python/mylib.py": "def value():\n    return 'two'\n"})
    p1 = publish(lam, name, z1, Description="v1", CompatibleRuntimes=["python3.12"], LicenseInfo="MIT")
    p2 = publish(lam, name, z2, Description="v2", CompatibleRuntimes=["nodejs20.x", "python3.11"])
    assert (p1["Version"], p2["Version"]) == (1, 2)
    assert p1["LayerArn"] == p2["LayerArn"] == LAYER_PREFIX + name

    # GetLayerVersion and GetLayerVersionByArn give what Publish gave
    for p in (p1, p2):
        for g in (lam.get_layer_version(LayerName=name, VersionNumber=p["Version"]),
                  lam.get_layer_version_by_arn(Arn=p["LayerVersionArn"])):
            assert g["ResponseMetadata"]["HTTPStatusCode"] == 200
            for k in ("LayerArn", "LayerVersionArn", "Version", "Description", "CreatedDate", "CompatibleRuntimes"):
                assert g.get(k) == p.get(k), k
            assert g.get("LicenseInfo") == p.get("LicenseInfo")
            for k in ("CodeSha256", "CodeSize"):
                assert g["Content"][k] == p["Content"][k], k

    # Content.Location downloads the exact zip
    for z, p in ((z1, p1), (z2, p2)):
        loc = lam.get_layer_version(LayerName=name, VersionNumber=p["Version"])["Content"]["Location"]
        status, data = fetch(loc)
        assert status == 200 and data == z
        assert b64sha256(data) == p["Content"]["CodeSha256"]

    # ListLayers: the latest (matching) version
    layers, _ = all_layers(lam)
    item = layers[name]
    assert item["LayerArn"] == LAYER_PREFIX + name
    latest = item["LatestMatchingVersion"]
    assert latest["Version"] == 2 and latest["LayerVersionArn"] == p2["LayerVersionArn"]
    assert latest["Description"] == "v2" and latest["CreatedDate"] == p2["CreatedDate"]
    assert latest["CompatibleRuntimes"] == ["nodejs20.x", "python3.11"]
    layers, _ = all_layers(lam, CompatibleRuntime="python3.12")
    assert layers[name]["LatestMatchingVersion"]["Version"] == 1
    assert layers[name]["LatestMatchingVersion"]["LicenseInfo"] == "MIT"
    layers, _ = all_layers(lam, CompatibleRuntime="nodejs20.x")
    assert layers[name]["LatestMatchingVersion"]["Version"] == 2
    layers, _ = all_layers(lam, CompatibleRuntime="java17")
    assert name not in layers

    # ListLayerVersions: newest first, filtered by runtime
    lv = lam.list_layer_versions(LayerName=name)["LayerVersions"]
    assert [v["Version"] for v in lv] == [2, 1]
    assert [v["LayerVersionArn"] for v in lv] == [p2["LayerVersionArn"], p1["LayerVersionArn"]]
    assert lv[1]["Description"] == "v1" and lv[1]["CompatibleRuntimes"] == ["python3.12"]
    assert version_numbers(lam, name, CompatibleRuntime="python3.12") == [1]
    assert version_numbers(lam, name, CompatibleRuntime="python3.11") == [2]
    assert version_numbers(lam, name, CompatibleRuntime="ruby3.2") == []

    # Delete v2: gone everywhere; v1 becomes the latest
    d = lam.delete_layer_version(LayerName=name, VersionNumber=2)
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_code("ResourceNotFoundException", lam.get_layer_version, LayerName=name, VersionNumber=2,
                http_status=404)
    expect_code("ResourceNotFoundException", lam.get_layer_version_by_arn, Arn=p2["LayerVersionArn"],
                http_status=404)
    assert version_numbers(lam, name) == [1]
    assert all_layers(lam)[0][name]["LatestMatchingVersion"]["Version"] == 1
    # deleting a missing version is not an error
    assert lam.delete_layer_version(LayerName=name, VersionNumber=2)["ResponseMetadata"]["HTTPStatusCode"] == 204

    # version numbers are not reused
    p3 = publish(lam, name, z2)
    assert p3["Version"] == 3 and p3["LayerVersionArn"] == LAYER_PREFIX + name + ":3"
    assert version_numbers(lam, name) == [3, 1]


def test_get_missing(lam):
    name = unique("missing")
    expect_code("ResourceNotFoundException", lam.get_layer_version, LayerName=name, VersionNumber=1,
                http_status=404)
    expect_code("ResourceNotFoundException", lam.get_layer_version_by_arn, Arn=LAYER_PREFIX + name + ":1",
                http_status=404)
    publish(lam, name, make_zip({"a": "b"}))
    expect_code("ResourceNotFoundException", lam.get_layer_version, LayerName=name, VersionNumber=2,
                http_status=404)
    expect_code("ResourceNotFoundException", lam.get_layer_version_by_arn, Arn=LAYER_PREFIX + name + ":2",
                http_status=404)


def test_delete_missing_is_204(lam):
    r = lam.delete_layer_version(LayerName=unique("nolayer"), VersionNumber=7)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_get_layer_version_by_arn_raw(daemon, lam):
    name = unique("rawarn")
    p = publish(lam, name, make_zip({"a": "b"}))
    q = urllib.parse.urlencode({"find": "LayerVersion", "Arn": p["LayerVersionArn"]})
    status, headers, body = daemon.raw("GET", "/2018-10-31/layers?" + q)
    assert status == 200, body
    assert json.loads(body)["LayerVersionArn"] == p["LayerVersionArn"]
    # the same path without find= is ListLayers
    status, _, body = daemon.raw("GET", "/2018-10-31/layers")
    assert status == 200 and "Layers" in json.loads(body), body


def test_get_layer_version_by_arn_malformed(daemon, lam):
    for arn in ("not-an-arn", LAYER_PREFIX + "name-without-version",
                "arn:aws:lambda:us-east-1:000000000000:function:f:1"):
        e = expect_code("ValidationException", lam.get_layer_version_by_arn, Arn=arn)
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_layer_name_may_be_layer_arn(lam):
    """LayerName accepts the layer ARN (model: `[a-zA-Z0-9-_]+` or a layer ARN)."""
    name = unique("byarn")
    p = publish(lam, name, make_zip({"a": "b"}))
    assert publish(lam, p["LayerArn"], make_zip({"a": "c"}))["LayerVersionArn"] == p["LayerArn"] + ":2"
    lam.delete_layer_version(LayerName=name, VersionNumber=2)
    g = lam.get_layer_version(LayerName=p["LayerArn"], VersionNumber=1)
    assert g["LayerVersionArn"] == p["LayerVersionArn"]
    assert [v["Version"] for v in lam.list_layer_versions(LayerName=p["LayerArn"])["LayerVersions"]] == [1]
    lam.delete_layer_version(LayerName=p["LayerArn"], VersionNumber=1)
    expect_code("ResourceNotFoundException", lam.get_layer_version, LayerName=name, VersionNumber=1)


def test_list_pagination(lam):
    names = [unique("pg") for _ in range(5)]
    for n in names:
        publish(lam, n, make_zip({"a": n}))
    full, pages = all_layers(lam)
    assert set(names) <= set(full)
    paged, pages = all_layers(lam, MaxItems=2)
    assert set(paged) == set(full) and pages == (len(full) + 1) // 2
    # ListLayerVersions pages too
    name = names[0]
    for i in range(4):
        publish(lam, name, make_zip({"a": str(i)}))
    seen, marker = [], None
    for _ in range(10):
        kw = {"LayerName": name, "MaxItems": 2}
        if marker:
            kw["Marker"] = marker
        r = lam.list_layer_versions(**kw)
        assert len(r["LayerVersions"]) <= 2
        seen += [v["Version"] for v in r["LayerVersions"]]
        marker = r.get("NextMarker")
        if not marker:
            break
    assert seen == [5, 4, 3, 2, 1]


def test_layers_with_no_versions_left_are_not_listed(lam):
    name = unique("emptied")
    publish(lam, name, make_zip({"a": "b"}))
    assert name in all_layers(lam)[0]
    lam.delete_layer_version(LayerName=name, VersionNumber=1)
    assert name not in all_layers(lam)[0]
    assert version_numbers(lam, name) == []


def test_cli_round_trip(daemon, tmp_path):
    name = unique("cli")
    z = make_zip({"bin/tool": "#!/bin/sh\necho tool\n"})
    zp = tmp_path / "layer.zip"
    zp.write_bytes(z)
    out = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "publish-layer-version", "--layer-name", name,
                   "--zip-file", "fileb://%s" % zp, "--compatible-runtimes", "python3.12", "nodejs20.x",
                   "--description", "from the cli")
    assert out["Version"] == 1 and out["LayerArn"] == LAYER_PREFIX + name
    assert out["Content"]["CodeSha256"] == b64sha256(z) and out["Content"]["CodeSize"] == len(z)
    out2 = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "publish-layer-version", "--layer-name", name,
                    "--zip-file", "fileb://%s" % zp)
    assert out2["Version"] == 2
    g = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "get-layer-version-by-arn", "--arn",
                 out["LayerVersionArn"])
    assert g["Description"] == "from the cli" and g["CompatibleRuntimes"] == ["python3.12", "nodejs20.x"]
    lv = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "list-layer-versions", "--layer-name", name)
    assert [v["Version"] for v in lv["LayerVersions"]] == [2, 1]
    ll = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "list-layers", "--page-size", "1")
    mine = [i for i in ll["Layers"] if i["LayerName"] == name]
    assert len(mine) == 1 and mine[0]["LatestMatchingVersion"]["Version"] == 2
    ll = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "list-layers", "--compatible-runtime", "nodejs20.x")
    mine = [i for i in ll["Layers"] if i["LayerName"] == name]
    assert len(mine) == 1 and mine[0]["LatestMatchingVersion"]["Version"] == 1
    run_cli(DEBIAN_AWS, daemon.endpoint, "lambda", "delete-layer-version", "--layer-name", name,
            "--version-number", "1", check=True)
    p = run_cli(DEBIAN_AWS, daemon.endpoint, "lambda", "get-layer-version", "--layer-name", name,
                "--version-number", "1")
    assert p.returncode != 0 and cli_error_code(p.stderr) == "ResourceNotFoundException", p.stderr


# ---------------------------------------------------------------- functions using layers


def test_python_layer_module(lam, probe_zip):
    """Acceptance: a Python layer providing a module is imported by a function that uses it."""
    mark = uuid.uuid4().hex
    p, z = new_layer(lam, {"python/mylib.py": "MARK = %r\n\n\ndef value():\n    return MARK\n" % mark},
                     prefix="pylib", CompatibleRuntimes=[PY_RUNTIME])
    name, conf = py_fn(lam, probe_zip, [p["LayerVersionArn"]])
    assert [(x["Arn"], x["CodeSize"]) for x in conf["Layers"]] == [(p["LayerVersionArn"], len(z))]
    g = lam.get_function(FunctionName=name)["Configuration"]
    assert [(x["Arn"], x["CodeSize"]) for x in g["Layers"]] == [(p["LayerVersionArn"], len(z))]
    out = probe(lam, name, {"import": ["mylib"]})
    assert out["imported"]["mylib"] == {"file": "/opt/python/mylib.py", "value": mark}, out
    assert "/opt/python" in out["sys_path"], out["sys_path"]


def test_python_layer_site_packages(lam, probe_zip):
    """python/lib/python3.X/site-packages is on the path as well (AWS's layout for pip installs)."""
    mark = uuid.uuid4().hex
    # the function's python is the daemon's interpreter: put the module under every plausible 3.x
    files = {"python/lib/python3.%d/site-packages/sitepkg.py" % minor:
             "def value():\n    return %r\n" % mark for minor in range(8, 15)}
    p, _ = new_layer(lam, files, prefix="site")
    name, _ = py_fn(lam, probe_zip, [p["LayerVersionArn"]])
    out = probe(lam, name, {"import": ["sitepkg"]})
    assert out["imported"]["sitepkg"].get("value") == mark, out


def test_node_layer_package(lam, node_probe_zip):
    """Acceptance: a Node layer providing a package is required by a function that uses it."""
    mark = uuid.uuid4().hex
    p, z = new_layer(lam, {"nodejs/node_modules/mypkg/index.js": "exports.value = () => %s;\n" % json.dumps(mark),
                           "nodejs/node_modules/mypkg/package.json": '{"name": "mypkg", "version": "1.0.0"}\n'},
                     prefix="nodepkg", CompatibleRuntimes=[NODE_RUNTIME])
    name = unique("nodefn")
    conf = create(lam, name, node_probe_zip, NODE_RUNTIME, NODE_HANDLER, Layers=[p["LayerVersionArn"]])
    assert [(x["Arn"], x["CodeSize"]) for x in conf["Layers"]] == [(p["LayerVersionArn"], len(z))]
    r, body, out = invoke(lam, name, {"require": ["mypkg"]})
    assert "FunctionError" not in r, body
    assert out["required"]["mypkg"] == {"value": mark, "file": "/opt/nodejs/node_modules/mypkg/index.js"}, out
    assert "/opt/nodejs/node_modules" in (out["nodePath"] or "").split(":"), out


def test_two_functions_share_one_stored_copy(lam, daemon, probe_zip):
    """Acceptance: two functions that use the same layer share one stored copy."""
    mark = uuid.uuid4().hex
    fname = "shared-%s.txt" % mark
    p, z = new_layer(lam, {"share/" + fname: mark}, prefix="shared")
    hexd = hashlib.sha256(z).hexdigest()
    names = [py_fn(lam, probe_zip, [p["LayerVersionArn"]], prefix="share")[0] for _ in range(2)]
    for n in names:
        out = probe(lam, n, {"read": ["/opt/share/" + fname]})
        assert out["read"]["/opt/share/" + fname] == mark, out
    code = daemon.data_dir / "code"
    assert (code / hexd).is_dir(), sorted(os.listdir(code))
    assert (code / hexd / "share" / fname).is_file()
    assert sum(1 for e in os.listdir(code) if hexd in e) == 1, sorted(os.listdir(code))
    inodes = set()
    for root, dirs, files in os.walk(daemon.data_dir):
        if fname in files:
            st = os.lstat(os.path.join(root, fname))
            if stat.S_ISREG(st.st_mode):
                inodes.add((st.st_dev, st.st_ino, root))
    assert len({(d, i) for d, i, _ in inodes}) == 1, "extracted copies of the layer: %s" % sorted(inodes)


def test_sixth_layer_refused(lam, probe_zip):
    """Acceptance: a sixth layer is refused (on create and on update)."""
    arns = [text_layer(lam, str(i), prefix="six") for i in range(6)]
    name = unique("six")
    e = expect_code("InvalidParameterValueException", create, lam, name, probe_zip, PY_RUNTIME, PY_HANDLER,
                    Layers=arns, http_status=400)
    assert "5" in e.response["Error"]["Message"], e.response
    expect_code("ResourceNotFoundException", lam.get_function, FunctionName=name)
    name, conf = py_fn(lam, probe_zip, arns[:5], prefix="five")
    assert layer_arns(conf) == arns[:5]
    expect_code("InvalidParameterValueException", lam.update_function_configuration, FunctionName=name,
                Layers=arns, http_status=400)
    assert layer_arns(lam.get_function_configuration(FunctionName=name)) == arns[:5]
    out = probe(lam, name, {"read": ["/opt/x.txt"]})
    assert out["read"]["/opt/x.txt"] == "4", out


def test_missing_layer_version_refused(lam, probe_zip):
    p, _ = new_layer(lam, {"a.txt": "a"}, prefix="exists")
    missing = [p["LayerArn"] + ":2", LAYER_PREFIX + unique("nosuch") + ":1"]
    for arn in missing:
        name = unique("nolayer")
        e = expect_code("InvalidParameterValueException", create, lam, name, probe_zip, PY_RUNTIME, PY_HANDLER,
                        Layers=[p["LayerVersionArn"], arn], http_status=400)
        msg = e.response["Error"]["Message"]
        assert "does not exist" in msg and arn in msg, msg
        expect_code("ResourceNotFoundException", lam.get_function, FunctionName=name)
    name, _ = py_fn(lam, probe_zip, [p["LayerVersionArn"]])
    e = expect_code("InvalidParameterValueException", lam.update_function_configuration, FunctionName=name,
                    Layers=[missing[0]], http_status=400)
    assert "does not exist" in e.response["Error"]["Message"]
    assert layer_arns(lam.get_function_configuration(FunctionName=name)) == [p["LayerVersionArn"]]


def test_two_versions_of_one_layer_refused(lam, probe_zip):
    """AWS: "Two different versions of the same layer are not allowed to be referenced in the same
    function. <arn> and <arn> are versions of the same layer." (400), also for one version listed
    twice."""
    name = unique("twover")
    v1 = publish(lam, name, make_zip({"x.txt": "1"}))["LayerVersionArn"]
    v2 = publish(lam, name, make_zip({"x.txt": "2"}))["LayerVersionArn"]
    fn = unique("twover")
    for layers in ([v1, v2], [v1, v1]):
        e = expect_code("InvalidParameterValueException", create, lam, fn, probe_zip, PY_RUNTIME, PY_HANDLER,
                        Layers=layers, http_status=400)
        assert "same layer" in e.response["Error"]["Message"], e.response
    name2, _ = py_fn(lam, probe_zip, [v1], prefix="twover")
    expect_code("InvalidParameterValueException", lam.update_function_configuration, FunctionName=name2,
                Layers=[v1, v2], http_status=400)


@pytest.mark.parametrize("arn", ["not-an-arn", LAYER_PREFIX + "noversion",
                                 "arn:aws:lambda:us-east-1:000000000000:function:f:1"])
def test_malformed_layer_arn_refused(lam, probe_zip, arn):
    e = expect_code("ValidationException", create, lam, unique("badarn"), probe_zip, PY_RUNTIME, PY_HANDLER,
                    Layers=[arn])
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_layer_order_later_overwrites(lam, probe_zip):
    a = text_layer(lam, "from A", prefix="ordA")
    b = text_layer(lam, "from B", prefix="ordB")
    name, conf = py_fn(lam, probe_zip, [a, b], prefix="order")
    assert layer_arns(conf) == [a, b]
    assert layer_arns(lam.get_function(FunctionName=name)["Configuration"]) == [a, b]
    assert probe(lam, name, {"read": ["/opt/x.txt"]})["read"]["/opt/x.txt"] == "from B"
    name2, conf2 = py_fn(lam, probe_zip, [b, a], prefix="order")
    assert layer_arns(conf2) == [b, a]
    assert probe(lam, name2, {"read": ["/opt/x.txt"]})["read"]["/opt/x.txt"] == "from A"


def test_layers_merge(lam, probe_zip):
    """Files of different layers sit side by side under /opt, also in a shared directory."""
    a = new_layer(lam, {"common/a.txt": "a", "onlya.txt": "A"}, prefix="mergeA")[0]["LayerVersionArn"]
    b = new_layer(lam, {"common/b.txt": "b", "onlyb.txt": "B"}, prefix="mergeB")[0]["LayerVersionArn"]
    name, _ = py_fn(lam, probe_zip, [a, b], prefix="merge")
    paths = ["/opt/common/a.txt", "/opt/common/b.txt", "/opt/onlya.txt", "/opt/onlyb.txt"]
    out = probe(lam, name, {"read": paths})
    assert [out["read"][p] for p in paths] == ["a", "b", "A", "B"], out
    assert out["opt"] == ["common", "onlya.txt", "onlyb.txt"], out


def test_opt_bin_on_path(lam, probe_zip):
    mark = uuid.uuid4().hex
    p, _ = new_layer(lam, {"bin/hello": "#!/bin/sh\necho hello-from-layer %s\n" % mark}, prefix="bin")
    name, _ = py_fn(lam, probe_zip, [p["LayerVersionArn"]], prefix="path")
    out = probe(lam, name, {"run": ["hello"]})
    assert "/opt/bin" in out["env"]["PATH"].split(":"), out["env"]
    assert out["run"].get("rc") == 0 and out["run"]["stdout"].strip() == "hello-from-layer " + mark, out["run"]


def test_opt_lib_on_ld_library_path(lam, probe_zip, tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build a shared library")
    src = tmp_path / "answer.c"
    src.write_text("int lambdad_layer_answer(void) { return 4242; }\n")
    so = tmp_path / "libanswer.so"
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(so), str(src)], check=True, capture_output=True, timeout=60)
    p, _ = new_layer(lam, {"lib/liblambdadanswer.so": (so.read_bytes(), 0o755)}, prefix="lib")
    name, _ = py_fn(lam, probe_zip, [p["LayerVersionArn"]], prefix="ldpath")
    out = probe(lam, name, {"cdll": ["liblambdadanswer.so", "lambdad_layer_answer"]})
    assert "/opt/lib" in out["env"]["LD_LIBRARY_PATH"].split(":"), out["env"]
    assert out["cdll"] == 4242, out


def test_opt_is_read_only(lam, probe_zip):
    p, _ = new_layer(lam, {"python/mylib.py": "def value():\n    return 1\n"}, prefix="ro")
    name, _ = py_fn(lam, probe_zip, [p["LayerVersionArn"]], prefix="ro")
    out = probe(lam, name, {"write": ["/opt/new.txt", "/opt/python/mylib.py", "/opt/python/new.py"],
                            "mkdir": ["/opt/newdir"], "read": ["/opt/python/mylib.py"]})
    assert out["write"] == {"/opt/new.txt": EROFS, "/opt/python/mylib.py": EROFS,
                            "/opt/python/new.py": EROFS}, out
    assert out["mkdir"] == {"/opt/newdir": EROFS}, out
    assert out["read"]["/opt/python/mylib.py"] == "def value():\n    return 1\n"


def test_no_layers_empty_opt(lam, probe_zip):
    name, conf = py_fn(lam, probe_zip, [], prefix="nolay")
    assert conf.get("Layers", []) == []
    out = probe(lam, name, {"write": ["/opt/x"]})
    assert out["opt"] == [], out
    assert out["write"]["/opt/x"] == EROFS


def test_update_configuration_changes_layers(lam, probe_zip):
    a = text_layer(lam, "A", prefix="updA")
    b = text_layer(lam, "B", prefix="updB")
    name, _ = py_fn(lam, probe_zip, [a], prefix="upd")
    assert probe(lam, name, {"read": ["/opt/x.txt"]})["read"]["/opt/x.txt"] == "A"
    conf = lam.update_function_configuration(FunctionName=name, Layers=[b])
    assert layer_arns(conf) == [b]
    assert probe(lam, name, {"read": ["/opt/x.txt"]})["read"]["/opt/x.txt"] == "B"
    # an update of something else keeps the layers
    conf = lam.update_function_configuration(FunctionName=name, Description="still B")
    assert layer_arns(conf) == [b]
    assert probe(lam, name, {"read": ["/opt/x.txt"]})["read"]["/opt/x.txt"] == "B"
    # Layers: [] removes them
    conf = lam.update_function_configuration(FunctionName=name, Layers=[])
    assert layer_arns(conf) == []
    assert layer_arns(lam.get_function(FunctionName=name)["Configuration"]) == []
    out = probe(lam, name, {"read": ["/opt/x.txt"]})
    assert out["read"]["/opt/x.txt"] == ENOENT and out["opt"] == [], out
    # and back
    conf = lam.update_function_configuration(FunctionName=name, Layers=[a, b])
    assert layer_arns(conf) == [a, b]
    assert probe(lam, name, {"read": ["/opt/x.txt"]})["read"]["/opt/x.txt"] == "B"


def test_update_function_code_keeps_layers(lam, probe_zip):
    a = text_layer(lam, "kept", prefix="codeupd")
    name, _ = py_fn(lam, probe_zip, [a], prefix="codeupd")
    conf = lam.update_function_code(FunctionName=name, ZipFile=make_zip({"probe.py": PROBE_PY + "\n# v2\n"}))
    assert layer_arns(conf) == [a]
    assert probe(lam, name, {"read": ["/opt/x.txt"]})["read"]["/opt/x.txt"] == "kept"


def test_published_version_keeps_its_layers(lam, probe_zip):
    a = text_layer(lam, "A", prefix="pvA")
    b = text_layer(lam, "B", prefix="pvB")
    name, _ = py_fn(lam, probe_zip, [a], prefix="pv")
    v1 = lam.publish_version(FunctionName=name)
    assert layer_arns(v1) == [a]
    lam.update_function_configuration(FunctionName=name, Layers=[b])
    assert layer_arns(lam.get_function_configuration(FunctionName=name, Qualifier=v1["Version"])) == [a]
    assert probe(lam, name, {"read": ["/opt/x.txt"]}, Qualifier=v1["Version"])["read"]["/opt/x.txt"] == "A"
    assert probe(lam, name, {"read": ["/opt/x.txt"]})["read"]["/opt/x.txt"] == "B"


def test_layer_version_deleted_while_in_use(lam, probe_zip):
    """AWS allows deleting a layer version that functions use; they keep working with their copy,
    also in instances started after the deletion."""
    mark = uuid.uuid4().hex
    p, _ = new_layer(lam, {"x.txt": mark}, prefix="inuse")
    arn = p["LayerVersionArn"]
    name, _ = py_fn(lam, probe_zip, [arn], prefix="inuse")
    assert probe(lam, name, {"read": ["/opt/x.txt"]})["read"]["/opt/x.txt"] == mark
    lam.delete_layer_version(LayerName=arn.split(":")[-2], VersionNumber=1)
    expect_code("ResourceNotFoundException", lam.get_layer_version_by_arn, Arn=arn)
    assert layer_arns(lam.get_function_configuration(FunctionName=name)) == [arn]
    assert probe(lam, name, {"read": ["/opt/x.txt"]})["read"]["/opt/x.txt"] == mark  # warm
    # two overlapping calls: the second needs a new instance, started after the deletion
    with ThreadPoolExecutor(2) as ex:
        outs = list(ex.map(lambda _: probe(lam, name, {"read": ["/opt/x.txt"], "sleep": 1.5}), range(2)))
    assert len({o["instance"] for o in outs}) == 2, outs
    assert [o["read"]["/opt/x.txt"] for o in outs] == [mark, mark], outs
    # but no new reference to the deleted version can be made
    expect_code("InvalidParameterValueException", create, lam, unique("late"), probe_zip, PY_RUNTIME, PY_HANDLER,
                Layers=[arn])


def test_update_other_config_after_layer_deleted(lam, probe_zip):
    """An UpdateFunctionConfiguration that does not touch Layers succeeds although one of the
    function's layer versions has been deleted since (the function keeps its copy)."""
    mark = uuid.uuid4().hex
    p, _ = new_layer(lam, {"x.txt": mark}, prefix="inuse2")
    arn = p["LayerVersionArn"]
    name, _ = py_fn(lam, probe_zip, [arn], prefix="inuse2")
    lam.delete_layer_version(LayerName=arn.split(":")[-2], VersionNumber=1)
    conf = lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"COLD": "1"}})
    assert layer_arns(conf) == [arn]
    out = probe(lam, name, {"read": ["/opt/x.txt"]})
    assert out["read"]["/opt/x.txt"] == mark and out["env_cold"] == "1", out


def test_same_zip_in_two_layers_and_a_function(lam, probe_zip):
    """Packages are keyed by content: deleting one user of a zip keeps it for the others."""
    mark = uuid.uuid4().hex
    z = make_zip({"probe.py": PROBE_PY, "x.txt": mark})  # usable as function code and as a layer
    a = publish(lam, unique("dupA"), z)
    b = publish(lam, unique("dupB"), z)
    assert a["Content"]["CodeSha256"] == b["Content"]["CodeSha256"] == b64sha256(z)
    code_fn = unique("dupcode")
    create(lam, code_fn, z, PY_RUNTIME, PY_HANDLER)
    name, _ = py_fn(lam, probe_zip, [b["LayerVersionArn"]], prefix="dup")
    lam.delete_layer_version(LayerName=a["LayerArn"].split(":")[-1], VersionNumber=1)
    lam.delete_function(FunctionName=code_fn)
    assert fetch(lam.get_layer_version_by_arn(Arn=b["LayerVersionArn"])["Content"]["Location"])[1] == z
    out = probe(lam, name, {"read": ["/opt/x.txt"]})
    assert out["read"]["/opt/x.txt"] == mark, out


def test_layer_with_function_cli(lam, daemon, tmp_path, probe_zip):
    a = text_layer(lam, "via cli", prefix="clifn")
    zp = tmp_path / "fn.zip"
    zp.write_bytes(probe_zip)
    name = unique("clifn")
    out = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "create-function", "--function-name", name,
                   "--runtime", PY_RUNTIME, "--handler", PY_HANDLER, "--role", "arn:aws:iam::123456789012:role/r",
                   "--zip-file", "fileb://%s" % zp, "--layers", a)
    assert [x["Arn"] for x in out["Layers"]] == [a]
    outp = tmp_path / "out.json"
    cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "invoke", "--function-name", name, "--cli-binary-format",
             "raw-in-base64-out", "--payload", json.dumps({"read": ["/opt/x.txt"]}), str(outp))
    assert json.loads(outp.read_text())["read"]["/opt/x.txt"] == "via cli"


# ---------------------------------------------------------------- restart


def test_layers_survive_restart(tmp_path, probe_zip):
    extend_timeout(180)
    d = Daemon(tmp_path / "data")
    d.start()
    try:
        lam = make_client(d.endpoint)
        lname = unique("keep")
        z1, z2, z3 = (make_zip({"x.txt": t}) for t in ("one", "two", "three"))
        p1 = publish(lam, lname, z1, Description="d1", CompatibleRuntimes=[PY_RUNTIME], LicenseInfo="MIT")
        p2 = publish(lam, lname, z2)
        publish(lam, lname, z3)
        lam.delete_layer_version(LayerName=lname, VersionNumber=3)
        other = publish(lam, unique("other"), make_zip({"y.txt": "why"}))
        gone_mark = uuid.uuid4().hex
        gone = publish(lam, unique("gone"), make_zip({"gone.txt": gone_mark}))
        fn = unique("keepfn")
        conf = create(lam, fn, probe_zip, PY_RUNTIME, PY_HANDLER, Layers=[other["LayerVersionArn"],
                                                                         p2["LayerVersionArn"]])
        fn2 = unique("gonefn")
        create(lam, fn2, probe_zip, PY_RUNTIME, PY_HANDLER, Layers=[gone["LayerVersionArn"]])
        assert probe(lam, fn, {"read": ["/opt/x.txt"]})["read"]["/opt/x.txt"] == "two"
        lam.delete_layer_version(LayerName=gone["LayerArn"].split(":")[-1], VersionNumber=1)  # still used by fn2
        expect_code("ResourceNotFoundException", lam.get_layer_version_by_arn, Arn=gone["LayerVersionArn"])
        close_clients()
        assert d.stop() == 0, d.log_tail()

        d.start()
        lam = make_client(d.endpoint)
        g = lam.get_layer_version(LayerName=lname, VersionNumber=1)
        for k in ("LayerArn", "LayerVersionArn", "Version", "Description", "CreatedDate", "CompatibleRuntimes",
                  "LicenseInfo"):
            assert g.get(k) == p1.get(k), k
        assert g["Content"]["CodeSha256"] == b64sha256(z1) and g["Content"]["CodeSize"] == len(z1)
        assert fetch(g["Content"]["Location"])[1] == z1
        assert lam.get_layer_version_by_arn(Arn=p2["LayerVersionArn"])["Content"]["CodeSha256"] == b64sha256(z2)
        expect_code("ResourceNotFoundException", lam.get_layer_version, LayerName=lname, VersionNumber=3)
        assert version_numbers(lam, lname) == [2, 1]
        layers, _ = all_layers(lam)
        assert layers[lname]["LatestMatchingVersion"]["Version"] == 2
        cfg = lam.get_function_configuration(FunctionName=fn)
        assert cfg["Layers"] == conf["Layers"]
        out = probe(lam, fn, {"read": ["/opt/x.txt", "/opt/y.txt"]})
        assert out["read"] == {"/opt/x.txt": "two", "/opt/y.txt": "why"}, out
        # the deleted-but-used layer still runs after a restart (cold start)
        assert layer_arns(lam.get_function_configuration(FunctionName=fn2)) == [gone["LayerVersionArn"]]
        out = probe(lam, fn2, {"read": ["/opt/gone.txt"]})
        assert out["read"]["/opt/gone.txt"] == gone_mark, out
        # numbering continues
        assert publish(lam, lname, z1)["Version"] == 4
        close_clients()
    finally:
        rc = d.stop()
    assert rc == 0, d.log_tail()
