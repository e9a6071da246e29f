"""Asynchronous invocation (issue 4): Event invokes and InvokeAsync, retries of function errors,
destinations with AWS's invocation record, maximum event age, dead-letter records, the event
invoke config API, and durability of the queue across kill -9 and SIGTERM.

Functions report what they got to a small HTTP server in the test process (the `sink`
fixture), so the tests count side effects rather than trusting the daemon's word.
"""

import datetime
import http.client
import json
import subprocess
import threading
import time

import pytest

from conftest import (DEBIAN_AWS, LAMBDAD_BIN, Daemon, assert_aws_error, cli_error_code, cli_json, close_clients,
                      create, expect_code, extend_timeout, kill_daemon, make_client, make_zip, run_cli, unique)

HANDLER = "lambda_function.lambda_handler"
RUNTIME = "python3.11"
RETRY_BASE_MS = 200
SQS_ARN = "arn:aws:sqs:us-east-1:000000000000:lambdad-e2e-dlq"
MEMORY_MB = 1769  # one full vCPU under the cgroup CPU quota (MemorySize/1769 of a core)


def _sandbox_args():
    """Functions report to the test process over the host's loopback, so they need the host's
    network: --sandbox host-network where the daemon has a network namespace sandbox."""
    try:
        text = subprocess.run([LAMBDAD_BIN, "--help"], capture_output=True, text=True, timeout=10)
        text = text.stdout + text.stderr
    except OSError:
        return []
    return ["--sandbox", "host-network"] if "host-network" in text else []


SANDBOX = _sandbox_args()
DURABLE_ARGS = ["--async-retry-base-ms", str(RETRY_BASE_MS), "--async-concurrency", "8"] + SANDBOX

# Reports every invocation to SINK_URL over one keep-alive connection per instance, then
# sleeps SLEEP seconds (or event["sleep"]) and fails when MODE=fail.
FUNCTION_SRC = r'''
import http.client
import json
import os
import time
import urllib.parse

_conn = None


def _post(doc):
    global _conn
    url = urllib.parse.urlparse(os.environ["SINK_URL"])
    body = json.dumps(doc).encode()
    for attempt in range(3):
        try:
            if _conn is None:
                _conn = http.client.HTTPConnection(url.hostname, url.port, timeout=20)
            _conn.request("POST", "/", body, {"Content-Type": "application/json"})
            _conn.getresponse().read()
            return
        except (OSError, http.client.HTTPException):
            try:
                _conn.close()
            except Exception:
                pass
            _conn = None
            if attempt == 2:
                raise
            time.sleep(0.05)


def lambda_handler(event, context):
    _post({"fn": context.function_name, "request_id": context.aws_request_id,
           "invoked_arn": context.invoked_function_arn, "event": event, "t": time.time()})
    delay = float(os.environ.get("SLEEP", "0"))
    if isinstance(event, dict) and "sleep" in event:
        delay = event["sleep"]
    if delay:
        time.sleep(delay)
    if os.environ.get("MODE") == "fail":
        raise ValueError("always fails")
    return {"ok": True, "got": event}
'''


@pytest.fixture(scope="module")
def fn_zip():
    return make_zip({"lambda_function.py": FUNCTION_SRC})


@pytest.fixture(scope="module")
def daemon(daemon_factory):
    """This module's daemon: retries after 200 ms x attempt instead of about a minute."""
    return daemon_factory("--async-retry-base-ms", str(RETRY_BASE_MS), *SANDBOX)


def make_fn(lam, zip_bytes, sink, prefix, mode="ok", sleep=0.0, **kw):
    name = unique(prefix)
    env = {"SINK_URL": sink.url, "MODE": mode, "SLEEP": str(sleep)}
    kw.setdefault("MemorySize", MEMORY_MB)
    conf = create(lam, name, zip_bytes, RUNTIME, HANDLER, Timeout=30, Environment={"Variables": env}, **kw)
    return name, conf["FunctionArn"]


def of(name):
    return lambda d: d.get("fn") == name


def event_invoke(lam, name, event):
    """Event invoke with boto3: asserts the 202 and returns the request id it answered with."""
    r = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps(event).encode())
    assert r["StatusCode"] == 202, r
    assert r["Payload"].read() == b""
    assert "FunctionError" not in r
    rid = r["ResponseMetadata"]["HTTPHeaders"].get("x-amzn-requestid")
    assert rid, r["ResponseMetadata"]
    return rid


def parse_ts(ts):
    """AWS's record timestamp, e.g. 2019-11-24T23:08:25.651Z -> epoch seconds."""
    assert ts.endswith("Z"), ts
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if "." in ts else "%Y-%m-%dT%H:%M:%SZ"
    return datetime.datetime.strptime(ts, fmt).replace(tzinfo=datetime.timezone.utc).timestamp()


def check_record(rec, condition, request_id, fn_arn, event, invoke_count):
    """The parts of AWS's destination record every condition has."""
    assert rec["version"] == "1.0", rec
    assert abs(parse_ts(rec["timestamp"]) - time.time()) < 120, rec["timestamp"]
    rc = rec["requestContext"]
    assert rc["requestId"] == request_id, rec
    assert rc["functionArn"] == (fn_arn if fn_arn.count(":") == 7 else fn_arn + ":$LATEST"), rec
    assert rc["condition"] == condition, rec
    assert rc["approximateInvokeCount"] == invoke_count, rec
    assert rec["requestPayload"] == event, rec


def queue_depth(d):
    return d.health()["async_queue_depth"]


def wait_depth_zero(d, timeout=15):
    deadline = time.monotonic() + timeout
    while queue_depth(d) != 0:
        assert time.monotonic() < deadline, "async_queue_depth still %d" % queue_depth(d)
        time.sleep(0.1)


# ---------------------------------------------------------------- 1. Event invokes


def test_event_invoke_cli_boto3_and_invoke_async(daemon, lam, sink, fn_zip, tmp_path):
    name, _ = make_fn(lam, fn_zip, sink, "ev")

    # AWS CLI 2.9: StatusCode 202, empty output file, and the function runs.
    out = tmp_path / "out.json"
    doc = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "invoke", "--function-name", name,
                   "--invocation-type", "Event", "--cli-binary-format", "raw-in-base64-out",
                   "--payload", json.dumps({"via": "cli"}), str(out))
    assert doc["StatusCode"] == 202, doc
    assert "FunctionError" not in doc
    assert out.read_bytes() == b""
    sink.wait_for(lambda d: d.get("fn") == name and d["event"] == {"via": "cli"})

    # boto3 1.26: 202, and x-amzn-RequestId is the request id the function's context sees.
    rid = event_invoke(lam, name, {"via": "boto3"})
    got = sink.wait_for(lambda d: d.get("fn") == name and d["event"] == {"via": "boto3"})
    assert got[0]["request_id"] == rid, (got, rid)
    assert got[0]["invoked_arn"].endswith(":function:" + name), got

    # The legacy InvokeAsync queues too: CLI and boto3.
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"via": "invoke-async-cli"}))
    doc = cli_json(DEBIAN_AWS, daemon.endpoint, "lambda", "invoke-async", "--function-name", name,
                   "--invoke-args", str(args))
    assert doc["Status"] == 202, doc
    r = lam.invoke_async(FunctionName=name, InvokeArgs=json.dumps({"via": "invoke-async-boto3"}).encode())
    assert r["Status"] == 202, r
    for via in ("invoke-async-cli", "invoke-async-boto3"):
        sink.wait_for(lambda d, via=via: d.get("fn") == name and d["event"] == {"via": via})

    time.sleep(0.5)  # each event ran once
    assert len(sink.select(of(name))) == 4, sink.select(of(name))


def test_event_invoke_errors(daemon, lam, sink, fn_zip):
    name, _ = make_fn(lam, fn_zip, sink, "everr")

    # 1 MB is the asynchronous payload limit: exactly 1048576 bytes are accepted, one more is not.
    def sized(n, tag):
        head = '{"tag":"%s","pad":"' % tag
        return (head + "x" * (n - len(head) - 2) + '"}').encode()

    limit = 1048576
    r = lam.invoke(FunctionName=name, InvocationType="Event", Payload=sized(limit, "at-limit"))
    assert r["StatusCode"] == 202
    e = expect_code("RequestEntityTooLargeException", lam.invoke, FunctionName=name, InvocationType="Event",
                    Payload=sized(limit + 1, "over"), http_status=413)
    assert e.response["Error"].get("Message"), e.response
    expect_code("RequestEntityTooLargeException", lam.invoke_async, FunctionName=name,
                InvokeArgs=sized(limit + 1, "over-async"), http_status=413)

    expect_code("InvalidRequestContentException", lam.invoke, FunctionName=name, InvocationType="Event",
                Payload=b"this is not json", http_status=400)
    expect_code("InvalidRequestContentException", lam.invoke_async, FunctionName=name,
                InvokeArgs=b"{broken", http_status=400)
    missing = unique("no-such-fn")
    expect_code("ResourceNotFoundException", lam.invoke, FunctionName=missing, InvocationType="Event",
                Payload=b"{}", http_status=404)
    expect_code("ResourceNotFoundException", lam.invoke_async, FunctionName=missing, InvokeArgs=b"{}",
                http_status=404)
    p = run_cli(DEBIAN_AWS, daemon.endpoint, "lambda", "invoke", "--function-name", missing,
                "--invocation-type", "Event", "--payload", "e30=", "/dev/null")
    assert p.returncode != 0 and cli_error_code(p.stderr) == "ResourceNotFoundException", p.stderr

    # Only the accepted event ran.
    got = sink.wait_for(of(name), timeout=30)
    time.sleep(0.5)
    got = sink.select(of(name))
    assert [d["event"]["tag"] for d in got] == ["at-limit"], [d["event"].get("tag") for d in got]
    assert len(got[0]["event"]["pad"]) == limit - len('{"tag":"at-limit","pad":""}')


# ---------------------------------------------------------------- 2-3. retries and destinations


@pytest.mark.parametrize("retries", [0, 1, 2, None], ids=["retries0", "retries1", "retries2", "default"])
def test_retries_then_on_failure_destination(daemon, lam, sink, fn_zip, retries):
    dest, _ = make_fn(lam, fn_zip, sink, "onfail")
    name, arn = make_fn(lam, fn_zip, sink, "fails", mode="fail")
    dest_arn = lam.get_function_configuration(FunctionName=dest)["FunctionArn"]
    cfg = {"DestinationConfig": {"OnFailure": {"Destination": dest_arn}}}
    if retries is not None:
        cfg["MaximumRetryAttempts"] = retries
    lam.put_function_event_invoke_config(FunctionName=name, **cfg)
    n = 2 if retries is None else retries  # AWS's default is 2 retries

    event = {"order": 42, "items": ["a", "b"], "nested": {"k": None, "f": 1.5}, "case": str(retries)}
    rid = event_invoke(lam, name, event)
    records = sink.wait_for(of(dest), timeout=30)
    time.sleep(max(1.5, 4 * RETRY_BASE_MS * (n + 1) / 1000))  # long past any further retry
    attempts = sink.select(of(name))
    records = sink.select(of(dest))

    assert len(attempts) == 1 + n, "ran %d times, expected %d" % (len(attempts), 1 + n)
    assert {a["request_id"] for a in attempts} == {rid}, attempts
    assert all(a["event"] == event for a in attempts)
    # retry k waits k x --async-retry-base-ms after attempt k
    times = sorted(a["t"] for a in attempts)
    for k in range(1, len(times)):
        assert times[k] - times[k - 1] >= k * RETRY_BASE_MS / 1000 - 0.05, times

    assert len(records) == 1, records
    rec = records[0]["event"]
    check_record(rec, "RetriesExhausted", rid, arn, event, 1 + n)
    assert rec["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST",
                                      "functionError": "Unhandled"}, rec
    err = rec["responsePayload"]
    assert err["errorType"] == "ValueError" and err["errorMessage"] == "always fails", err
    # the destination runs as its own event, invoked through the ARN it was configured with
    assert records[0]["request_id"] != rid
    assert records[0]["invoked_arn"] == dest_arn
    wait_depth_zero(daemon)


def test_on_success_destination(daemon, lam, sink, fn_zip):
    ok_dest, ok_arn = make_fn(lam, fn_zip, sink, "onok")
    fail_dest, fail_arn = make_fn(lam, fn_zip, sink, "onfail")
    name, arn = make_fn(lam, fn_zip, sink, "works")
    lam.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=2,
        DestinationConfig={"OnSuccess": {"Destination": ok_arn}, "OnFailure": {"Destination": fail_arn}})
    event = {"hello": "world", "n": [1, 2, 3]}
    rid = event_invoke(lam, name, event)
    sink.wait_for(of(ok_dest), timeout=30)
    time.sleep(1.0)
    records = sink.select(of(ok_dest))
    assert len(records) == 1, records
    rec = records[0]["event"]
    check_record(rec, "Success", rid, arn, event, 1)
    assert rec["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}, rec
    assert "functionError" not in rec["responseContext"]
    assert rec["responsePayload"] == {"ok": True, "got": event}, rec
    assert len(sink.select(of(name))) == 1
    assert sink.select(of(fail_dest)) == []


# ---------------------------------------------------------------- 5. dead-letter records


def test_dead_letter_queue_and_queue_destination_are_kept(daemon_factory, sink, fn_zip):
    daemon = daemon_factory("--async-retry-base-ms", str(RETRY_BASE_MS), *SANDBOX)  # its own daemon
    lam = make_client(daemon.endpoint)
    # DeadLetterConfig with an SQS queue: the event itself is kept for the queue.
    name, arn = make_fn(lam, fn_zip, sink, "dlq", mode="fail", DeadLetterConfig={"TargetArn": SQS_ARN})
    assert lam.get_function_configuration(FunctionName=name)["DeadLetterConfig"] == {"TargetArn": SQS_ARN}
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    event = {"dead": "letter", "n": 7}
    event_invoke(lam, name, event)

    # An OnFailure destination that is an SQS queue: AWS's record is kept for it.
    name2, arn2 = make_fn(lam, fn_zip, sink, "sqsdest", mode="fail")
    lam.put_function_event_invoke_config(FunctionName=name2, MaximumRetryAttempts=0,
                                         DestinationConfig={"OnFailure": {"Destination": SQS_ARN}})
    event2 = {"to": "sqs"}
    rid2 = event_invoke(lam, name2, event2)

    deadline = time.monotonic() + 30
    while True:
        rows = daemon.db_rows("SELECT fn, target, record, created_ms FROM async_dead WHERE fn IN (?, ?)",
                              (name, name2))
        if len(rows) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    time.sleep(1.0)
    rows = daemon.db_rows("SELECT fn, target, record, created_ms FROM async_dead WHERE fn IN (?, ?)",
                          (name, name2))
    by_fn = {}
    for fn, target, record, created_ms in rows:
        by_fn.setdefault(fn, []).append((target, record, created_ms))
    assert len(by_fn.get(name, [])) == 1, rows
    target, record, created_ms = by_fn[name][0]
    assert target == SQS_ARN
    assert json.loads(record) == event
    assert abs(created_ms / 1000 - time.time()) < 60
    assert len(sink.select(of(name))) == 2  # 1 + MaximumRetryAttempts

    assert len(by_fn.get(name2, [])) == 1, rows
    target, record, _ = by_fn[name2][0]
    assert target == SQS_ARN
    rec = json.loads(record)
    check_record(rec, "RetriesExhausted", rid2, arn2, event2, 1)
    assert rec["responseContext"]["functionError"] == "Unhandled"
    assert len(sink.select(of(name2))) == 1
    # the events themselves have left the queue
    assert daemon.db_rows("SELECT COUNT(*) FROM async_events WHERE fn IN (?, ?)", (name, name2)) == [(0,)]


# ---------------------------------------------------------------- 6. event invoke config API


def test_event_invoke_config_api_boto3(daemon, lam, sink, fn_zip):
    name, arn = make_fn(lam, fn_zip, sink, "eic")
    dest, dest_arn = make_fn(lam, fn_zip, sink, "eicdest")
    for op in (lam.get_function_event_invoke_config, lam.delete_function_event_invoke_config):
        expect_code("ResourceNotFoundException", op, FunctionName=name, http_status=404)
    expect_code("ResourceNotFoundException", lam.update_function_event_invoke_config, FunctionName=name,
                MaximumRetryAttempts=1, http_status=404)
    assert lam.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"] == []

    before = time.time()
    put = lam.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=1, MaximumEventAgeInSeconds=120,
        DestinationConfig={"OnFailure": {"Destination": dest_arn}, "OnSuccess": {"Destination": SQS_ARN}})
    assert put["FunctionArn"] == arn + ":$LATEST", put
    assert put["MaximumRetryAttempts"] == 1 and put["MaximumEventAgeInSeconds"] == 120
    assert put["DestinationConfig"] == {"OnFailure": {"Destination": dest_arn},
                                        "OnSuccess": {"Destination": SQS_ARN}}, put
    assert isinstance(put["LastModified"], datetime.datetime), put
    assert before - 5 <= put["LastModified"].timestamp() <= time.time() + 5, put["LastModified"]

    got = lam.get_function_event_invoke_config(FunctionName=name)
    for k in ("FunctionArn", "MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig",
              "LastModified"):
        assert got[k] == put[k], k
    # the wire form of LastModified is epoch seconds (a JSON number)
    status, _, body = daemon.raw("GET", "/2019-09-25/functions/%s/event-invoke-config" % name)
    assert status == 200 and isinstance(json.loads(body)["LastModified"], (int, float)), body
    # name as an ARN
    assert lam.get_function_event_invoke_config(FunctionName=arn)["MaximumRetryAttempts"] == 1

    time.sleep(0.05)
    upd = lam.update_function_event_invoke_config(FunctionName=name, MaximumEventAgeInSeconds=300)
    assert upd["MaximumEventAgeInSeconds"] == 300
    assert upd["MaximumRetryAttempts"] == 1  # update merges
    assert upd["DestinationConfig"]["OnFailure"] == {"Destination": dest_arn}
    assert upd["DestinationConfig"]["OnSuccess"] == {"Destination": SQS_ARN}
    assert upd["LastModified"] >= put["LastModified"]
    upd = lam.update_function_event_invoke_config(FunctionName=name,
                                                  DestinationConfig={"OnSuccess": {"Destination": dest_arn}})
    assert upd["DestinationConfig"]["OnSuccess"] == {"Destination": dest_arn}
    assert upd["MaximumEventAgeInSeconds"] == 300 and upd["MaximumRetryAttempts"] == 1

    lst = lam.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"]
    assert len(lst) == 1 and lst[0]["FunctionArn"] == arn + ":$LATEST", lst
    assert lst[0]["MaximumEventAgeInSeconds"] == 300

    # put replaces the whole configuration
    rep = lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    assert rep["MaximumRetryAttempts"] == 0
    assert rep.get("MaximumEventAgeInSeconds", 21600) == 21600, rep
    assert not rep.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"), rep
    assert not rep.get("DestinationConfig", {}).get("OnSuccess", {}).get("Destination"), rep

    # validation
    for kw in ({"MaximumRetryAttempts": 3}, {"MaximumEventAgeInSeconds": 21601}):
        expect_code("ValidationException", lam.put_function_event_invoke_config, FunctionName=name,
                    http_status=400, **kw)
        expect_code("ValidationException", lam.update_function_event_invoke_config, FunctionName=name,
                    http_status=400, **kw)
    path = "/2019-09-25/functions/%s/event-invoke-config" % name
    for body in ({"MaximumEventAgeInSeconds": 59}, {"MaximumRetryAttempts": -1}):
        assert_aws_error(*daemon.raw("PUT", path, json.dumps(body)), "ValidationException", 400)
    for bad in ("arn:aws:s3:::some-bucket", "not-an-arn", "arn:aws:dynamodb:us-east-1:000000000000:table/t"):
        expect_code("InvalidParameterValueException", lam.put_function_event_invoke_config, FunctionName=name,
                    DestinationConfig={"OnFailure": {"Destination": bad}}, http_status=400)
    # failed calls changed nothing
    got = lam.get_function_event_invoke_config(FunctionName=name)
    assert got["MaximumRetryAttempts"] == 0 and got.get("MaximumEventAgeInSeconds", 21600) == 21600
    for ok in (SQS_ARN, "arn:aws:sns:us-east-1:000000000000:topic",
               "arn:aws:events:us-east-1:000000000000:event-bus/default"):
        r = lam.put_function_event_invoke_config(FunctionName=name,
                                                 DestinationConfig={"OnFailure": {"Destination": ok}})
        assert r["DestinationConfig"]["OnFailure"] == {"Destination": ok}

    missing = unique("no-such-fn")
    for op in (lam.get_function_event_invoke_config, lam.delete_function_event_invoke_config,
               lam.list_function_event_invoke_configs):
        expect_code("ResourceNotFoundException", op, FunctionName=missing, http_status=404)
    expect_code("ResourceNotFoundException", lam.put_function_event_invoke_config, FunctionName=missing,
                MaximumRetryAttempts=1, http_status=404)

    r = lam.delete_function_event_invoke_config(FunctionName=name)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_code("ResourceNotFoundException", lam.get_function_event_invoke_config, FunctionName=name)
    assert lam.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"] == []


def test_event_invoke_config_api_cli(daemon, lam, sink, fn_zip):
    name, arn = make_fn(lam, fn_zip, sink, "eiccli")
    ep = daemon.endpoint
    p = run_cli(DEBIAN_AWS, ep, "lambda", "get-function-event-invoke-config", "--function-name", name)
    assert p.returncode != 0 and cli_error_code(p.stderr) == "ResourceNotFoundException", p.stderr

    put = cli_json(DEBIAN_AWS, ep, "lambda", "put-function-event-invoke-config", "--function-name", name,
                   "--maximum-retry-attempts", "1", "--maximum-event-age-in-seconds", "3600",
                   "--destination-config", json.dumps({"OnFailure": {"Destination": SQS_ARN}}))
    assert put["FunctionArn"] == arn + ":$LATEST" and put["MaximumRetryAttempts"] == 1, put
    assert put["DestinationConfig"]["OnFailure"] == {"Destination": SQS_ARN}, put
    # the CLI prints the timestamp as ISO 8601
    lm = put["LastModified"]
    assert isinstance(lm, str) and abs(datetime.datetime.fromisoformat(lm).timestamp() - time.time()) < 60, lm

    got = cli_json(DEBIAN_AWS, ep, "lambda", "get-function-event-invoke-config", "--function-name", name)
    assert got == put
    upd = cli_json(DEBIAN_AWS, ep, "lambda", "update-function-event-invoke-config", "--function-name", name,
                   "--maximum-retry-attempts", "2")
    assert upd["MaximumRetryAttempts"] == 2 and upd["MaximumEventAgeInSeconds"] == 3600, upd
    assert upd["DestinationConfig"]["OnFailure"] == {"Destination": SQS_ARN}, upd
    lst = cli_json(DEBIAN_AWS, ep, "lambda", "list-function-event-invoke-configs", "--function-name", name)
    assert [c["MaximumRetryAttempts"] for c in lst["FunctionEventInvokeConfigs"]] == [2], lst

    p = run_cli(DEBIAN_AWS, ep, "lambda", "put-function-event-invoke-config", "--function-name", name,
                "--maximum-retry-attempts", "5")
    assert p.returncode != 0 and cli_error_code(p.stderr) == "ValidationException", p.stderr
    p = run_cli(DEBIAN_AWS, ep, "lambda", "update-function-event-invoke-config", "--function-name", name,
                "--maximum-event-age-in-seconds", "30000")
    assert p.returncode != 0 and cli_error_code(p.stderr) == "ValidationException", p.stderr
    p = run_cli(DEBIAN_AWS, ep, "lambda", "put-function-event-invoke-config", "--function-name", name,
                "--destination-config", json.dumps({"OnSuccess": {"Destination": "arn:aws:s3:::bucket"}}))
    assert p.returncode != 0 and cli_error_code(p.stderr) == "InvalidParameterValueException", p.stderr

    p = run_cli(DEBIAN_AWS, ep, "lambda", "delete-function-event-invoke-config", "--function-name", name)
    assert p.returncode == 0 and p.stdout.strip() == "", (p.stdout, p.stderr)
    p = run_cli(DEBIAN_AWS, ep, "lambda", "delete-function-event-invoke-config", "--function-name", name)
    assert p.returncode != 0 and cli_error_code(p.stderr) == "ResourceNotFoundException", p.stderr


def test_delete_function_drops_config_and_queued_events(daemon_factory, sink, fn_zip):
    d = daemon_factory("--async-concurrency", "2", *SANDBOX)
    lam = make_client(d.endpoint)
    name, _ = make_fn(lam, fn_zip, sink, "dropped", sleep=1.0)
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    for i in range(20):
        event_invoke(lam, name, {"i": i})
    sink.wait_for(of(name), count=2, timeout=30)  # two running, eighteen waiting
    assert queue_depth(d) >= 10
    lam.delete_function(FunctionName=name)
    wait_depth_zero(d, timeout=10)
    time.sleep(1.5)
    ran = len(sink.select(of(name)))
    assert ran <= 4, "%d events of a deleted function ran" % ran
    assert d.db_rows("SELECT COUNT(*) FROM async_events WHERE fn = ?", (name,)) == [(0,)]

    # A function created again under the name has neither the old config nor the old events.
    create(lam, name, fn_zip, RUNTIME, HANDLER, MemorySize=MEMORY_MB,
           Environment={"Variables": {"SINK_URL": sink.url}})
    expect_code("ResourceNotFoundException", lam.get_function_event_invoke_config, FunctionName=name)
    time.sleep(1.0)
    assert len(sink.select(of(name))) == ran


def test_throttled_event_waits_then_runs(daemon_factory, sink, fn_zip):
    """An Event invoke is accepted even when the account has no concurrency left; the event
    waits (backoff) and runs once a slot frees, without counting as a retry."""
    d = daemon_factory("--concurrency", "1", "--async-retry-base-ms", str(RETRY_BASE_MS), *SANDBOX)
    lam = make_client(d.endpoint)
    name, arn = make_fn(lam, fn_zip, sink, "throttled")
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    busy = {}

    def hold():
        r = lam.invoke(FunctionName=name, Payload=json.dumps({"sleep": 2.0, "sync": True}).encode())
        busy["status"] = r["StatusCode"]
        busy["end"] = time.time()

    t = threading.Thread(target=hold)
    t.start()
    sink.wait_for(lambda doc: doc.get("fn") == name and doc["event"].get("sync"), timeout=30)
    rid = event_invoke(lam, name, {"queued": True})  # 202 even though no slot is free
    got = sink.wait_for(lambda doc: doc.get("fn") == name and doc["event"].get("queued"), timeout=20)
    t.join(timeout=10)
    assert busy.get("status") == 200, busy
    assert got[0]["request_id"] == rid
    assert got[0]["_received"] >= busy["end"] - 0.05, "ran while the only slot was busy"
    time.sleep(0.5)
    assert len(sink.select(lambda doc: doc.get("fn") == name and doc["event"].get("queued"))) == 1
    wait_depth_zero(d)


# ---------------------------------------------------------------- 4. maximum event age


def test_maximum_event_age_expires_event(daemon_factory, sink, fn_zip):
    """MaximumEventAgeInSeconds 60 with the first retry due after 100 s: the event fails with
    EventAgeExceeded at about 60 s, after a single attempt."""
    extend_timeout(120)
    d = daemon_factory("--async-retry-base-ms", "100000", *SANDBOX)
    lam = make_client(d.endpoint)
    dest, _ = make_fn(lam, fn_zip, sink, "agedest")
    name, arn = make_fn(lam, fn_zip, sink, "ages", mode="fail")
    dest_arn = lam.get_function_configuration(FunctionName=dest)["FunctionArn"]
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=2, MaximumEventAgeInSeconds=60,
                                         DestinationConfig={"OnFailure": {"Destination": dest_arn}})
    event = {"expires": True}
    t0 = time.time()
    rid = event_invoke(lam, name, event)
    sink.wait_for(of(name), timeout=30)
    assert queue_depth(d) == 1  # waiting for its retry
    got = sink.wait_for(of(dest), timeout=80)
    elapsed = got[0]["_received"] - t0
    assert 59 <= elapsed <= 75, "EventAgeExceeded after %.1f s" % elapsed
    time.sleep(1.0)
    records = sink.select(of(dest))
    attempts = sink.select(of(name))
    assert len(attempts) == 1, "ran %d times (at %s s after the invoke); records: %s" % (
        len(attempts), ["%.3f" % (a["t"] - t0) for a in attempts], records)
    assert len(records) == 1, records
    rec = records[0]["event"]
    check_record(rec, "EventAgeExceeded", rid, arn, event, 1)
    assert 59 <= parse_ts(rec["timestamp"]) - t0 <= 75, rec["timestamp"]
    assert queue_depth(d) == 0


# ---------------------------------------------------------------- 7-8. durability


def _enqueue(port, name, ids, threads=32):
    """Event-invokes {"id": i} for every i over `threads` keep-alive connections; returns the
    statuses by id."""
    statuses = {}
    errors = []
    lock = threading.Lock()
    path = "/2015-03-31/functions/%s/invocations" % name
    headers = {"X-Amz-Invocation-Type": "Event", "Content-Type": "application/json"}

    def worker(part):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = {}
        try:
            for i in part:
                conn.request("POST", path, body=b'{"id": %d}' % i, headers=headers)
                r = conn.getresponse()
                r.read()
                mine[i] = r.status
        except Exception as e:  # noqa: BLE001 - reported by the test
            with lock:
                errors.append(repr(e))
        finally:
            conn.close()
            with lock:
                statuses.update(mine)

    ts = [threading.Thread(target=worker, args=(ids[k::threads],)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=120)
    assert not errors, errors[:5]
    return statuses


def _seen_ids(sink, name):
    return {d["event"]["id"] for d in sink.select(of(name))}


def _wait_all_ids(sink, name, n, timeout):
    deadline = time.monotonic() + timeout
    while True:
        seen = _seen_ids(sink, name)
        if len(seen) >= n or time.monotonic() > deadline:
            return seen
        time.sleep(0.25)


def test_kill9_mid_drain_loses_no_event(tmp_path, sink, fn_zip):
    """Acceptance: 10 000 accepted events, kill -9 mid-drain, restart: every id runs at least once."""
    extend_timeout(240)
    total = 10000
    d = Daemon(tmp_path / "data", DURABLE_ARGS)
    d.start()
    try:
        lam = make_client(d.endpoint)
        name, _ = make_fn(lam, fn_zip, sink, "durable", sleep=0.005)
        close_clients()
        t0 = time.monotonic()
        statuses = _enqueue(d.port, name, list(range(total)))
        accept_s = time.monotonic() - t0
        bad = {i: s for i, s in statuses.items() if s != 202}
        assert len(statuses) == total and not bad, (len(statuses), list(bad.items())[:5])

        # kill -9 once a few thousand have been processed, well before the end
        deadline = time.monotonic() + 60
        while len(_seen_ids(sink, name)) < 2500 and time.monotonic() < deadline:
            time.sleep(0.05)
        depth = queue_depth(d)
        kill_daemon(d)
        seen_at_kill = len(_seen_ids(sink, name))
        assert seen_at_kill < total and depth > 0, \
            "the queue drained before the kill (%d seen, depth %d): not a mid-drain test" % (seen_at_kill, depth)
        rows_left = d.db_rows("SELECT COUNT(*) FROM async_events WHERE fn = ?", (name,))[0][0]
        assert rows_left >= total - seen_at_kill - 100, (rows_left, seen_at_kill)

        t1 = time.monotonic()
        d.start()
        seen = _wait_all_ids(sink, name, total, timeout=120)
        print("kill9: accepted %d in %.2f s (%.0f/s); %d ids seen and depth %d at the kill; %d rows left; "
              "all seen %.1f s after the restart" % (total, accept_s, total / accept_s, seen_at_kill, depth,
                                                     rows_left, time.monotonic() - t1))
        missing = sorted(set(range(total)) - seen)
        assert not missing, "%d events lost after kill -9 (accepted in %.1f s, %d seen at the kill): %s" % (
            len(missing), accept_s, seen_at_kill, missing[:20])
        wait_depth_zero(d, timeout=30)
        assert d.db_rows("SELECT COUNT(*) FROM async_events") == [(0,)]
        runs = len(sink.select(of(name)))
        assert runs >= total
    finally:
        close_clients()
        rc = d.stop()
    assert rc == 0, d.log_tail()


def test_sigterm_with_events_in_flight_loses_nothing(tmp_path, sink, fn_zip):
    extend_timeout(120)
    total = 300
    d = Daemon(tmp_path / "data", DURABLE_ARGS)
    d.start()
    try:
        lam = make_client(d.endpoint)
        name, _ = make_fn(lam, fn_zip, sink, "graceful", sleep=0.3)
        close_clients()
        statuses = _enqueue(d.port, name, list(range(total)), threads=8)
        assert sorted(statuses.values()) == [202] * total
        sink.wait_for(of(name), count=16, timeout=30)
        t0 = time.monotonic()
        rc = d.stop()  # SIGTERM while 8 invocations run and most events wait
        stop_s = time.monotonic() - t0
        assert rc == 0, "exit status %r on SIGTERM:\n%s" % (rc, d.log_tail())
        assert stop_s < 12, "SIGTERM took %.1f s" % stop_s
        seen_at_stop = len(_seen_ids(sink, name))
        assert seen_at_stop < total

        d.start()
        seen = _wait_all_ids(sink, name, total, timeout=60)
        missing = sorted(set(range(total)) - seen)
        assert not missing, "%d events lost over SIGTERM: %s" % (len(missing), missing[:20])
        wait_depth_zero(d, timeout=15)
    finally:
        close_clients()
        rc = d.stop()
    assert rc == 0, d.log_tail()


def test_event_invoke_configs_on_versions_and_aliases(daemon, lam, sink, fn_zip):
    """A configuration belongs to the qualifier it was put on: events invoked through version 1 and
    through alias LIVE follow their own retries and destinations; List shows every qualifier;
    deleting an alias or version takes its configuration along."""
    dest1, dest1_arn = make_fn(lam, fn_zip, sink, "v1fail")
    dest2, dest2_arn = make_fn(lam, fn_zip, sink, "livefail")
    name, arn = make_fn(lam, fn_zip, sink, "qualified", mode="fail")
    assert lam.publish_version(FunctionName=name)["Version"] == "1"
    lam.create_alias(FunctionName=name, Name="LIVE", FunctionVersion="1")
    p1 = lam.put_function_event_invoke_config(FunctionName=name, Qualifier="1", MaximumRetryAttempts=0,
                                              DestinationConfig={"OnFailure": {"Destination": dest1_arn}})
    assert p1["FunctionArn"] == arn + ":1"
    p2 = lam.put_function_event_invoke_config(FunctionName=name + ":LIVE", MaximumRetryAttempts=1,
                                              DestinationConfig={"OnFailure": {"Destination": dest2_arn}})
    assert p2["FunctionArn"] == arn + ":LIVE"
    expect_code("ResourceNotFoundException", lam.get_function_event_invoke_config, FunctionName=name,
                http_status=404)
    assert lam.get_function_event_invoke_config(FunctionName=arn + ":1")["MaximumRetryAttempts"] == 0
    got = lam.get_function_event_invoke_config(FunctionName=name, Qualifier="LIVE")
    assert got["MaximumRetryAttempts"] == 1 and got["FunctionArn"] == arn + ":LIVE"
    lst = lam.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"]
    assert sorted(c["FunctionArn"] for c in lst) == [arn + ":1", arn + ":LIVE"]
    expect_code("ResourceNotFoundException", lam.put_function_event_invoke_config, FunctionName=name,
                Qualifier="7", MaximumRetryAttempts=1, http_status=404)
    expect_code("ResourceNotFoundException", lam.put_function_event_invoke_config, FunctionName=name,
                Qualifier="NOPE", MaximumRetryAttempts=1, http_status=404)

    rid1 = event_invoke(lam, name + ":1", {"via": "v1"})
    rid2 = event_invoke(lam, name + ":LIVE", {"via": "live"})
    rec1 = sink.wait_for(of(dest1), timeout=30)[0]["event"]
    rec2 = sink.wait_for(of(dest2), timeout=30)[0]["event"]
    time.sleep(4 * RETRY_BASE_MS / 1000)
    check_record(rec1, "RetriesExhausted", rid1, arn + ":1", {"via": "v1"}, 1)
    check_record(rec2, "RetriesExhausted", rid2, arn + ":LIVE", {"via": "live"}, 2)
    runs = sink.select(of(name))
    assert sorted(r["event"]["via"] for r in runs) == ["live", "live", "v1"], runs
    assert len(sink.select(of(dest1))) == 1 and len(sink.select(of(dest2))) == 1

    lam.delete_alias(FunctionName=name, Name="LIVE")
    lst = lam.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"]
    assert [c["FunctionArn"] for c in lst] == [arn + ":1"]
    lam.delete_function(FunctionName=name, Qualifier="1")
    assert lam.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"] == []
    assert daemon.db_rows("SELECT count(*) FROM event_invoke_configs WHERE fn = ?", (name,)) == [(0,)]
    wait_depth_zero(daemon)
