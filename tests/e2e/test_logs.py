"""The CloudWatch Logs API subset: `aws logs tail` (and --follow) on function logs,
FilterLogEvents terms and stable eventIds, pagination, Describe fields, errors, and
retention (boto3 1.26 and Debian's AWS CLI 2.9)."""

import json
import os
import select
import subprocess
import time
import uuid

import boto3
import pytest
from botocore.config import Config

import conftest
from conftest import CLIENT_ENV, DEBIAN_AWS, create, expect_code, invoke, unique

PY = "lambda_function.lambda_handler"
DAY_MS = 86400 * 1000


@pytest.fixture(scope="module")
def logs(daemon):
    cfg = Config(retries={"total_max_attempts": 1}, read_timeout=30, connect_timeout=5)
    c = boto3.client("logs", endpoint_url=daemon.endpoint, region_name="us-east-1",
                     aws_access_key_id="test", aws_secret_access_key="test", config=cfg)
    conftest._CLIENTS.append(c)
    return c


@pytest.fixture(scope="module")
def fn(lam, python_zip):
    name = unique("logs")
    create(lam, name, python_zip, "python3.12", PY, Timeout=5)
    return name


def now_ms():
    return int(time.time() * 1000)


def group_of(name):
    return "/aws/lambda/" + name


def wait_for(logs, group, term, count=1, timeout=10):
    """Polls FilterLogEvents until `count` events contain term; returns the events."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            ev = logs.filter_log_events(logGroupName=group, filterPattern='"%s"' % term)["events"]
        except logs.exceptions.ResourceNotFoundException:
            ev = []
        if len(ev) >= count or time.monotonic() > deadline:
            return ev
        time.sleep(0.1)


def aws_logs(daemon, *args):
    argv = [DEBIAN_AWS, "--endpoint-url", daemon.endpoint, "--region", "us-east-1", "logs"] + list(args)
    p = subprocess.run(argv, capture_output=True, text=True, env=CLIENT_ENV, timeout=30)
    assert p.returncode == 0, (argv, p.stdout, p.stderr)
    return p.stdout


def user_group(logs, *streams):
    g = "/test/" + uuid.uuid4().hex[:10]
    logs.create_log_group(logGroupName=g)
    for s in streams:
        logs.create_log_stream(logGroupName=g, logStreamName=s)
    return g


# ---------------------------------------------------------------- function logs and `aws logs tail`


def test_tail_shows_function_logs(daemon, lam, logs, fn):
    marker = "tail-" + uuid.uuid4().hex
    r, _, _ = invoke(lam, fn, {"print": marker})
    rid = r["ResponseMetadata"]["RequestId"]
    assert wait_for(logs, group_of(fn), marker), "function output never reached the Logs API"
    wait_for(logs, group_of(fn), "REPORT RequestId: " + rid)
    out = aws_logs(daemon, "tail", group_of(fn), "--since", "1h")
    lines = out.splitlines()
    assert any(marker in l for l in lines), out
    assert any("START RequestId: %s Version: $LATEST" % rid in l for l in lines), out
    assert any("END RequestId: %s" % rid in l for l in lines), out
    assert any("REPORT RequestId: %s" % rid in l and "Duration:" in l for l in lines), out
    # Each line: timestamp, the stream name, the message.
    line = next(l for l in lines if marker in l)
    assert "[$LATEST]" in line.split()[1], line

    # The group and its stream are there without CreateLogGroup.
    groups = logs.describe_log_groups(logGroupNamePrefix=group_of(fn))["logGroups"]
    assert [g["logGroupName"] for g in groups] == [group_of(fn)]
    g = groups[0]
    assert g["arn"] == "arn:aws:logs:us-east-1:000000000000:log-group:%s:*" % group_of(fn)
    assert g["metricFilterCount"] == 0 and g["storedBytes"] > 0
    assert abs(g["creationTime"] - now_ms()) < 60000
    assert "retentionInDays" not in g
    streams = logs.describe_log_streams(logGroupName=group_of(fn), orderBy="LastEventTime",
                                        descending=True)["logStreams"]
    assert streams and streams[0]["logStreamName"].split("/")[-1].startswith("[$LATEST]")
    s = streams[0]
    assert s["firstEventTimestamp"] <= s["lastEventTimestamp"] <= now_ms()
    assert s["lastIngestionTime"] >= s["lastEventTimestamp"] - 1000
    assert s["arn"].endswith(":log-group:%s:log-stream:%s" % (group_of(fn), s["logStreamName"]))


def test_tail_follow_sees_new_invocation(daemon, lam, logs, fn):
    invoke(lam, fn, {"print": "warm-up"})  # the group exists before tail starts
    wait_for(logs, group_of(fn), "warm-up")
    argv = [DEBIAN_AWS, "--endpoint-url", daemon.endpoint, "--region", "us-east-1", "logs", "tail",
            group_of(fn), "--follow", "--since", "1h"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=CLIENT_ENV)
    try:
        time.sleep(1.5)  # let it finish its first poll
        marker = "follow-" + uuid.uuid4().hex
        t0 = time.monotonic()
        invoke(lam, fn, {"print": marker})
        buf = b""
        while marker.encode() not in buf and time.monotonic() - t0 < 12:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                buf += chunk
        assert marker.encode() in buf, "tail --follow did not show the new line within 12 s:\n%s\n%s" % (
            buf.decode(errors="replace"), proc.stderr.read1(65536).decode(errors="replace")
            if proc.poll() is not None else "")
        # Lines already printed are not printed again (eventIds are stable).
        assert buf.count(marker.encode()) == 1
    finally:
        proc.kill()
        proc.wait(timeout=5)


# ---------------------------------------------------------------- FilterLogEvents


def test_filter_terms_and_stable_event_ids(lam, logs, fn):
    tag = uuid.uuid4().hex[:8]
    for i in range(3):
        invoke(lam, fn, {"print": "alpha-%s item=%d" % (tag, i)})
    invoke(lam, fn, {"print": "beta-%s" % tag})
    assert len(wait_for(logs, group_of(fn), "beta-" + tag)) == 1
    ev = logs.filter_log_events(logGroupName=group_of(fn), filterPattern="alpha-" + tag)["events"]
    assert sorted(e["message"].strip() for e in ev) == ["alpha-%s item=%d" % (tag, i) for i in range(3)]
    for e in ev:
        assert set(e) >= {"logStreamName", "timestamp", "message", "ingestionTime", "eventId"}
    # Terms combine: every plain term must appear; ?terms are alternatives.
    ev2 = logs.filter_log_events(logGroupName=group_of(fn), filterPattern="alpha-%s item=1" % tag)["events"]
    assert [e["message"].strip() for e in ev2] == ["alpha-%s item=1" % tag]
    ev3 = logs.filter_log_events(logGroupName=group_of(fn),
                                 filterPattern="?beta-%s ?\"item=2\"" % tag)["events"]
    assert len(ev3) == 2
    assert logs.filter_log_events(logGroupName=group_of(fn), filterPattern="ALPHA-" + tag)["events"] == []
    # The same events carry the same eventIds on every call.
    again = logs.filter_log_events(logGroupName=group_of(fn), filterPattern="alpha-" + tag)["events"]
    assert [e["eventId"] for e in again] == [e["eventId"] for e in ev]
    assert len({e["eventId"] for e in ev}) == 3
    # Stream selection.
    stream = ev[0]["logStreamName"]
    by_name = logs.filter_log_events(logGroupName=group_of(fn), logStreamNames=[stream],
                                     filterPattern="alpha-" + tag)
    assert {e["logStreamName"] for e in by_name["events"]} == {stream}
    assert by_name["searchedLogStreams"][0]["logStreamName"] == stream
    assert logs.filter_log_events(logGroupName=group_of(fn), logStreamNamePrefix="nope/",
                                  filterPattern="alpha-" + tag)["events"] == []


def test_pagination(logs):
    g = user_group(logs, "a", "b")
    base = now_ms() - 60000
    for s, off in (("a", 0), ("b", 1)):
        logs.put_log_events(logGroupName=g, logStreamName=s,
                            logEvents=[{"timestamp": base + 2 * i + off, "message": "%s-%02d" % (s, i)}
                                       for i in range(12)])
    # FilterLogEvents: pages of 10 over both streams, interleaved by time.
    got, token, pages = [], None, 0
    while True:
        kw = {"nextToken": token} if token else {}
        r = logs.filter_log_events(logGroupName=g, limit=10, **kw)
        got += [e["message"] for e in r["events"]]
        pages += 1
        token = r.get("nextToken")
        if not token:
            break
    assert pages >= 3
    assert got == [m for i in range(12) for m in ("a-%02d" % i, "b-%02d" % i)]
    # The CLI's own paginator agrees.
    pag = logs.get_paginator("filter_log_events").paginate(logGroupName=g, PaginationConfig={"PageSize": 7})
    assert [e["message"] for p in pag for e in p["events"]] == got

    # GetLogEvents: forward from the head in pages of 5, ending on a repeated token.
    seen, token = [], None
    for _ in range(10):
        kw = {"nextToken": token} if token else {"startFromHead": True}
        r = logs.get_log_events(logGroupName=g, logStreamName="a", limit=5, **kw)
        seen += [e["message"] for e in r["events"]]
        if r["nextForwardToken"] == token:
            break
        token = r["nextForwardToken"]
    assert seen == ["a-%02d" % i for i in range(12)]
    # Without startFromHead: the newest page, oldest first; then backwards.
    r = logs.get_log_events(logGroupName=g, logStreamName="b", limit=5)
    assert [e["message"] for e in r["events"]] == ["b-%02d" % i for i in range(7, 12)]
    r2 = logs.get_log_events(logGroupName=g, logStreamName="b", limit=5, nextToken=r["nextBackwardToken"])
    assert [e["message"] for e in r2["events"]] == ["b-%02d" % i for i in range(2, 7)]
    # Time bounds (GetLogEvents endTime is exclusive).
    r3 = logs.get_log_events(logGroupName=g, logStreamName="a", startTime=base + 4, endTime=base + 8,
                             startFromHead=True)
    assert [e["message"] for e in r3["events"]] == ["a-02", "a-03"]

    # DescribeLogGroups / DescribeLogStreams pages.
    prefix = g + "-p"
    for i in range(5):
        logs.create_log_group(logGroupName="%s%d" % (prefix, i))
    names, token = [], None
    while True:
        kw = {"nextToken": token} if token else {}
        r = logs.describe_log_groups(logGroupNamePrefix=prefix, limit=2, **kw)
        assert len(r["logGroups"]) <= 2
        names += [x["logGroupName"] for x in r["logGroups"]]
        token = r.get("nextToken")
        if not token:
            break
    assert names == ["%s%d" % (prefix, i) for i in range(5)]
    for i in range(3):
        logs.create_log_stream(logGroupName=g, logStreamName="c%d" % i)
    pag = logs.get_paginator("describe_log_streams").paginate(logGroupName=g, PaginationConfig={"PageSize": 2})
    assert [s["logStreamName"] for p in pag for s in p["logStreams"]] == ["a", "b", "c0", "c1", "c2"]


# ---------------------------------------------------------------- Describe fields and errors


def test_groups_streams_and_errors(daemon, logs):
    g = user_group(logs, "s1")
    expect_code("ResourceAlreadyExistsException", logs.create_log_group, logGroupName=g, http_status=400)
    expect_code("ResourceAlreadyExistsException", logs.create_log_stream, logGroupName=g, logStreamName="s1")
    missing = g + "-missing"
    for call, kw in ((logs.describe_log_streams, {}),
                     (logs.get_log_events, {"logStreamName": "s1"}),
                     (logs.filter_log_events, {}),
                     (logs.delete_log_group, {}),
                     (logs.put_retention_policy, {"retentionInDays": 7}),
                     (logs.create_log_stream, {"logStreamName": "x"})):
        e = expect_code("ResourceNotFoundException", call, logGroupName=missing, http_status=400, **kw)
        assert e.response["Error"]["Message"] == "The specified log group does not exist."
    expect_code("ResourceNotFoundException", logs.get_log_events, logGroupName=g, logStreamName="nope")
    expect_code("ResourceNotFoundException", logs.put_log_events, logGroupName=g, logStreamName="nope",
                logEvents=[{"timestamp": now_ms(), "message": "x"}])
    expect_code("InvalidParameterException", logs.put_retention_policy, logGroupName=g, retentionInDays=8)
    expect_code("InvalidParameterException", logs.filter_log_events, logGroupName=g,
                logStreamNames=["s1"], logStreamNamePrefix="s")
    expect_code("InvalidParameterException", logs.create_log_group, logGroupName="bad name!")

    # The wire shape: 400, x-amzn-RequestId, {"__type", "message"}.
    hdrs = {"X-Amz-Target": "Logs_20140328.DescribeLogStreams", "Content-Type": "application/x-amz-json-1.1"}
    status, h, body = daemon.raw("POST", "/", json.dumps({"logGroupName": missing}), hdrs)
    assert status == 400 and h.get("x-amzn-requestid")
    assert json.loads(body) == {"__type": "ResourceNotFoundException",
                                "message": "The specified log group does not exist."}
    status, _, body = daemon.raw("POST", "/", "{not json", hdrs)
    assert status == 400 and json.loads(body)["__type"] == "SerializationException"
    hdrs["X-Amz-Target"] = "Logs_20140328.NoSuchThing"
    status, _, body = daemon.raw("POST", "/", "{}", hdrs)
    assert status == 400 and json.loads(body)["__type"] == "UnknownOperationException"

    # Fields.
    logs.put_retention_policy(logGroupName=g, retentionInDays=14)
    grp = logs.describe_log_groups(logGroupNamePrefix=g)["logGroups"][0]
    assert grp["retentionInDays"] == 14 and grp["storedBytes"] == 0
    logs.delete_retention_policy(logGroupName=g)
    assert "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix=g)["logGroups"][0]
    st = logs.describe_log_streams(logGroupName=g)["logStreams"][0]
    assert st["logStreamName"] == "s1" and "firstEventTimestamp" not in st
    r = logs.put_log_events(logGroupName=g, logStreamName="s1",
                            logEvents=[{"timestamp": now_ms(), "message": "hello"}])
    assert r["nextSequenceToken"]
    st = logs.describe_log_streams(logGroupName=g)["logStreams"][0]
    assert st["storedBytes"] == 5 and st["firstEventTimestamp"] == st["lastEventTimestamp"]

    # DeleteLogGroup removes the events with the group.
    logs.delete_log_group(logGroupName=g)
    assert logs.describe_log_groups(logGroupNamePrefix=g)["logGroups"] == []
    assert daemon.db_rows("SELECT COUNT(*) FROM log_events WHERE grp = ?", (g,))[0][0] == 0


# ---------------------------------------------------------------- retention


def test_retention_hides_and_deletes_old_events(daemon, logs):
    g = user_group(logs, "s")
    old = now_ms() - 10 * DAY_MS
    logs.put_log_events(logGroupName=g, logStreamName="s",
                        logEvents=[{"timestamp": old + i, "message": "old-%d" % i} for i in range(3)])
    logs.put_log_events(logGroupName=g, logStreamName="s",
                        logEvents=[{"timestamp": now_ms() - 1000, "message": "recent"}])
    msgs = lambda r: [e["message"] for e in r["events"]]
    assert msgs(logs.filter_log_events(logGroupName=g)) == ["old-0", "old-1", "old-2", "recent"]

    logs.put_retention_policy(logGroupName=g, retentionInDays=7)
    assert msgs(logs.filter_log_events(logGroupName=g)) == ["recent"]
    assert msgs(logs.get_log_events(logGroupName=g, logStreamName="s", startFromHead=True)) == ["recent"]
    assert msgs(logs.get_log_events(logGroupName=g, logStreamName="s")) == ["recent"]
    # The retention job deletes them from the store too.
    deadline = time.monotonic() + 5
    while daemon.db_rows("SELECT COUNT(*) FROM log_events WHERE grp = ?", (g,))[0][0] != 1:
        assert time.monotonic() < deadline, "expired events were not deleted"
        time.sleep(0.1)
    st = logs.describe_log_streams(logGroupName=g)["logStreams"][0]
    assert st["firstEventTimestamp"] > old
    # Events already past the retention are refused.
    r = logs.put_log_events(logGroupName=g, logStreamName="s",
                            logEvents=[{"timestamp": old, "message": "too-old"},
                                       {"timestamp": now_ms(), "message": "fresh"}])
    assert r["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 0}
    assert msgs(logs.filter_log_events(logGroupName=g)) == ["recent", "fresh"]
