"""Invoke semantics: function errors, timeouts, crashes, oversized responses,
log tails, logs in the store, warm reuse and the sandbox (acceptance 4, 5, 6)."""

import base64
import json
import os
import re
import time

import pytest

from conftest import (DEBIAN_AWS, FUNCTIONS, cli_json, create, decode_tail, echo_zip, invoke, request_id,
                      unique, zip_dir)

PY = "lambda_function.lambda_handler"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture(scope="module")
def pyfn(lam, python_zip):
    name = unique("ipy")
    create(lam, name, python_zip, "python3.12", PY, Timeout=5)
    return name


@pytest.fixture(scope="module")
def nodefn(lam, node_zip):
    name = unique("inode")
    create(lam, name, node_zip, "nodejs20.x", "index.handler", Timeout=5)
    return name


@pytest.fixture(scope="module")
def echofn(lam):
    name = unique("iecho")
    create(lam, name, echo_zip(), "provided.al2023", "x", Timeout=5)
    return name


# ---------------------------------------------------------------- function errors (acceptance 5)


def test_python_raises(lam, pyfn):
    r, body, out = invoke(lam, pyfn, {"raise": "something broke"})
    assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled", body
    assert out["errorType"] == "CustomError" and out["errorMessage"] == "something broke", body
    assert isinstance(out["stackTrace"], list) and any("lambda_function.py" in f for f in out["stackTrace"]), body
    # the same function still works afterwards
    r, body, out = invoke(lam, pyfn, {"ok": 1})
    assert "FunctionError" not in r and out["event"] == {"ok": 1}, body


def test_node_throws(lam, nodefn):
    r, body, out = invoke(lam, nodefn, {"throw": "node broke"})
    assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled", body
    assert out["errorType"] == "CustomNodeError" and out["errorMessage"] == "node broke", body
    assert isinstance(out["trace"], list) and out["trace"], body


def test_c_reports_error(lam, echofn):
    r, body, out = invoke(lam, echofn, {"fail": True})
    assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled", body
    assert out["errorType"] == "EchoError" and out["errorMessage"], body


def test_function_error_with_cli(daemon, echofn, tmp_path):
    meta = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "invoke", "--function-name", echofn,
                    "--cli-binary-format", "raw-in-base64-out", "--payload", '{"fail": true}', str(tmp_path / "o"))
    assert meta["StatusCode"] == 200 and meta["FunctionError"] == "Unhandled", meta
    assert json.loads((tmp_path / "o").read_text())["errorType"] == "EchoError"


def test_python_import_error(lam):
    name = unique("impErr")
    create(lam, name, zip_dir(FUNCTIONS / "python_import_error"), "python3.11", PY)
    r, body, out = invoke(lam, name, {})
    assert r["FunctionError"] == "Unhandled", body
    assert out["errorType"] == "Runtime.ImportModuleError", body
    assert "lambdad_e2e_module_that_does_not_exist" in out["errorMessage"], body


def test_python_handler_not_found(lam, python_zip):
    name = unique("noHandler")
    create(lam, name, python_zip, "python3.11", "lambda_function.no_such_function")
    r, body, out = invoke(lam, name, {})
    assert r["FunctionError"] == "Unhandled", body
    assert out["errorType"] == "Runtime.HandlerNotFound", body


def test_provided_without_bootstrap(lam, python_zip):
    name = unique("noBoot")
    create(lam, name, python_zip, "provided.al2", "x")
    r, body, out = invoke(lam, name, {})
    assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled", body
    assert out["errorType"].startswith("Runtime."), body


# ---------------------------------------------------------------- timeouts (acceptance 4)


@pytest.mark.parametrize("runtime,handler,event", [
    ("python3.12", PY, {"sleep": 10}),
    ("nodejs20.x", "index.handler", {"sleep": 10}),
    ("provided.al2", "x", {"sleep_ms": 10000}),
])
def test_timeout(lam, python_zip, node_zip, runtime, handler, event):
    code = {"python3.12": python_zip, "nodejs20.x": node_zip, "provided.al2": None}[runtime] or echo_zip()
    name = unique("timeout")
    create(lam, name, code, runtime, handler, Timeout=1)
    invoke(lam, name, {"warm": 1})  # warm up so that only the invocation itself is timed
    t0 = time.monotonic()
    r, body, out = invoke(lam, name, event)
    elapsed = time.monotonic() - t0
    assert elapsed < 2.0, "timeout took %.2f s" % elapsed
    assert elapsed >= 0.95, "returned before the timeout: %.2f s" % elapsed
    assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled", body
    assert out == {"errorType": "Sandbox.Timedout",
                   "errorMessage": "RequestId: %s Error: Task timed out after 1.00 seconds" % request_id(r)}, body
    # a fresh instance serves the next call
    r, body, out = invoke(lam, name, {"after": "timeout"})
    assert "FunctionError" not in r, body


def test_cold_timeout_bounded(lam, python_zip):
    name = unique("coldTimeout")
    create(lam, name, python_zip, "python3.12", PY, Timeout=1)
    t0 = time.monotonic()
    r, body, out = invoke(lam, name, {"sleep": 10})
    assert time.monotonic() - t0 < 2.0
    assert out["errorType"] == "Sandbox.Timedout", body


# ---------------------------------------------------------------- crashes and oversized responses


def test_runtime_exit_mid_invocation(lam, python_zip):
    name = unique("exit")
    create(lam, name, python_zip, "python3.12", PY)
    r, body, out = invoke(lam, name, {"exit": 7})  # first call: the only instance exits
    assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled", body
    assert out["errorType"] == "Runtime.ExitError", body
    r, body, out = invoke(lam, name, {"who": 2})
    assert "FunctionError" not in r, body
    assert out["count"] == 1, "not a fresh instance: %s" % body
    r, body, out = invoke(lam, name, {"exit": 0})  # a clean exit mid-invocation is an error too
    assert r.get("FunctionError") == "Unhandled" and out["errorType"] == "Runtime.ExitError", body


def test_response_too_large(lam, pyfn):
    r, body, out = invoke(lam, pyfn, {"big": 6291556 + 10})
    assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled", body[:300]
    assert out["errorType"] == "Function.ResponseSizeTooLarge", body[:300]
    assert "6291556" in out["errorMessage"]
    # just under the limit works (the JSON string adds 2 quote bytes)
    r, body, out = invoke(lam, pyfn, {"big": 6291556 - 2})
    assert "FunctionError" not in r and len(body) == 6291556, body[:300]


def test_payload_roundtrip_binaryish(lam, echofn):
    event = {"unicode": "h\u00e9llo \u2603 \U0001F600", "esc": "\"\\\n\t", "n": 1.5e300, "nested": [[[]]]}
    _, body, out = invoke(lam, echofn, event)
    assert out == event
    r, body, _ = invoke(lam, echofn, raw=b"")  # empty payload
    assert r["StatusCode"] == 200 and "FunctionError" not in r, body


# ---------------------------------------------------------------- tail and logs (acceptance 6)

REPORT_COLD = re.compile(
    r"REPORT RequestId: (%s)\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: (\d+) MB\t"
    r"Max Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms\t" % UUID)
REPORT_WARM = re.compile(
    r"REPORT RequestId: (%s)\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: (\d+) MB\t"
    r"Max Memory Used: \d+ MB\t" % UUID)


def test_tail_cold_and_warm(lam, python_zip):
    name = unique("tail")
    create(lam, name, python_zip, "python3.12", PY, MemorySize=256)
    r, body, _ = invoke(lam, name, {"print": "hello from the function"}, LogType="Tail")
    rid = request_id(r)
    log = decode_tail(r)
    lines = log.splitlines()
    assert lines[0] == "START RequestId: %s Version: $LATEST" % rid, log
    assert "hello from the function" in log
    assert "END RequestId: %s" % rid in lines, log
    m = REPORT_COLD.search(log)
    assert m and m.group(1) == rid and m.group(2) == "256", log
    assert log.index("START") < log.index("hello from the function") < log.index("END RequestId") < \
        log.index("REPORT"), log
    assert r["ExecutedVersion"] == "$LATEST"
    # warm: no Init Duration
    r, _, _ = invoke(lam, name, {}, LogType="Tail")
    log = decode_tail(r)
    m = REPORT_WARM.search(log)
    assert m and m.group(1) == request_id(r), log
    assert "Init Duration" not in log, log


def test_tail_is_last_4kb(lam, python_zip):
    name = unique("tail4k")
    create(lam, name, python_zip, "python3.12", PY)
    r, _, _ = invoke(lam, name, {"print": "\n".join("line %05d %s" % (i, "y" * 50) for i in range(500))},
                     LogType="Tail")
    raw = base64.b64decode(r["LogResult"])
    assert len(raw) <= 4096, len(raw)
    text = raw.decode("utf-8", "replace")
    assert "REPORT RequestId: %s" % request_id(r) in text
    assert "line 00499" in text and "line 00000" not in text


def test_no_tail_without_log_type(lam, echofn):
    r, _, _ = invoke(lam, echofn, {})
    assert "LogResult" not in r


def test_tail_with_cli(daemon, echofn, tmp_path):
    meta = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "invoke", "--function-name", echofn,
                    "--cli-binary-format", "raw-in-base64-out", "--payload", "{}", "--log-type", "Tail",
                    str(tmp_path / "o"))
    log = base64.b64decode(meta["LogResult"]).decode()
    assert log.startswith("START RequestId: ") and "REPORT RequestId: " in log, log


def test_timeout_in_log(lam, python_zip):
    name = unique("tlog")
    create(lam, name, python_zip, "python3.12", PY, Timeout=1)
    r, _, _ = invoke(lam, name, {"sleep": 5}, LogType="Tail")
    log = decode_tail(r)
    assert "Task timed out after 1.00 seconds" in log, log
    assert "REPORT RequestId: %s" % request_id(r) in log, log


def test_logs_stored(lam, daemon, python_zip):
    name = unique("stored")
    create(lam, name, python_zip, "python3.12", PY)
    marker = "stored-log-marker-" + unique("m")
    r, _, out = invoke(lam, name, {"print": marker})
    rid = request_id(r)
    group = "/aws/lambda/" + name
    deadline = time.monotonic() + 5
    while True:
        rows = daemon.db_rows("SELECT stream, msg FROM log_events WHERE grp = ? ORDER BY id", (group,))
        msgs = "".join(m for _, m in rows)
        if "REPORT RequestId: " + rid in msgs or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert "START RequestId: %s Version: $LATEST" % rid in msgs, rows
    assert marker in msgs and "END RequestId: %s" % rid in msgs and "REPORT RequestId: %s" % rid in msgs, rows
    streams = {s for s, _ in rows}
    assert streams == {out["log_stream_name"]}, streams
    assert re.match(r"^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$", out["log_stream_name"])


# ---------------------------------------------------------------- reuse and sandbox


def test_warm_reuse(lam, python_zip):
    name = unique("warm")
    create(lam, name, python_zip, "python3.12", PY)
    outs = [invoke(lam, name, {})[2] for _ in range(5)]
    assert len({o["instance"] for o in outs}) == 1, "sequential calls should reuse the warm instance"
    assert [o["count"] for o in outs] == [1, 2, 3, 4, 5]


def test_request_ids_unique(lam, echofn):
    ids = {request_id(invoke(lam, echofn, {})[0]) for _ in range(5)}
    assert len(ids) == 5 and all(re.match("^%s$" % UUID, i) for i in ids)


def test_sandbox_filesystem(lam, daemon, python_zip):
    if daemon.health().get("sandbox") in (None, "none"):
        pytest.skip("daemon runs without a sandbox")
    name = unique("fs")
    create(lam, name, python_zip, "python3.12", PY, EphemeralStorage={"Size": 1024})
    _, body, out = invoke(lam, name, {"fs": True})
    fs = out["fs"]
    assert "lambda_function.py" in fs["task_files"], body
    assert fs["task_write"] == 30, "/var/task must be read-only (EROFS): %s" % body
    assert not os.path.exists("/tmp/" + fs["tmp_marker"]), "/tmp of the function is the host's /tmp"
    assert 900 <= fs["tmp_size_mb"] <= 1100, "EphemeralStorage 1024 MB not applied to /tmp: %s" % fs
    assert out["cwd"] == "/var/task"
    # /tmp persists across warm invocations of the same instance...
    _, _, out2 = invoke(lam, name, {"fs": True})
    if out2["instance"] == out["instance"]:
        assert fs["tmp_marker"] in out2["fs"]["tmp_listing"]
    # ...but another function never sees it
    other = unique("fs2")
    create(lam, other, python_zip, "python3.12", PY)
    _, _, out3 = invoke(lam, other, {"fs": True})
    assert fs["tmp_marker"] not in out3["fs"]["tmp_listing"], out3["fs"]


def test_keepalive_zero_is_always_cold(daemon_factory, python_zip):
    from conftest import make_client
    d = daemon_factory("--keepalive-ms", "0")
    c = make_client(d.endpoint)
    name = unique("cold")
    create(c, name, python_zip, "python3.12", PY)
    seen = set()
    for _ in range(3):
        r, body, out = invoke(c, name, {}, LogType="Tail")
        assert "Init Duration" in decode_tail(r), decode_tail(r)
        seen.add(out["instance"])
    assert len(seen) == 3
    deadline = time.monotonic() + 5
    while d.health()["instances"] != 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert d.health()["instances"] == 0


def test_sequential_calls_after_errors_stay_warm(lam, python_zip):
    """Strictly sequential calls never need a second instance, even when some of them fail:
    only the first REPORT line carries Init Duration."""
    name = unique("seqerr")
    create(lam, name, python_zip, "python3.12", PY)
    cold = []
    for i in range(6):
        r, body, _ = invoke(lam, name, {"raise": "x"} if i % 2 else {}, LogType="Tail")
        cold.append("Init Duration" in decode_tail(r))
    assert cold == [True, False, False, False, False, False], cold
