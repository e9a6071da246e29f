"""The Runtime API as a custom (`provided`) runtime sees it, driven by a Python
stdlib bootstrap (functions/pyruntime/bootstrap)."""

import base64
import json
import re
import time

import pytest

from conftest import create, invoke, request_id, unique

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture(scope="module")
def rtfn(lam, pyruntime_zip):
    name = unique("rt")
    conf = create(lam, name, pyruntime_zip, "provided.al2", "my.handler", Timeout=7,
                  Environment={"Variables": {"MY_VAR": "x"}})
    return conf


def test_next_headers(lam, rtfn):
    t0 = time.time()
    r, body, out = invoke(lam, rtfn["FunctionName"], {"mode": "headers"})
    assert "FunctionError" not in r, body
    h = out["headers"]
    assert out["next_status"] == 200
    assert h["lambda-runtime-aws-request-id"] == request_id(r)
    assert re.match("^%s$" % UUID, h["lambda-runtime-aws-request-id"])
    deadline = int(h["lambda-runtime-deadline-ms"])
    assert (t0 + 7 - 1.5) * 1000 <= deadline <= (time.time() + 7 + 0.5) * 1000, (t0, deadline)
    assert h["lambda-runtime-invoked-function-arn"] == rtfn["FunctionArn"]
    assert re.match(r"^Root=1-[0-9a-f]{8}-[0-9a-f]{24}", h["lambda-runtime-trace-id"]), h
    assert "lambda-runtime-client-context" not in h
    assert out["event"] == {"mode": "headers"}


def test_invoked_function_arn_as_invoked(lam, rtfn):
    arn = rtfn["FunctionArn"]
    _, body, out = invoke(lam, arn, {"mode": "headers"})
    assert out["headers"]["lambda-runtime-invoked-function-arn"] == arn, body
    _, body, out = invoke(lam, arn + ":$LATEST", {"mode": "headers"})
    assert out["headers"]["lambda-runtime-invoked-function-arn"] == arn + ":$LATEST", body


def test_client_context(lam, rtfn):
    ctx = {"client": {"installation_id": "abc", "app_title": "e2e"}, "custom": {"k": "v"}, "env": {"a": "b"}}
    encoded = base64.b64encode(json.dumps(ctx).encode()).decode()
    r, body, out = invoke(lam, rtfn["FunctionName"], {"mode": "headers"}, ClientContext=encoded)
    assert json.loads(out["headers"]["lambda-runtime-client-context"]) == ctx, body


def test_provided_environment(lam, rtfn):
    _, body, out = invoke(lam, rtfn["FunctionName"], {"mode": "env"})
    env = out["env"]
    name = rtfn["FunctionName"]
    assert env["_HANDLER"] == "my.handler"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/" + name
    assert re.match(r"^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$", env["AWS_LAMBDA_LOG_STREAM_NAME"])
    assert env["LAMBDA_TASK_ROOT"] == "/var/task"
    assert env["AWS_REGION"] == "us-east-1" and env["MY_VAR"] == "x"
    assert re.match(r"^[0-9.]+:\d+$", env["AWS_LAMBDA_RUNTIME_API"])
    # not defined for provided* runtimes (aws-wire 4.4)
    assert "AWS_EXECUTION_ENV" not in env, env.get("AWS_EXECUTION_ENV")
    assert "_X_AMZN_TRACE_ID" not in env


def test_response_accepted_202(lam, rtfn):
    name = rtfn["FunctionName"]
    _, _, first = invoke(lam, name, {"mode": "plain"})
    _, body, second = invoke(lam, name, {"mode": "plain"})
    if second["instance"] != first["instance"]:
        pytest.skip("second call ran on another instance")
    posted = [s for s in second["stash"] if s["what"] == "response"]
    assert posted and posted[-1]["status"] == 202, second["stash"]


def test_unknown_request_id(lam, rtfn):
    _, body, out = invoke(lam, rtfn["FunctionName"], {"mode": "unknown_id"})
    assert out["unknown_response"]["status"] == 400, out["unknown_response"]
    assert json.loads(out["unknown_response"]["body"])["errorType"] == "InvalidRequestID", out
    assert out["unknown_error"]["status"] == 400, out["unknown_error"]
    assert json.loads(out["unknown_error"]["body"])["errorType"] == "InvalidRequestID", out


def test_error_endpoint(lam, rtfn):
    name = rtfn["FunctionName"]
    r, body, out = invoke(lam, name, {"mode": "error"})
    assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled", body
    assert out["errorType"] == "E2ERuntimeError" and out["errorMessage"] == "reported through /error", body
    assert out["stackTrace"] == ["frame 1", "frame 2"], body
    _, _, nxt = invoke(lam, name, {"mode": "report"})
    errs = [s for s in nxt["stash"] if s["what"] == "error"]
    if errs:
        assert errs[-1]["status"] == 202, errs


def test_second_result_for_same_id(lam, rtfn):
    name = rtfn["FunctionName"]
    r, body, out = invoke(lam, name, {"mode": "double"})
    assert "FunctionError" not in r and out == {"double": "first"}, body
    # the verdicts of the second /response and the late /error come back with the next call
    stash = None
    for _ in range(5):
        _, _, nxt = invoke(lam, name, {"mode": "report"})
        found = [s for s in nxt["stash"] if s["what"] == "double"]
        if found:
            stash = found[-1]
            break
    if stash is None:
        pytest.skip("the instance that answered twice never served another call")
    assert stash["first"][0] == 202, stash
    assert stash["second"][0] == 403, stash
    assert json.loads(stash["second"][1])["errorType"] == "InvalidStateTransition", stash
    assert stash["error_after"][0] == 403, stash


def test_content_type_passthrough(lam, rtfn):
    r, body, _ = invoke(lam, rtfn["FunctionName"], {"mode": "text"})
    assert "FunctionError" not in r and body == b"plain text, not JSON", body
    assert r["ResponseMetadata"]["HTTPHeaders"].get("content-type", "").startswith("text/plain"), r


def test_init_error(lam, pyruntime_zip):
    name = unique("initerr")
    create(lam, name, pyruntime_zip, "provided.al2", "x", Environment={"Variables": {"E2E_INIT_ERROR": "1"}})
    for _ in range(2):  # every call retries init and fails the same way
        r, body, out = invoke(lam, name, {"mode": "headers"})
        assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled", body
        assert out["errorType"] == "E2EInitError" and out["errorMessage"] == "init failed on purpose", body


def test_exit_before_next(lam):
    """A bootstrap that exits without ever calling /next fails the call with Runtime.ExitError."""
    from conftest import make_zip
    name = unique("noNext")
    create(lam, name, make_zip({"bootstrap": "#!/bin/sh\necho bye\nexit 2\n"}), "provided.al2", "x")
    t0 = time.monotonic()
    r, body, out = invoke(lam, name, {})
    assert time.monotonic() - t0 < 3
    assert r["FunctionError"] == "Unhandled" and out["errorType"] == "Runtime.ExitError", body


def test_runtime_exit_mid_invocation_provided(lam, rtfn):
    name = rtfn["FunctionName"]
    r, body, out = invoke(lam, name, {"mode": "exit"})
    assert r["FunctionError"] == "Unhandled" and out["errorType"] == "Runtime.ExitError", body
    r, body, out = invoke(lam, name, {"mode": "headers"})
    assert "FunctionError" not in r, body
