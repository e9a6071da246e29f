"""Malformed requests get AWS-shaped errors and the daemon keeps serving (acceptance 9)."""

import base64
import json
import socket

import pytest

from conftest import ROLE, assert_aws_error, create, echo_zip, invoke, unique

CREATE = "/2015-03-31/functions"
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def fn(lam):
    name = unique("mal")
    create(lam, name, echo_zip(), "provided.al2", "x")
    return name


@pytest.fixture(autouse=True)
def still_serving(daemon, lam, fn):
    yield
    assert daemon.alive(), "daemon died:\n" + daemon.log_tail()
    assert daemon.health()["status"] == "ok"
    r, body, out = invoke(lam, fn, {"still": "serving"})
    assert out == {"still": "serving"}, body


def _valid_create(**over):
    body = {"FunctionName": unique("m"), "Runtime": "provided.al2", "Role": ROLE, "Handler": "x",
            "Code": {"ZipFile": base64.b64encode(b"PK\x05\x06" + bytes(18)).decode()}}
    body.update(over)
    return body


@pytest.mark.parametrize("body", [
    b"{not json",
    b"",
    b"[]",
    b"null",
    b"\"a string\"",
    b"{\"FunctionName\": \"x\",}",
    b"\xff\xfe\x00garbage",
    b"{" * 5000,
    b"[" * 100000,
], ids=["broken", "empty", "array", "null", "string", "trailing-comma", "binary", "deep-objects", "deep-arrays"])
def test_create_bad_json(daemon, body):
    status, headers, data = daemon.raw("POST", CREATE, body, JSON)
    assert 400 <= status < 500, (status, data)
    assert headers.get("x-amzn-errortype"), headers
    assert headers.get("x-amzn-requestid"), headers
    doc = json.loads(data)
    assert doc.get("message") or doc.get("Message"), data


@pytest.mark.parametrize("over", [
    {"FunctionName": 5},
    {"FunctionName": None},
    {"Timeout": "ten"},
    {"Timeout": 3.5},
    {"MemorySize": [128]},
    {"Environment": {"Variables": {"KEY": 1}}},
    {"Environment": {"Variables": ["KEY=1"]}},
    {"Environment": "KEY=1"},
    {"Code": "zip"},
    {"Code": {"ZipFile": "***not base64***"}},
    {"Code": {"ZipFile": 12}},
    {"Layers": "arn"},
    {"EphemeralStorage": {"Size": "big"}},
    {"Timeout": 10 ** 30},
    {"Role": {"arn": "x"}},
], ids=lambda o: "-".join("%s=%s" % (k, type(v).__name__) for k, v in o.items()))
def test_create_wrong_types(daemon, over):
    body = _valid_create(**over)
    status, headers, data = daemon.raw("POST", CREATE, json.dumps(body), JSON)
    assert status == 400, (status, data)
    etype = headers.get("x-amzn-errortype", "").split(":")[0]
    assert etype in ("ValidationException", "InvalidParameterValueException", "SerializationException",
                     "InvalidRequestContentException"), (status, headers, data)
    doc = json.loads(data)
    assert doc.get("message") or doc.get("Message"), data


@pytest.mark.parametrize("method,path", [
    ("GET", "/"),
    ("GET", "/nope"),
    ("POST", "/2015-03-31/unknown"),
    ("GET", "/2015-03-31/functions/x/nonsense"),
    ("GET", "/2099-01-01/functions"),
    ("PATCH", "/2015-03-31/functions"),
    ("GET", "/2015-03-31/functions/x/invocations"),
])
def test_unknown_operation(daemon, method, path):
    status, headers, data = daemon.raw(method, path)
    assert_aws_error(status, headers, data, "UnknownOperationException", 404)


@pytest.mark.parametrize("path", [
    "/2015-03-31/functions/%zz",
    "/2015-03-31/functions/%00",
    "/2015-03-31/functions/" + "a" * 5000,
    "/2015-03-31/functions/a%2Fb",
    "/2015-03-31/functions/..%2F..%2Fetc%2Fpasswd",
])
def test_odd_function_names_in_path(daemon, path):
    status, headers, data = daemon.raw("GET", path)
    assert status in (400, 404), (status, data)
    assert headers.get("x-amzn-errortype"), headers
    json.loads(data)


def test_invoke_bad_headers(daemon, fn):
    path = "/2015-03-31/functions/%s/invocations" % fn
    status, headers, data = daemon.raw("POST", path, b"{}", {"X-Amz-Log-Type": "Everything"})
    assert status == 400 and headers.get("x-amzn-errortype"), (status, data)
    status, headers, data = daemon.raw("POST", path, b"{}", {"X-Amz-Client-Context": "%%% not base64"})
    assert status == 400 and headers.get("x-amzn-errortype"), (status, data)
    status, headers, data = daemon.raw("POST", path + "?Qualifier=", b"{}")
    assert status in (200, 400, 404), (status, data)


def _raw_socket(daemon, data, read=True):
    s = socket.create_connection(("127.0.0.1", daemon.port), timeout=5)
    try:
        s.sendall(data)
        if not read:
            return b""
        chunks = []
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    break
                chunks.append(c)
        except socket.timeout:
            pass
        return b"".join(chunks)
    finally:
        s.close()


def test_garbage_bytes(daemon):
    out = _raw_socket(daemon, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(200))  # a TLS hello
    assert out == b"" or out.startswith(b"HTTP/1.1 4")
    out = _raw_socket(daemon, b"NOT HTTP AT ALL\r\n\r\n")
    assert out == b"" or out.startswith(b"HTTP/1.1 4")


def test_truncated_body(daemon):
    _raw_socket(daemon, b"POST /2015-03-31/functions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"Fun",
                read=False)


def test_content_length_lies(daemon):
    out = _raw_socket(daemon, b"POST /2015-03-31/functions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n{}")
    assert out == b"" or out.startswith(b"HTTP/1.1 4")


def test_huge_header(daemon):
    out = _raw_socket(daemon, b"GET /2015-03-31/functions HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200000 +
                      b"\r\n\r\n")
    assert out == b"" or out.startswith(b"HTTP/1.1 ")  # 431/400, or served; it just must not hurt


def test_many_connections_closed_early(daemon):
    for _ in range(50):
        _raw_socket(daemon, b"POST /2015-03-31/functions/x/invocations HTTP/1.1\r\nHost: x\r\n", read=False)


def test_update_bad_json(daemon, fn):
    for method, path in (("PUT", "/2015-03-31/functions/%s/configuration" % fn),
                         ("PUT", "/2015-03-31/functions/%s/code" % fn)):
        status, headers, data = daemon.raw(method, path, b"{oops", JSON)
        assert status == 400 and headers.get("x-amzn-errortype"), (status, data)
        status, headers, data = daemon.raw(method, path, json.dumps({"Timeout": "x", "ZipFile": 5}), JSON)
        assert status == 400 and headers.get("x-amzn-errortype"), (status, data)


def test_runtime_api_not_on_public_port(daemon):
    status, headers, data = daemon.raw("GET", "/2018-06-01/runtime/invocation/next", timeout=5)
    assert status in (400, 403, 404), (status, data)
