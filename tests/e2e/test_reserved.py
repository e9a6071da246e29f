"""Reserved concurrency (issue 3, item 4): Put/Get/DeleteFunctionConcurrency, throttling with
AWS's Reasons, and the 100 unreserved executions AWS always keeps."""

import json
import threading

from conftest import create, echo_zip, expect_code, make_client, run_cli, DEBIAN_AWS, unique


def burst(lam, name, n, sleep_ms=1000):
    """Fires n concurrent invocations; returns the outcomes ('ok' or the throttle Reason)."""
    out, lock = [], threading.Lock()

    def one():
        try:
            lam.invoke(FunctionName=name, Payload=json.dumps({"sleep_ms": sleep_ms}).encode())
            r = "ok"
        except lam.exceptions.TooManyRequestsException as e:
            r = e.response.get("Reason")
        with lock:
            out.append(r)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def test_reserved_limits_a_function(daemon):
    lam = make_client(daemon.endpoint, pool=40)
    name = unique("res")
    create(lam, name, echo_zip(), "provided.al2", "x", Timeout=10)
    r = lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=3)
    assert r["ReservedConcurrentExecutions"] == 3
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 3
    assert lam.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 3}
    limits = lam.get_account_settings()["AccountLimit"]
    assert limits["UnreservedConcurrentExecutions"] == limits["ConcurrentExecutions"] - 3
    out = burst(lam, name, 8)
    assert out.count("ok") == 3, out
    assert out.count("ReservedFunctionConcurrentInvocationLimitExceeded") == 5, out
    lam.delete_function_concurrency(FunctionName=name)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)
    assert "Concurrency" not in lam.get_function(FunctionName=name)


def test_reserved_zero_throttles_everything(daemon):
    lam = make_client(daemon.endpoint)
    name = unique("res0")
    create(lam, name, echo_zip(), "provided.al2", "x")
    p = run_cli(DEBIAN_AWS, daemon.endpoint, "lambda", "put-function-concurrency",
                "--function-name", name, "--reserved-concurrent-executions", "0", check=True)
    assert json.loads(p.stdout)["ReservedConcurrentExecutions"] == 0
    err = expect_code("TooManyRequestsException", lam.invoke, FunctionName=name, Payload=b"{}",
                      http_status=429)
    assert err.response.get("Reason") == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_unreserved_minimum_and_validation(daemon):
    lam = make_client(daemon.endpoint)
    a, b = unique("resa"), unique("resb")
    create(lam, a, echo_zip(), "provided.al2", "x")
    create(lam, b, echo_zip(), "provided.al2", "x")
    lam.put_function_concurrency(FunctionName=a, ReservedConcurrentExecutions=800)
    # 1000 - 800 - 101 < 100: refused; exactly 100 left is allowed.
    expect_code("InvalidParameterValueException", lam.put_function_concurrency, FunctionName=b,
                ReservedConcurrentExecutions=101)
    lam.put_function_concurrency(FunctionName=b, ReservedConcurrentExecutions=100)
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 100
    expect_code("ResourceNotFoundException", lam.put_function_concurrency,
                FunctionName=unique("missing"), ReservedConcurrentExecutions=1)
    lam.delete_function_concurrency(FunctionName=a)
    lam.delete_function_concurrency(FunctionName=b)


def test_account_limit_reason(daemon_factory):
    d = daemon_factory("--concurrency", "150")
    lam = make_client(d.endpoint, pool=40)
    r, u = unique("resr"), unique("resu")
    create(lam, r, echo_zip(), "provided.al2", "x", Timeout=10)
    create(lam, u, echo_zip(), "provided.al2", "x", Timeout=10)
    # 50 reserved leaves 100 for everyone else; the reserved function is not limited by them.
    lam.put_function_concurrency(FunctionName=r, ReservedConcurrentExecutions=50)
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 100
    out = burst(lam, r, 4, sleep_ms=300)
    assert out.count("ok") == 4, out
