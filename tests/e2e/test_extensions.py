"""Extensions (issue 5, item 4, and its extensions acceptance bullet): executables in
/opt/extensions (from layers) start before the runtime and speak the Extensions API 2020-01-01:
register, event/next with INVOKE and SHUTDOWN events, init/error, exit/error; init completes when
the runtime and every extension asked for an event, an invocation when the runtime answered and
every extension asked again; Init Duration includes extension start; failures give AWS's errors
(Extension.Crash, Extension.InitError, Extension.LaunchError, the init timeout); internal
extensions register from the runtime process during init."""

import json
import re
import time

import pytest

from conftest import create, invoke, make_zip, unique

PY = "python3.12"
FAST = 1769  # one vCPU: extension processes share the instance's CPU quota

# A shell extension (curl) that logs every event it gets and exits on SHUTDOWN. After an INVOKE it
# waits $EXT_POST_SLEEP seconds before asking for the next event (post-invocation work).
SHELL_EXT = r"""#!/bin/sh
set -e
NAME=$(basename "$0")
API="http://${AWS_LAMBDA_RUNTIME_API}/2020-01-01/extension"
H=$(mktemp)
BODY=$(curl -sS -D "$H" -XPOST "$API/register" -H "Lambda-Extension-Name: $NAME" \
    -d '{"events":["INVOKE","SHUTDOWN"]}')
ID=$(grep -i '^lambda-extension-identifier:' "$H" | tr -d '\r' | cut -d' ' -f2)
echo "[$NAME] registered $BODY"
while true; do
  EV=$(curl -sS -H "Lambda-Extension-Identifier: $ID" "$API/event/next")
  echo "[$NAME] event $EV"
  case "$EV" in
    *SHUTDOWN*) echo "[$NAME] bye"; exit 0;;
  esac
  if [ -n "$EXT_POST_SLEEP" ]; then sleep "$EXT_POST_SLEEP"; echo "[$NAME] post done"; fi
  if [ -n "$EXT_CRASH_ON_INVOKE" ]; then echo "[$NAME] crashing"; exit 2; fi
done
"""

# A Python extension: sleeps before registering (so that Init Duration shows it), then logs the
# JSON of every event on one line.
PY_EXT = r"""#!/usr/bin/python3
import json, os, sys, time, urllib.request
name = os.path.basename(sys.argv[0])
api = "http://%s/2020-01-01/extension" % os.environ["AWS_LAMBDA_RUNTIME_API"]
time.sleep(float(os.environ.get("EXT_INIT_SLEEP", "0")))
req = urllib.request.Request(api + "/register", method="POST",
                             data=json.dumps({"events": ["INVOKE", "SHUTDOWN"]}).encode(),
                             headers={"Lambda-Extension-Name": name,
                                      "Lambda-Extension-Accept-Feature": "accountId"})
with urllib.request.urlopen(req) as r:
    ext_id = r.headers["Lambda-Extension-Identifier"]
    print("[%s] registered %s" % (name, r.read().decode()), flush=True)
print("[%s] env handler=%s task_root=%s" % (name, os.environ.get("_HANDLER"),
                                            os.environ.get("LAMBDA_TASK_ROOT")), flush=True)
while True:
    req = urllib.request.Request(api + "/event/next", headers={"Lambda-Extension-Identifier": ext_id})
    with urllib.request.urlopen(req) as r:
        ev = json.loads(r.read())
        eid = r.headers.get("Lambda-Extension-Event-Identifier")
    print("[%s] event %s id=%s" % (name, json.dumps(ev, sort_keys=True), eid), flush=True)
    if ev["eventType"] == "SHUTDOWN":
        sys.exit(0)
"""

FN_PY = """import json, os, time
def handler(event, context):
    if event.get("sleep"):
        time.sleep(event["sleep"])
    print("handler ran", context.aws_request_id)
    return {"ok": True, "id": context.aws_request_id}
"""


def layer(lam, files):
    """Publishes a layer from {path: content}; returns its version ARN."""
    z = make_zip({k: (v, 0o755) if k.startswith("extensions/") else v for k, v in files.items()})
    return lam.publish_layer_version(LayerName=unique("ext"), Content={"ZipFile": z})["LayerVersionArn"]


def function(lam, layers, env=None, **kw):
    name = unique("fn-ext")
    kw.setdefault("MemorySize", FAST)
    create(lam, name, make_zip({"index.py": FN_PY}), PY, Layers=layers,
           Environment={"Variables": env or {}}, **kw)
    return name


def log_lines(daemon, name):
    rows = daemon.db_rows("SELECT msg FROM log_events WHERE grp = ? ORDER BY id", ("/aws/lambda/" + name,))
    return [r[0] for r in rows]


def wait_log(daemon, name, pred, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = log_lines(daemon, name)
        if any(pred(l) for l in lines):
            return lines
        time.sleep(0.1)
    raise AssertionError("log line not seen; log:\n" + "\n".join(log_lines(daemon, name)))


def events_of(lines, ext):
    out = []
    for l in lines:
        m = re.match(r"\[%s\] event (\{.*\})" % re.escape(ext), l)
        if m:
            out.append(json.loads(m.group(1)))
    return out


def report(lines, rid):
    for l in lines:
        if l.startswith("REPORT RequestId: " + rid):
            return l
    return None


def test_shell_extension_gets_invoke_and_shutdown(daemon, lam):
    arn = layer(lam, {"extensions/shext": SHELL_EXT})
    name = function(lam, [arn])
    rids = []
    for _ in range(2):
        r, _, out = invoke(lam, name, {})
        assert r["StatusCode"] == 200 and "FunctionError" not in r, out
        rids.append(out["id"])
        # The instance is free again once its extension asked for the next event (REPORT).
        lines = wait_log(daemon, name, lambda l: l.startswith("REPORT RequestId: " + out["id"]))
    # Registration answered with the function's identity.
    reg = [l for l in lines if l.startswith("[shext] registered ")]
    assert len(reg) == 1
    assert json.loads(reg[0].split(" ", 2)[2]) == {"functionName": name, "functionVersion": "$LATEST",
                                                 "handler": "index.handler"}
    assert "EXTENSION\tName: shext\tState: Ready\tEvents: [INVOKE,SHUTDOWN]" in lines
    # One INVOKE per invocation, in order, with AWS's fields.
    invokes = [e for e in events_of(lines, "shext") if e["eventType"] == "INVOKE"]
    assert [e["requestId"] for e in invokes] == rids
    fn_arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    for e in invokes:
        assert set(e) == {"eventType", "deadlineMs", "requestId", "invokedFunctionArn", "tracing"}
        assert e["invokedFunctionArn"] == fn_arn
        assert e["deadlineMs"] > time.time() * 1000 - 60000
        assert e["tracing"]["type"] == "X-Amzn-Trace-Id" and e["tracing"]["value"].startswith("Root=1-")
    # Only the first invocation was cold.
    assert "Init Duration" in report(lines, rids[0]) and "Init Duration" not in report(lines, rids[1])
    # An update retires the idle instance: its extension gets SHUTDOWN (spindown) and exits.
    before = time.time() * 1000
    lam.update_function_configuration(FunctionName=name, Description="retire")
    lines = wait_log(daemon, name, lambda l: l == "[shext] bye")
    shut = [e for e in events_of(lines, "shext") if e["eventType"] == "SHUTDOWN"]
    assert len(shut) == 1 and set(shut[0]) == {"eventType", "shutdownReason", "deadlineMs"}
    assert shut[0]["shutdownReason"] == "spindown"
    assert before + 1000 < shut[0]["deadlineMs"] < time.time() * 1000 + 3000
    assert not any("Extension.Crash" in l for l in lines)


def test_python_extension_and_init_duration(daemon, lam):
    arn = layer(lam, {"extensions/pyext": PY_EXT})
    name = function(lam, [arn], env={"EXT_INIT_SLEEP": "0.6"})
    r, _, out = invoke(lam, name, {}, LogType="Tail")
    assert r["StatusCode"] == 200 and "FunctionError" not in r, out
    lines = wait_log(daemon, name, lambda l: l.startswith("REPORT RequestId: " + out["id"]))
    rep = report(lines, out["id"])
    init_ms = float(re.search(r"Init Duration: ([0-9.]+) ms", rep).group(1))
    assert init_ms >= 600, rep  # the extension's start is part of init
    reg = [l for l in lines if l.startswith("[pyext] registered ")][0]
    body = json.loads(reg.split(" ", 2)[2])
    assert body["accountId"] == "000000000000" and body["functionName"] == name
    # Runtime-only variables are not in an extension's environment, as on AWS.
    assert "[pyext] env handler=None task_root=None" in lines
    ev = events_of(lines, "pyext")[0]
    assert ev["eventType"] == "INVOKE" and ev["requestId"] == out["id"]
    assert any(re.search(r"id=[0-9a-f-]{36}$", l) for l in lines if l.startswith("[pyext] event"))
    # The extension started before the runtime: its registration precedes the handler's output.
    assert lines.index(reg) < next(i for i, l in enumerate(lines) if l.startswith("handler ran"))


def test_two_extensions_from_two_layers_later_layer_wins(daemon, lam):
    first = layer(lam, {"extensions/a": SHELL_EXT.replace('echo "[$NAME] registered', 'echo "[$NAME] old registered'),
                        "extensions/b": SHELL_EXT})
    second = layer(lam, {"extensions/a": SHELL_EXT})
    name = function(lam, [first, second])
    r, _, out = invoke(lam, name, {})
    assert "FunctionError" not in r, out
    lines = wait_log(daemon, name, lambda l: l.startswith("REPORT RequestId: " + out["id"]))
    for ext in ("a", "b"):
        assert [e["requestId"] for e in events_of(lines, ext)] == [out["id"]]
    assert not any("old registered" in l for l in lines)


def test_invocation_waits_for_extensions_and_duration_includes_them(daemon, lam):
    arn = layer(lam, {"extensions/slow": SHELL_EXT})
    name = function(lam, [arn], env={"EXT_POST_SLEEP": "0.8"})
    _, _, warm = invoke(lam, name, {})  # cold start out of the way
    wait_log(daemon, name, lambda l: l.startswith("REPORT RequestId: " + warm["id"]))
    t0 = time.monotonic()
    r, _, out = invoke(lam, name, {})
    answered = time.monotonic() - t0
    assert "FunctionError" not in r, out
    lines = wait_log(daemon, name, lambda l: l.startswith("REPORT RequestId: " + out["id"]))
    dur = float(re.search(r"Duration: ([0-9.]+) ms", report(lines, out["id"])).group(1))
    assert dur >= 800, report(lines, out["id"])
    # The caller got the response when the runtime sent it, not after the extension's work.
    assert answered * 1000 < dur
    # END comes after the extension finished.
    assert lines.index("[slow] post done", lines.index("START RequestId: " + out["id"] + " Version: $LATEST")) \
        < lines.index("END RequestId: " + out["id"])


def test_extension_overrunning_the_timeout_resets_the_instance(daemon, lam):
    arn = layer(lam, {"extensions/slow": SHELL_EXT})
    # Busy 3 s after INVOKE: past the 2 s timeout, within the 2 s Shutdown phase that follows.
    name = function(lam, [arn], env={"EXT_POST_SLEEP": "3"}, Timeout=2)
    r, _, out = invoke(lam, name, {})
    assert "FunctionError" not in r, out  # the runtime answered in time
    lines = wait_log(daemon, name, lambda l: l == "[slow] bye", timeout=20)
    assert any(re.search(r"%s Task timed out after 2\.00 seconds" % out["id"], l) for l in lines)
    shut = [e for e in events_of(lines, "slow") if e["eventType"] == "SHUTDOWN"]
    assert shut and shut[0]["shutdownReason"] == "timeout"
    assert report(lines, out["id"]) is not None
    # The next invocation gets a fresh instance.
    r, _, out2 = invoke(lam, name, {})
    assert "FunctionError" not in r, out2
    lines = wait_log(daemon, name, lambda l: l.startswith("REPORT RequestId: " + out2["id"]), timeout=20)
    assert "Init Duration" in report(lines, out2["id"])


def test_extension_that_exits_without_registering(daemon, lam):
    arn = layer(lam, {"extensions/quitter": "#!/bin/sh\necho quitting\nexit 3\n"})
    name = function(lam, [arn])
    r, _, out = invoke(lam, name, {})
    assert r["FunctionError"] == "Unhandled"
    rid = r["ResponseMetadata"]["RequestId"]
    assert out == {"errorType": "Extension.Crash", "errorMessage": "RequestId: %s Error: exit code 3" % rid}
    lines = wait_log(daemon, name, lambda l: l.startswith("REPORT RequestId: " + rid))
    assert "EXTENSION\tName: quitter\tState: Started\tEvents: []\tError Type: Extension.Crash" in lines


def test_extension_init_error(daemon, lam):
    ext = r"""#!/bin/sh
API="http://${AWS_LAMBDA_RUNTIME_API}/2020-01-01/extension"
H=$(mktemp)
curl -sS -D "$H" -o /dev/null -XPOST "$API/register" -H "Lambda-Extension-Name: bad" -d '{"events":["INVOKE"]}'
ID=$(grep -i '^lambda-extension-identifier:' "$H" | tr -d '\r' | cut -d' ' -f2)
curl -sS -o /dev/null -w "init/error %{http_code}\n" -XPOST "$API/init/error" -H "Lambda-Extension-Identifier: $ID" \
    -H "Lambda-Extension-Function-Error-Type: Extension.ConfigInvalid" -d '{"errorMessage":"no config","errorType":"ConfigInvalid"}'
exit 0
"""
    name = function(lam, [layer(lam, {"extensions/bad": ext})])
    r, _, out = invoke(lam, name, {})
    rid = r["ResponseMetadata"]["RequestId"]
    assert out == {"errorType": "Extension.InitError", "errorMessage": "RequestId: %s Error: exit code 0" % rid}
    lines = wait_log(daemon, name, lambda l: l.startswith("REPORT RequestId: " + rid))
    assert "init/error 202" in lines
    assert "EXTENSION\tName: bad\tState: InitError\tEvents: [INVOKE]\tError Type: Extension.InitError" in lines


def test_extension_that_cannot_be_executed(daemon, lam):
    name = function(lam, [layer(lam, {"extensions/broken": "#!/nonexistent/interpreter\n"})])
    r, _, out = invoke(lam, name, {})
    rid = r["ResponseMetadata"]["RequestId"]
    assert out["errorType"] == "Extension.LaunchError"
    assert out["errorMessage"] == ("RequestId: %s Error: fork/exec /opt/extensions/broken: "
                                   "no such file or directory" % rid)


def test_extension_that_never_registers_fails_init(daemon, lam):
    name = function(lam, [layer(lam, {"extensions/sleeper": "#!/bin/sh\nexec sleep 60\n"})], Timeout=30)
    t0 = time.monotonic()
    r, _, out = invoke(lam, name, {})
    took = time.monotonic() - t0
    assert r["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.Unknown"
    assert out["errorMessage"] == "Init phase timed out after 10.00 seconds"
    assert 9.5 <= took < 20
    rid = r["ResponseMetadata"]["RequestId"]
    lines = wait_log(daemon, name, lambda l: l.startswith("REPORT RequestId: " + rid))
    # The runtime never started: the handler module was not even loaded.
    assert not any(l.startswith("handler ran") for l in lines)


def test_extension_crash_after_init_fails_the_invocation_and_resets(daemon, lam):
    arn = layer(lam, {"extensions/crashy": SHELL_EXT})
    name = function(lam, [arn], env={"EXT_CRASH_ON_INVOKE": "1"})
    r, _, out = invoke(lam, name, {"sleep": 2})
    rid = r["ResponseMetadata"]["RequestId"]
    assert r["FunctionError"] == "Unhandled"
    assert out == {"errorType": "Extension.Crash", "errorMessage": "RequestId: %s Error: exit code 2" % rid}
    # A fresh instance serves the next one (and its extension crashes again only on INVOKE).
    r, _, out = invoke(lam, name, {})
    assert r["ResponseMetadata"]["RequestId"] != rid


# An internal extension: the runtime process registers it during init (module load) and serves
# its events on a thread. The module also probes the API's error answers.
INTERNAL_FN = r"""import json, os, threading, urllib.request, urllib.error
API = "http://%s/2020-01-01/extension" % os.environ["AWS_LAMBDA_RUNTIME_API"]
EVENTS = []

def call(method, path, body=None, headers=None):
    req = urllib.request.Request(API + path, method=method, headers=headers or {},
                                 data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, dict(r.headers), json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read() or b"null")

PROBES = {}
PROBES["no_name"] = call("POST", "/register", {"events": ["INVOKE"]})[::2]
PROBES["shutdown_internal"] = call("POST", "/register", {"events": ["SHUTDOWN"]},
                                   {"Lambda-Extension-Name": "inproc"})[::2]
PROBES["bad_event"] = call("POST", "/register", {"events": ["BOGUS"]}, {"Lambda-Extension-Name": "inproc"})[::2]
PROBES["bad_json"] = call("POST", "/register", None, {"Lambda-Extension-Name": "inproc"})[::2]
status, headers, body = call("POST", "/register", {"events": ["INVOKE"]}, {"Lambda-Extension-Name": "inproc"})
EXT_ID = {k.lower(): v for k, v in headers.items()}["lambda-extension-identifier"]
PROBES["ok"] = (status, body)
PROBES["again"] = call("POST", "/register", {"events": ["INVOKE"]}, {"Lambda-Extension-Name": "inproc"})[::2]
PROBES["next_no_id"] = call("GET", "/event/next")[::2]
PROBES["next_unknown"] = call("GET", "/event/next", None,
                              {"Lambda-Extension-Identifier": "00000000-0000-4000-8000-000000000000"})[::2]
PROBES["error_no_type"] = call("POST", "/exit/error", {}, {"Lambda-Extension-Identifier": EXT_ID})[::2]

def loop():
    while True:
        EVENTS.append(call("GET", "/event/next", None, {"Lambda-Extension-Identifier": EXT_ID})[2])

threading.Thread(target=loop, daemon=True).start()

def handler(event, context):
    late = call("POST", "/register", {"events": ["INVOKE"]}, {"Lambda-Extension-Name": "late"})[::2]
    return {"probes": PROBES, "late": late, "events": EVENTS, "id": context.aws_request_id}
"""


def test_internal_extension_and_api_errors(daemon, lam):
    name = unique("fn-int")
    create(lam, name, make_zip({"index.py": INTERNAL_FN}), PY, MemorySize=FAST)
    _, _, out = invoke(lam, name, {})
    p = out["probes"]
    assert p["no_name"] == [403, {"errorType": "Extension.InvalidExtensionName", "errorMessage": "Empty extension name"}]
    assert p["shutdown_internal"][0] == 403 and p["shutdown_internal"][1]["errorType"] == "Extension.InvalidEventType"
    assert p["bad_event"][0] == 403 and p["bad_event"][1]["errorType"] == "Extension.InvalidEventType"
    assert p["bad_json"][0] == 400 and p["bad_json"][1]["errorType"] == "InvalidRequestFormat"
    assert p["ok"] == [200, {"functionName": name, "functionVersion": "$LATEST", "handler": "index.handler"}]
    assert p["again"][0] == 403 and p["again"][1]["errorType"] == "Extension.AlreadyRegistered"
    assert p["next_no_id"][0] == 403 and p["next_no_id"][1]["errorType"] == "Extension.MissingExtensionIdentifier"
    assert p["next_unknown"][0] == 403 and p["next_unknown"][1]["errorType"] == "Extension.UnknownExtensionIdentifier"
    assert p["error_no_type"][0] == 403 and p["error_no_type"][1]["errorType"] == "Extension.MissingHeader"
    assert out["late"] == [403, {"errorType": "Extension.RegistrationClosed",
                                 "errorMessage": "Extension registration is closed"}]
    # The internal extension got this invocation's INVOKE; the next call sees both.
    _, _, out2 = invoke(lam, name, {})
    ids = [e["requestId"] for e in out2["events"]]
    assert ids[0] == out["id"] and set(ids) <= {out["id"], out2["id"]}
    assert all(e["eventType"] == "INVOKE" for e in out2["events"])


# A Telemetry API subscriber: an HTTP listener on sandbox.localdomain that appends every record it
# receives to /tmp/telemetry.jsonl, which the function (same instance, same /tmp) reads back.
TELE_EXT = r"""#!/usr/bin/python3
import json, os, sys, threading, urllib.request, urllib.error
from http.server import BaseHTTPRequestHandler, HTTPServer
name = os.path.basename(sys.argv[0])
api = "http://%s" % os.environ["AWS_LAMBDA_RUNTIME_API"]

class Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        batch = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with open("/tmp/telemetry.jsonl", "a") as f:
            for rec in batch:
                f.write(json.dumps(rec) + "\n")
        self.send_response(200)
        self.end_headers()
    def log_message(self, *a):
        pass

server = HTTPServer(("sandbox.localdomain", 4243), Sink)
threading.Thread(target=server.serve_forever, daemon=True).start()

def call(method, path, body, headers):
    req = urllib.request.Request(api + path, method=method, data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()

_, h, _ = call("POST", "/2020-01-01/extension/register", {"events": ["INVOKE"]}, {"Lambda-Extension-Name": name})
ext_id = h["Lambda-Extension-Identifier"]
sub = {"schemaVersion": "2022-12-13", "types": ["platform", "function", "extension"],
       "buffering": {"maxItems": 1000, "maxBytes": 262144, "timeoutMs": 25},
       "destination": {"protocol": "HTTP", "URI": "http://sandbox.localdomain:4243/telemetry"}}
bad = dict(sub, buffering={"maxItems": 5})
results = {"bad": call("PUT", "/2022-07-01/telemetry", bad, {"Lambda-Extension-Identifier": ext_id})[::2],
           "no_id": call("PUT", "/2022-07-01/telemetry", sub, {})[::2],
           "ok": call("PUT", "/2022-07-01/telemetry", sub, {"Lambda-Extension-Identifier": ext_id})[::2]}
with open("/tmp/subscribe.json", "w") as f:
    json.dump(results, f)
print("subscribed", flush=True)
while True:
    req = urllib.request.Request(api + "/2020-01-01/extension/event/next", headers={"Lambda-Extension-Identifier": ext_id})
    urllib.request.urlopen(req).read()
"""

TELE_FN = r"""import json, os, time
def handler(event, context):
    print("hello from the handler", context.aws_request_id)
    time.sleep(event.get("settle", 0))
    # Records come in batches (buffering timeoutMs): the first may not have arrived yet.
    path = "/tmp/telemetry.jsonl"
    recs = [json.loads(l) for l in open(path)] if os.path.exists(path) else []
    return {"id": context.aws_request_id, "subscribe": json.load(open("/tmp/subscribe.json")), "records": recs}
"""


def test_telemetry_api_delivers_platform_function_and_extension_records(daemon, lam):
    name = unique("fn-tele")
    create(lam, name, make_zip({"index.py": TELE_FN}), PY, MemorySize=FAST,
           Layers=[layer(lam, {"extensions/telex": TELE_EXT})])
    _, _, first = invoke(lam, name, {})
    wait_log(daemon, name, lambda l: l.startswith("REPORT RequestId: " + first["id"]))
    _, _, out = invoke(lam, name, {"settle": 0.5})
    sub = out["subscribe"]
    assert sub["ok"] == [200, "OK"]
    assert sub["bad"][0] == 400 and json.loads(sub["bad"][1])["errorType"] == "ValidationError"
    assert sub["no_id"][0] == 403
    recs = out["records"]
    types = [r["type"] for r in recs]
    for t in ("platform.initStart", "platform.telemetrySubscription", "platform.extension",
              "platform.initRuntimeDone", "platform.initReport", "platform.start", "platform.runtimeDone",
              "platform.report"):
        assert t in types, (t, types)
    for r in recs:
        assert set(r) == {"time", "type", "record"} and re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", r["time"])
    by = lambda t: [r["record"] for r in recs if r["type"] == t]
    assert by("platform.telemetrySubscription")[0] == {"name": "telex", "state": "Subscribed",
                                                      "types": ["platform", "function", "extension"]}
    assert by("platform.extension")[0] == {"name": "telex", "state": "Ready", "events": ["INVOKE"]}
    assert by("platform.initReport")[0]["metrics"]["durationMs"] > 0
    first_report = [r for r in by("platform.report") if r["requestId"] == first["id"]][0]
    assert first_report["status"] == "success"
    assert set(first_report["metrics"]) == {"durationMs", "billedDurationMs", "memorySizeMB", "maxMemoryUsedMB",
                                            "initDurationMs"}
    assert first_report["metrics"]["memorySizeMB"] == FAST
    assert [r["requestId"] for r in by("platform.start")][:2] == [first["id"], out["id"]]
    assert "hello from the handler %s" % first["id"] in by("function")
    assert "subscribed" in by("extension")
    # The order of one invocation: start, its function output, runtimeDone, report.
    seq = [r["type"] for r in recs if r["type"] in ("platform.start", "platform.runtimeDone", "platform.report")
           or (r["type"] == "function" and first["id"] in r["record"])]
    assert seq[:4] == ["platform.start", "function", "platform.runtimeDone", "platform.report"]


def test_telemetry_over_tcp_sends_ndjson(daemon, lam):
    ext = TELE_EXT.replace('''class Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        batch = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with open("/tmp/telemetry.jsonl", "a") as f:
            for rec in batch:
                f.write(json.dumps(rec) + "\\n")
        self.send_response(200)
        self.end_headers()
    def log_message(self, *a):
        pass

server = HTTPServer(("sandbox.localdomain", 4243), Sink)''', '''import socketserver
class Sink(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            json.loads(line)  # one record per line
            with open("/tmp/telemetry.jsonl", "ab") as f:
                f.write(line)

server = socketserver.ThreadingTCPServer(("sandbox.localdomain", 4244), Sink)''').replace(
        '"destination": {"protocol": "HTTP", "URI": "http://sandbox.localdomain:4243/telemetry"}',
        '"destination": {"protocol": "TCP", "port": 4244}')
    assert "ThreadingTCPServer" in ext and '"TCP"' in ext
    name = unique("fn-tcp")
    create(lam, name, make_zip({"index.py": TELE_FN}), PY, MemorySize=FAST,
           Layers=[layer(lam, {"extensions/tcpx": ext})])
    _, _, first = invoke(lam, name, {})
    wait_log(daemon, name, lambda l: l.startswith("REPORT RequestId: " + first["id"]))
    _, _, out = invoke(lam, name, {"settle": 0.5})
    assert out["subscribe"]["ok"] == [200, "OK"]
    types = [r["type"] for r in out["records"]]
    assert "platform.telemetrySubscription" in types and "platform.report" in types
    assert any(r["type"] == "function" and first["id"] in r["record"] for r in out["records"])


def test_more_than_ten_extensions_are_refused(daemon, lam):
    files = {"extensions/e%02d" % i: "#!/bin/sh\nexec sleep 30\n" for i in range(11)}
    name = function(lam, [layer(lam, files)])
    r, _, out = invoke(lam, name, {})
    rid = r["ResponseMetadata"]["RequestId"]
    assert r["FunctionError"] == "Unhandled"
    assert out == {"errorType": "Extension.TooManyExtensions",
                   "errorMessage": "RequestId: %s Error: more than 10 extensions in /opt/extensions" % rid}
