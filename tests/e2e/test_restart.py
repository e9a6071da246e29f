"""Functions survive a daemon restart (acceptance 8); SIGTERM is graceful."""

import http.client
import threading
import time

from conftest import (Daemon, b64sha256, close_clients, create, echo_zip, expect_code, fetch, invoke, make_client,
                      unique)

PY = "lambda_function.lambda_handler"


def test_functions_survive_restart(tmp_path, python_zip):
    d = Daemon(tmp_path / "data")
    d.start()
    try:
        lam = make_client(d.endpoint)
        py = unique("keep-py")
        c = unique("keep-c")
        gone = unique("deleted")
        conf_py = create(lam, py, python_zip, "python3.12", PY, Timeout=9, MemorySize=512,
                         Environment={"Variables": {"KEEP": "yes"}}, Description="survivor")
        conf_c = create(lam, c, echo_zip(), "provided.al2", "x")
        create(lam, gone, python_zip, "python3.12", PY)
        lam.delete_function(FunctionName=gone)
        conf_py = lam.update_function_configuration(FunctionName=py, Description="survivor v2")
        invoke(lam, py, {})
        close_clients()
        assert d.stop() == 0, d.log_tail()

        d.start()  # same data dir, same port
        lam = make_client(d.endpoint)
        assert d.health()["functions"] == 2
        g = lam.get_function(FunctionName=py)
        cfg = g["Configuration"]
        assert cfg["CodeSha256"] == conf_py["CodeSha256"] == b64sha256(python_zip)
        for k in ("Timeout", "MemorySize", "Environment", "Description", "RevisionId", "Handler", "Runtime",
                  "LastModified", "FunctionArn"):
            assert cfg[k] == conf_py[k], k
        assert fetch(g["Code"]["Location"])[1] == python_zip
        r, body, out = invoke(lam, py, {"after": "restart"})
        assert "FunctionError" not in r and out["event"] == {"after": "restart"}, body
        assert out["env"]["KEEP"] == "yes"
        r, body, out = invoke(lam, c, {"c": 1})
        assert out == {"c": 1}, body
        assert lam.get_function(FunctionName=c)["Configuration"]["CodeSha256"] == conf_c["CodeSha256"]
        expect_code("ResourceNotFoundException", lam.get_function, FunctionName=gone)
        names = {f["FunctionName"] for f in lam.list_functions()["Functions"]}
        assert names == {py, c}
        create(lam, gone, python_zip, "python3.12", PY)  # a deleted name can be reused after restart
        close_clients()
    finally:
        rc = d.stop()
    assert rc == 0, d.log_tail()


def test_sigterm_with_idle_keepalive_connection(tmp_path):
    """A client holding an idle keep-alive connection (every SDK does) must not stop a clean exit."""
    d = Daemon(tmp_path / "data")
    d.start()
    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=5)
    try:
        conn.request("GET", "/2015-03-31/functions/")
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200
        rc = d.stop()
    finally:
        conn.close()
        d.stop()
    assert rc == 0, "exit status %r:\n%s" % (rc, d.log_tail(15))


def test_sigterm_during_invocation(tmp_path):
    """SIGTERM while a call is running: the daemon exits 0 within the stop timeout and
    restarts cleanly on the same data."""
    d = Daemon(tmp_path / "data")
    d.start()
    lam = make_client(d.endpoint, read_timeout=15)
    name = unique("busy")
    create(lam, name, echo_zip(), "provided.al2", "x", Timeout=30)
    outcome = {}

    def call():
        try:
            outcome["r"] = invoke(lam, name, {"sleep_ms": 3000})
        except Exception as e:  # noqa: BLE001
            outcome["e"] = e

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.5)
    t0 = time.monotonic()
    rc = d.stop()
    stop_time = time.monotonic() - t0
    t.join(timeout=20)
    close_clients()
    assert rc == 0, "exit status %r:\n%s" % (rc, d.log_tail(15))
    assert stop_time < 10
    d.start()
    try:
        lam = make_client(d.endpoint)
        r, body, out = invoke(lam, name, {"ok": True})
        assert out == {"ok": True}, body
        assert d.health()["instances"] <= 1
        close_clients()
    finally:
        assert d.stop() == 0


def test_instances_not_leaked_after_stop(tmp_path, python_zip):
    """Instance processes end with the daemon."""
    d = Daemon(tmp_path / "data")
    d.start()
    lam = make_client(d.endpoint)
    name = unique("pids")
    create(lam, name, python_zip, "python3.12", PY)
    _, _, out = invoke(lam, name, {})
    pid, instance = out["pid"], out["instance"]
    close_clients()
    d.stop()

    def still_running():
        try:
            with open("/proc/%d/environ" % pid, "rb") as f:
                return ("AWS_LAMBDA_FUNCTION_NAME=%s" % name).encode() in f.read()
        except OSError:
            return False

    deadline = time.monotonic() + 5
    while still_running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not still_running(), "instance process %d (%s) outlived the daemon" % (pid, instance)
