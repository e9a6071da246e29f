"""Function logs of asynchronous events survive kill -9 (issue 10, item 8): an event leaves the
durable queue only once its log lines are committed, so after a kill -9 mid-drain every event
that is no longer queued has its function output and its START/END/REPORT lines in the store, and
after the restart (on the same data directory) every event's lines are there.

The function prints one line naming the event's id and its request id. The test reads the
daemon's SQLite database directly (read-only) while the daemon is dead, then again after the
restart has drained the queue.
"""

import http.client
import json
import re
import threading
import time

from conftest import Daemon, close_clients, create, extend_timeout, kill_daemon, make_client, make_zip, unique

FUNCTION_SRC = r'''
import time


def lambda_handler(event, context):
    print("event-line %d %s" % (event["id"], context.aws_request_id))
    time.sleep(0.02)  # 8 at a time: about 400 events/s, so the kill lands mid-drain
    return {"ok": True}
'''

LINE = re.compile(r"event-line (\d+) ([0-9a-f-]{36})")


def _enqueue(port, name, ids, threads=16):
    """Event-invokes {"id": i} for every i over keep-alive connections; returns the statuses."""
    statuses, lock = {}, threading.Lock()
    path = "/2015-03-31/functions/%s/invocations" % name
    headers = {"X-Amz-Invocation-Type": "Event", "Content-Type": "application/json"}

    def worker(part):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            for i in part:
                conn.request("POST", path, body=b'{"id": %d}' % i, headers=headers)
                r = conn.getresponse()
                r.read()
                with lock:
                    statuses[i] = r.status
        finally:
            conn.close()

    ts = [threading.Thread(target=worker, args=(ids[k::threads],)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=120)
    return statuses


def _queued_ids(d, name):
    return {json.loads(p)["id"] for (p,) in d.db_rows("SELECT payload FROM async_events WHERE fn = ?", (name,))}


def _logged(d, name):
    """(ids printed -> request ids, request ids with a REPORT line, lines) in the function's log group."""
    printed, reports = {}, set()
    rows = d.db_rows("SELECT msg FROM log_events WHERE grp = ?", ("/aws/lambda/" + name,))
    for (msg,) in rows:
        m = LINE.search(msg)
        if m:
            printed.setdefault(int(m.group(1)), set()).add(m.group(2))
        elif msg.startswith("REPORT RequestId: "):
            reports.add(msg.split()[2])
    return printed, reports, len(rows)


def _depth(d):
    return d.health()["async_queue_depth"]


def test_kill9_mid_drain_keeps_every_completed_events_log(tmp_path):
    extend_timeout(240)
    total = 2000
    d = Daemon(tmp_path / "data", ["--async-concurrency", "8"])
    d.start()
    try:
        lam = make_client(d.endpoint)
        name = unique("asynclogs")
        create(lam, name, make_zip({"lambda_function.py": FUNCTION_SRC}), "python3.11",
               "lambda_function.lambda_handler", MemorySize=1769, Timeout=30)
        close_clients()
        statuses = _enqueue(d.port, name, list(range(total)))
        assert sorted(statuses.values()) == [202] * total

        # kill -9 mid-drain: once a few hundred events have left the queue
        deadline = time.monotonic() + 90
        while _depth(d) > total - 400 and time.monotonic() < deadline:
            time.sleep(0.02)
        kill_daemon(d)

        queued = _queued_ids(d, name)
        completed = set(range(total)) - queued
        assert 0 < len(completed) < total, "not a mid-drain kill: %d completed" % len(completed)
        printed, reports, lines = _logged(d, name)
        no_line = sorted(i for i in completed if i not in printed)
        assert not no_line, "%d of %d completed events have no function log line after kill -9: %s" % (
            len(no_line), len(completed), no_line[:20])
        no_report = sorted(i for i in completed if not printed[i] & reports)
        assert not no_report, "%d completed events have no REPORT line after kill -9: %s" % (
            len(no_report), no_report[:20])
        print("kill -9: %d events completed, %d queued, %d log lines stored" % (len(completed), len(queued), lines))

        # the restart drains the rest; then every event has its lines
        d.start()
        deadline = time.monotonic() + 150
        while _depth(d) > 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _depth(d) == 0, "the queue did not drain after the restart"
        time.sleep(0.5)  # the writer commits within LOG_FLUSH_INTERVAL_MS of the last event
        printed, reports, lines = _logged(d, name)
        missing = sorted(set(range(total)) - set(printed))
        assert not missing, "%d events without a log line after the restart: %s" % (len(missing), missing[:20])
        assert sum(len(r) for r in printed.values()) >= total
        assert lines >= 4 * total, lines  # START, the line, END, REPORT of each run
    finally:
        close_clients()
        rc = d.stop()
    assert rc == 0, d.log_tail()
