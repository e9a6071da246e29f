"""Scale-out, one invocation per instance at a time (acceptance 7), and the account
concurrency limit (TooManyRequestsException)."""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from conftest import create, decode_tail, echo_zip, invoke, make_client, unique

PY = "lambda_function.lambda_handler"


def _fire(client, name, events):
    """Invokes all events at once (a barrier releases the threads together)."""
    barrier = threading.Barrier(len(events))

    def one(ev):
        barrier.wait(timeout=10)
        t0 = time.monotonic()
        try:
            r, body, out = invoke(client, name, ev)
            return ("ok", r, out, time.monotonic() - t0)
        except Exception as e:  # noqa: BLE001 - returned to the test
            return ("error", e, None, time.monotonic() - t0)

    with ThreadPoolExecutor(max_workers=len(events)) as pool:
        return list(pool.map(one, events))


def test_twenty_concurrent_one_second_calls(daemon, python_zip):
    client = make_client(daemon.endpoint, pool=30)
    name = unique("conc")
    create(client, name, python_zip, "python3.12", PY, Timeout=10)
    t0 = time.monotonic()
    results = _fire(client, name, [{"sleep": 1, "i": i} for i in range(20)])
    wall = time.monotonic() - t0
    errors = [r for r in results if r[0] != "ok" or "FunctionError" in r[1]]
    assert not errors, errors[:3]
    outs = [r[2] for r in results]
    assert sorted(o["event"]["i"] for o in outs) == list(range(20))
    assert wall < 4.0, "20 concurrent 1-second calls took %.2f s" % wall
    by_instance = {}
    for o in outs:
        by_instance.setdefault(o["instance"], []).append((o["start"], o["end"], o["pid"]))
    assert len(by_instance) >= 10, "only %d instances served 20 concurrent calls" % len(by_instance)
    for inst, spans in by_instance.items():
        assert len({pid for _, _, pid in spans}) == 1, "instance id reused across processes"
        spans.sort()
        for (s1, e1, _), (s2, e2, _) in zip(spans, spans[1:]):
            assert s2 >= e1, "instance %s served two calls at once: %s" % (inst, spans)
    # Distinct processes: distinct pids, or pid 1 in each instance's own pid namespace.
    pids = {o["pid"] for o in outs}
    assert len(pids) == len(by_instance) or pids == {1}


def test_concurrent_c_instances_distinct(daemon):
    client = make_client(daemon.endpoint, pool=30)
    name = unique("concC")
    create(client, name, echo_zip(), "provided.al2", "x", Timeout=10)
    t0 = time.monotonic()
    results = _fire(client, name, [{"sleep_ms": 500, "whoami": True} for _ in range(12)])
    assert time.monotonic() - t0 < 3.0
    assert all(r[0] == "ok" and "FunctionError" not in r[1] for r in results), results[:3]
    assert len({r[2]["instance"] for r in results}) == 12


def test_account_concurrency_limit(daemon_factory, python_zip):
    d = daemon_factory("--concurrency", "2")
    client = make_client(d.endpoint)
    name = unique("throttle")
    create(client, name, python_zip, "python3.12", PY, Timeout=10)
    results = _fire(client, name, [{"sleep": 2} for _ in range(5)])
    ok = [r for r in results if r[0] == "ok"]
    throttled = [r for r in results if r[0] == "error"]
    assert len(ok) == 2 and len(throttled) == 3, [(r[0], r[3]) for r in results]
    for _, e, _, elapsed in throttled:
        resp = e.response
        assert resp["Error"]["Code"] == "TooManyRequestsException", resp
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 429, resp
        assert resp.get("Reason") == "ConcurrentInvocationLimitExceeded", resp
        assert elapsed < 1.5, "a throttled call must fail fast, took %.2f s" % elapsed
    # capacity comes back once the slow calls are done
    r, body, _ = invoke(client, name, {})
    assert "FunctionError" not in r, body
    status, headers, body = d.raw("GET", "/2016-08-19/account-settings")
    assert json.loads(body)["AccountLimit"]["ConcurrentExecutions"] == 2


def test_throttle_raw_shape(daemon_factory):
    d = daemon_factory("--concurrency", "1")
    client = make_client(d.endpoint)
    name = unique("throttleRaw")
    create(client, name, echo_zip(), "provided.al2", "x", Timeout=10)
    holder = threading.Thread(target=invoke, args=(client, name, {"sleep_ms": 1500}))
    holder.start()
    # Let the holder take the only slot first: a raw request that got there before it would
    # throttle the holder instead (its client does not retry).
    time.sleep(0.3)
    try:
        deadline = time.monotonic() + 3
        status = None
        while time.monotonic() < deadline:
            status, headers, body = d.raw("POST", "/2015-03-31/functions/%s/invocations" % name, b"{}")
            if status == 429:
                break
            time.sleep(0.05)
        assert status == 429, body
        assert headers.get("x-amzn-errortype", "").split(":")[0] == "TooManyRequestsException", headers
        doc = json.loads(body)
        assert doc.get("Reason") == "ConcurrentInvocationLimitExceeded", doc
        assert doc.get("message") or doc.get("Message"), doc
    finally:
        holder.join(timeout=10)


def test_scale_back_to_warm(daemon, python_zip):
    """After a burst, the warm instances are reused (no Init Duration)."""
    client = make_client(daemon.endpoint, pool=10)
    name = unique("burst")
    create(client, name, python_zip, "python3.12", PY)
    _fire(client, name, [{"sleep": 0.3} for _ in range(4)])
    r, _, _ = invoke(client, name, {}, LogType="Tail")
    assert "Init Duration" not in decode_tail(r), decode_tail(r)
