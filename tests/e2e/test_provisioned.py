"""Provisioned concurrency (issue 5): instances initialised ahead of demand on a version or
alias, READY within seconds, warm for the first invocations, refused on $LATEST."""

import base64
import json
import threading
import time

from conftest import close_clients, expect_code, make_client, make_zip, unique

CODE = b"""import os
def handler(event, context):
    return {"init": os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE"),
            "ver": context.function_version}
"""


def _function(lam):
    name = unique("prov")
    r = lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler",
                            Role="arn:aws:iam::123456789012:role/r", Publish=True,
                            Code={"ZipFile": make_zip({"app.py": CODE})})
    assert r["Version"] == "1"
    lam.create_alias(FunctionName=name, Name="LIVE", FunctionVersion="1")
    return name


def _wait_ready(lam, name, qualifier, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        c = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
        if c["Status"] == "READY":
            return c, time.monotonic()
        time.sleep(0.1)
    raise AssertionError("not READY within %d s: %s" % (timeout, c))


def test_alias_provisioned_is_ready_and_warm(daemon):
    lam = make_client(daemon.endpoint)
    name = _function(lam)
    t0 = time.monotonic()
    r = lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="LIVE",
                                               ProvisionedConcurrentExecutions=3)
    assert r["RequestedProvisionedConcurrentExecutions"] == 3
    assert r["Status"] in ("IN_PROGRESS", "READY")
    c, t1 = _wait_ready(lam, name, "LIVE")
    assert t1 - t0 < 5, "READY took %.1f s" % (t1 - t0)
    assert c["AvailableProvisionedConcurrentExecutions"] == 3
    assert c["AllocatedProvisionedConcurrentExecutions"] == 3
    assert daemon.health()["instances"] >= 3

    results, lock = [], threading.Lock()

    def call():
        resp = lam.invoke(FunctionName=name, Qualifier="LIVE", LogType="Tail", Payload=b"{}")
        out = json.loads(resp["Payload"].read())
        tail = base64.b64decode(resp["LogResult"]).decode()
        with lock:
            results.append((out, tail))

    threads = [threading.Thread(target=call) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 3
    for out, tail in results:
        assert out == {"init": "provisioned-concurrency", "ver": "1"}, out
        assert "REPORT RequestId:" in tail and "Init Duration" not in tail, tail
    listed = lam.list_provisioned_concurrency_configs(FunctionName=name)
    configs = listed["ProvisionedConcurrencyConfigs"]
    assert [x["FunctionArn"].endswith(":%s:LIVE" % name) for x in configs] == [True]
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="LIVE")
    expect_code("ProvisionedConcurrencyConfigNotFoundException",
                lam.get_provisioned_concurrency_config, FunctionName=name, Qualifier="LIVE")


def test_provisioned_refusals(daemon):
    lam = make_client(daemon.endpoint)
    name = _function(lam)
    expect_code("InvalidParameterValueException", lam.put_provisioned_concurrency_config,
                FunctionName=name, Qualifier="$LATEST", ProvisionedConcurrentExecutions=1)
    expect_code("ProvisionedConcurrencyConfigNotFoundException",
                lam.get_provisioned_concurrency_config, FunctionName=name, Qualifier="1")
    expect_code("ResourceNotFoundException", lam.put_provisioned_concurrency_config,
                FunctionName=name, Qualifier="7", ProvisionedConcurrentExecutions=1)
    expect_code("ResourceNotFoundException", lam.put_provisioned_concurrency_config,
                FunctionName=unique("missing"), Qualifier="1", ProvisionedConcurrentExecutions=1)


def test_provisioned_survives_restart(daemon_factory):
    d = daemon_factory()
    lam = make_client(d.endpoint)
    name = _function(lam)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="1",
                                           ProvisionedConcurrentExecutions=2)
    _wait_ready(lam, name, "1")
    close_clients()
    assert d.stop() == 0
    d.start()
    lam = make_client(d.endpoint)
    _wait_ready(lam, name, "1")
    assert d.health()["instances"] >= 2
