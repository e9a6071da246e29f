"""GET /metrics: Prometheus text format, checked line by line, with counters that move as
invocations happen (issue 4's metrics acceptance)."""

import re
import threading
import time

from conftest import create, echo_zip, fetch, invoke, make_client, unique

# One sample line: name{labels} value  (labels optional), per the text format 0.0.4.
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"'
                    r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*)?\})? (-?[0-9.eE+-]+|\+Inf|NaN)$')
COMMENT = re.compile(r'^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$')
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse(text):
    """Strictly parses the exposition text; returns {(name, labels): value} and {family: type}."""
    samples, types = {}, {}
    assert text.endswith("\n")
    for line in text.splitlines():
        m = COMMENT.match(line)
        if m:
            if m.group(1) == "TYPE":
                kind = line.split()[-1]
                assert kind in TYPES, line
                assert m.group(2) not in types, "duplicate TYPE: " + line
                types[m.group(2)] = kind
            continue
        m = SAMPLE.match(line)
        assert m, "not a valid sample line: %r" % line
        name, labels, value = m.group(1), m.group(3) or "", m.group(5)
        family = re.sub(r"_(bucket|sum|count|total)$", "", name)
        assert name in types or family in types or name.rsplit("_", 1)[0] in types, \
            "sample before its TYPE: " + line
        samples[(name, labels)] = float(value)
    return samples, types


def scrape(daemon):
    status, body = fetch(daemon.endpoint + "/metrics")
    assert status == 200
    return parse(body.decode())


def test_format_and_counters(daemon):
    lam = make_client(daemon.endpoint)
    name = unique("met")
    create(lam, name, echo_zip(), "provided.al2", "x")
    before, types = scrape(daemon)
    for family in ("lambdad_instances", "lambdad_async_queue_depth",
                   "lambdad_async_oldest_event_age_seconds"):
        assert types[family] == "gauge"
    label = 'function="%s"' % name
    for _ in range(3):
        invoke(lam, name, {"ok": True})
    r, _, _ = invoke(lam, name, {"fail": True})
    assert r.get("FunctionError") == "Unhandled"
    after, types = scrape(daemon)
    assert types["lambdad_invocations_total"] == "counter"
    assert types["lambdad_duration_seconds"] == "histogram"
    assert after[("lambdad_invocations_total", label)] == 4
    assert after[("lambdad_errors_total", label)] == 1
    assert after[("lambdad_duration_seconds_count", label)] == 4
    assert after[("lambdad_concurrent_executions", label)] == 0
    buckets = sorted(((float("inf") if dict(re.findall(r'(\w+)="([^"]*)"', lab))["le"] == "+Inf"
                       else float(dict(re.findall(r'(\w+)="([^"]*)"', lab))["le"])), v)
                     for (n, lab), v in after.items()
                     if n == "lambdad_duration_seconds_bucket" and label in lab)
    assert buckets[-1] == (float("inf"), 4)
    assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), "buckets must be cumulative"
    assert after[("lambdad_instances", "")] >= 1
    assert ("lambdad_invocations_total", label) not in before


def test_concurrency_gauge_and_throttles(daemon_factory):
    d = daemon_factory("--concurrency", "1")
    lam = make_client(d.endpoint)
    name = unique("met-busy")
    create(lam, name, echo_zip(), "provided.al2", "x", Timeout=10)
    label = 'function="%s"' % name
    t = threading.Thread(target=invoke, args=(lam, name, {"sleep_ms": 1500}))
    t.start()
    deadline = time.monotonic() + 5
    seen = 0
    while time.monotonic() < deadline:
        samples, _ = scrape(d)
        seen = samples.get(("lambdad_concurrent_executions", label), 0)
        if seen == 1:
            break
        time.sleep(0.05)
    assert seen == 1
    lam2 = make_client(d.endpoint)
    try:
        lam2.invoke(FunctionName=name, Payload=b"{}")
    except lam2.exceptions.TooManyRequestsException:
        pass
    t.join(10)
    samples, _ = scrape(d)
    assert samples[("lambdad_throttles_total", label)] >= 1
    assert samples[("lambdad_concurrent_executions", label)] == 0
