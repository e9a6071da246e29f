"""Shared fixtures for the lambdad end-to-end tests.

Every test module gets its own daemon (a real lambdad process) on a free port
with a fresh data directory. Tests talk to it the way users do: boto3 1.26 in
process, Debian's AWS CLI 2.9 (/usr/bin/aws) as a subprocess, and, when they are
installed, the newer pair found on PATH (AWS CLI v1 / botocore 1.43 and a
pyenv python3 with boto3 1.43) as subprocesses. A raw HTTP helper sends the
malformed requests no SDK would send.

Environment:
  LAMBDAD_BIN   daemon binary (default: build/lambdad in this repository)
"""

import base64
import hashlib
import http.client
import io
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
import uuid
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]
E2E = Path(__file__).resolve().parent
FUNCTIONS = E2E / "functions"
LAMBDAD_BIN = os.environ.get("LAMBDAD_BIN", str(REPO / "build" / "lambdad"))
ECHO_BIN = REPO / "build" / "runtimes" / "c" / "examples" / "echo"
DEBIAN_AWS = "/usr/bin/aws"
DEBIAN_PYTHON = "/usr/bin/python3"
ROLE = "arn:aws:iam::123456789012:role/lambda-role"

START_TIMEOUT = 15  # seconds for the daemon to answer /_lambdad/health
STOP_TIMEOUT = 15  # seconds for the daemon to exit after SIGTERM
CLI_TIMEOUT = 60  # cap for one CLI subprocess
TEST_TIMEOUT = 90  # hard cap per test

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_PAGER": "",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def _client_env():
    env = dict(os.environ)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_LAMBDA"):
        env.pop(key, None)
    env.update(AWS_ENV)
    env["AWS_CONFIG_FILE"] = "/nonexistent/lambdad-e2e/config"
    env["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/lambdad-e2e/credentials"
    return env


CLIENT_ENV = _client_env()
os.environ.update(AWS_ENV)
os.environ["AWS_CONFIG_FILE"] = CLIENT_ENV["AWS_CONFIG_FILE"]
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = CLIENT_ENV["AWS_SHARED_CREDENTIALS_FILE"]


@pytest.fixture(autouse=True)
def hard_timeout():
    """Fail (rather than hang) any test that runs longer than TEST_TIMEOUT."""

    def expired(signum, frame):
        raise TimeoutError("test exceeded %d s" % TEST_TIMEOUT)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(TEST_TIMEOUT)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------- the daemon


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """One lambdad process. start()/stop() may be repeated on the same data dir."""

    def __init__(self, data_dir, args=(), port=None):
        self.data_dir = Path(data_dir)
        self.args = list(args)
        self.port = port or free_port()
        self.proc = None
        self.log_path = self.data_dir.parent / (self.data_dir.name + ".log")
        self.exit_codes = []

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        assert os.access(LAMBDAD_BIN, os.X_OK), "daemon binary missing: %s (run make build)" % LAMBDAD_BIN
        self.data_dir.mkdir(parents=True, exist_ok=True)
        argv = [LAMBDAD_BIN, "--listen", "127.0.0.1:%d" % self.port, "--data-dir", str(self.data_dir),
                "--log-level", "debug"] + self.args
        log = open(self.log_path, "ab")
        log.write(("\n==== %s\n" % " ".join(argv)).encode())
        log.flush()
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("lambdad exited during start (rc %s):\n%s" % (self.proc.returncode, self.log_tail()))
            try:
                status, _, body = self.raw("GET", "/_lambdad/health", timeout=2)
                if status == 200:
                    return json.loads(body)
            except OSError:
                pass
            time.sleep(0.05)
        self.proc.kill()
        self.proc.wait(timeout=5)
        self.proc = None
        raise AssertionError("lambdad not healthy within %d s:\n%s" % (START_TIMEOUT, self.log_tail()))

    def stop(self):
        """SIGTERM, wait (bounded), return the exit status."""
        if self.proc is None or self.proc.poll() is not None:
            rc = None if self.proc is None else self.proc.returncode
            self.proc = None
            return rc
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            rc = "timeout"
        self.proc = None
        self.exit_codes.append(rc)
        return rc

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=60):
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def raw(self, method, path, body=None, headers=None, timeout=30):
        return raw_request(self.port, method, path, body, headers, timeout)

    def health(self):
        status, _, body = self.raw("GET", "/_lambdad/health", timeout=5)
        assert status == 200, body
        return json.loads(body)

    def db_rows(self, sql, params=()):
        """Read-only query of the daemon's SQLite database."""
        uri = "file:%s?mode=ro" % (self.data_dir / "lambdad.db")
        con = sqlite3.connect(uri, uri=True, timeout=5)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()


@pytest.fixture(scope="module")
def daemon_factory(tmp_path_factory):
    """Starts extra daemons with custom flags; all are stopped (and checked) at module end."""
    started = []

    def make(*args, data_dir=None):
        d = Daemon(data_dir or tmp_path_factory.mktemp("lambdad") / "data", args)
        d.start()
        started.append(d)
        return d

    yield make
    close_clients()
    failures = []
    for d in started:  # stop every daemon before reporting any failure
        rc = d.stop()
        if rc not in (0, None):
            failures.append("lambdad exited with %r on SIGTERM (crash or sanitizer report?):\n%s"
                            % (rc, d.log_tail()))
    if failures:
        pytest.fail("\n\n".join(failures))


@pytest.fixture(scope="module")
def daemon(daemon_factory):
    """The module's daemon with default flags."""
    return daemon_factory()


# ---------------------------------------------------------------- clients


_CLIENTS = []


def close_clients():
    """Closes the pooled keep-alive connections of every boto3 client made here (done before a
    daemon is stopped, so that teardown checks the exit status; test_restart covers SIGTERM with
    open connections on purpose)."""
    while _CLIENTS:
        try:
            _CLIENTS.pop()._endpoint.http_session.close()
        except Exception:
            pass


def make_client(endpoint, read_timeout=60, pool=50):
    cfg = Config(retries={"total_max_attempts": 1}, read_timeout=read_timeout, connect_timeout=5,
                 max_pool_connections=pool, parameter_validation=True)
    c = boto3.client("lambda", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id="test", aws_secret_access_key="test", config=cfg)
    _CLIENTS.append(c)
    return c


@pytest.fixture(scope="module")
def lam(daemon):
    """boto3 1.26 (Debian) Lambda client on the module's daemon."""
    return make_client(daemon.endpoint)


def run_cli(aws, endpoint, *args, input=None, cwd=None, check=False):
    """Runs an AWS CLI; returns CompletedProcess (text)."""
    argv = [aws, "--endpoint-url", endpoint, "--region", "us-east-1"] + list(args)
    p = subprocess.run(argv, capture_output=True, text=True, env=CLIENT_ENV, cwd=cwd, input=input,
                       timeout=CLI_TIMEOUT)
    if check and p.returncode != 0:
        raise AssertionError("%s failed (%d):\nstdout: %s\nstderr: %s" % (argv, p.returncode, p.stdout, p.stderr))
    return p


def cli_json(aws, endpoint, *args, **kw):
    p = run_cli(aws, endpoint, *args, check=True, **kw)
    return json.loads(p.stdout) if p.stdout.strip() else None


def cli_error_code(stderr):
    """The error code from CLI stderr: 'An error occurred (Code) when calling ...'."""
    import re

    m = re.search(r"An error occurred \(([^)]+)\)", stderr)
    return m.group(1) if m else None


def _path_tool(name, debian_path):
    """The tool on PATH when it is not the Debian one, else None."""
    found = shutil.which(name)
    if not found:
        return None
    try:
        if os.path.realpath(found) == os.path.realpath(debian_path):
            return None
    except OSError:
        return None
    return found


@pytest.fixture(scope="session")
def new_aws():
    """The newer AWS CLI on PATH (pyenv CLI v1 / botocore 1.43); skipped when absent."""
    aws = _path_tool("aws", DEBIAN_AWS)
    if aws is None:
        pytest.skip("no AWS CLI on PATH besides /usr/bin/aws")
    p = subprocess.run([aws, "--version"], capture_output=True, text=True, env=CLIENT_ENV, timeout=CLI_TIMEOUT)
    if p.returncode != 0:
        pytest.skip("PATH aws does not run: %s" % (p.stderr or p.stdout).strip()[:200])
    return {"path": aws, "version": (p.stdout + p.stderr).strip()}


@pytest.fixture(scope="session")
def new_python():
    """A python3 on PATH (not /usr/bin/python3) that imports boto3; skipped when absent."""
    py = _path_tool("python3", DEBIAN_PYTHON)
    if py is None:
        pytest.skip("no python3 on PATH besides /usr/bin/python3")
    p = subprocess.run([py, "-c", "import boto3, botocore; print(boto3.__version__, botocore.__version__)"],
                       capture_output=True, text=True, env=CLIENT_ENV, timeout=CLI_TIMEOUT)
    if p.returncode != 0:
        pytest.skip("PATH python3 has no boto3")
    return {"path": py, "version": p.stdout.strip()}


def run_new_python(new_python, endpoint, script, *args):
    """Runs a script with the newer boto3; the script prints one JSON document."""
    env = dict(CLIENT_ENV)
    env["ENDPOINT"] = endpoint
    p = subprocess.run([new_python["path"], "-c", script] + list(args), capture_output=True, text=True,
                       env=env, timeout=CLI_TIMEOUT)
    assert p.returncode == 0, "newer boto3 script failed:\n%s\n%s" % (p.stdout, p.stderr)
    return json.loads(p.stdout)


# ---------------------------------------------------------------- raw HTTP


def raw_request(port, method, path, body=None, headers=None, timeout=30):
    """One HTTP/1.1 request; returns (status, {lowercase header: value}, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if isinstance(body, str):
            body = body.encode()
        hdrs = {"Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/lambda/aws4_request, "
                                 "SignedHeaders=host, Signature=0"}
        hdrs.update(headers or {})
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        conn.close()


def assert_aws_error(status, headers, body, code, http_status=None):
    """Checks an AWS rest-json error: X-Amzn-ErrorType (as botocore reads it) and a JSON body with a message."""
    if http_status is not None:
        assert status == http_status, (status, headers, body)
    assert 400 <= status < 600, (status, body)
    etype = headers.get("x-amzn-errortype", "")
    parsed = etype.split(":")[0].split("#")[-1]
    doc = json.loads(body) if body else {}
    if not parsed:
        parsed = (doc.get("code") or doc.get("Code") or doc.get("__type") or "").split("#")[-1]
    assert parsed == code, (status, headers, body)
    assert isinstance(doc, dict) and (doc.get("message") or doc.get("Message")), body
    return doc


def client_error(fn, *args, **kwargs):
    """Calls fn expecting a botocore ClientError; returns the exception."""
    with pytest.raises(ClientError) as ei:
        fn(*args, **kwargs)
    return ei.value


def expect_code(code, fn, *args, http_status=None, **kwargs):
    e = client_error(fn, *args, **kwargs)
    assert e.response["Error"]["Code"] == code, e.response
    if http_status is not None:
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == http_status, e.response
    return e


# ---------------------------------------------------------------- zips and functions


def make_zip(files):
    """files: {name: bytes|str|Path|(content, mode)} -> zip bytes. Mode defaults to 0o755 for
    'bootstrap' and files that start with '#!', else 0o644."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, spec in sorted(files.items()):
            mode = None
            if isinstance(spec, tuple):
                spec, mode = spec
            if isinstance(spec, Path):
                spec = spec.read_bytes()
            if isinstance(spec, str):
                spec = spec.encode()
            if mode is None:
                mode = 0o755 if (name.endswith("bootstrap") or spec.startswith(b"#!")) else 0o644
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100000 | mode) << 16
            z.writestr(info, spec)
    return buf.getvalue()


def zip_dir(directory, extra=None):
    """Zips every file under directory (relative names), plus extra {name: content}."""
    directory = Path(directory)
    files = {}
    for p in sorted(directory.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            files[str(p.relative_to(directory))] = (p.read_bytes(), p.stat().st_mode & 0o777)
    files.update(extra or {})
    return make_zip(files)


def echo_zip():
    if not ECHO_BIN.exists():
        pytest.skip("C echo example not built (make build)")
    return make_zip({"bootstrap": (ECHO_BIN.read_bytes(), 0o755)})


def b64sha256(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def create(lam, name, zip_bytes, runtime, handler="index.handler", **kw):
    kw.setdefault("Role", ROLE)
    return lam.create_function(FunctionName=name, Runtime=runtime, Handler=handler,
                               Code={"ZipFile": zip_bytes}, **kw)


def invoke(lam, name, event=None, raw=None, **kw):
    """Invokes; returns (response, payload bytes, parsed payload or None)."""
    payload = raw if raw is not None else json.dumps(event if event is not None else {}).encode()
    r = lam.invoke(FunctionName=name, Payload=payload, **kw)
    body = r["Payload"].read()
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    return r, body, parsed


def request_id(resp):
    return resp["ResponseMetadata"]["RequestId"]


def decode_tail(resp):
    return base64.b64decode(resp["LogResult"]).decode("utf-8", "replace")


def fetch(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


# Function sources, zipped once per session.
@pytest.fixture(scope="session")
def python_zip():
    return zip_dir(FUNCTIONS / "python")


@pytest.fixture(scope="session")
def node_zip():
    return zip_dir(FUNCTIONS / "node")


@pytest.fixture(scope="session")
def pyruntime_zip():
    return zip_dir(FUNCTIONS / "pyruntime")


# ---------------------------------------------------------------- side-effect sink (async tests)


class Sink:
    """A small HTTP server in the test process that functions POST JSON documents to (they share
    the host network). Every document received is kept in order; waits are bounded."""

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        sink = self
        self.docs = []
        self.cond = threading.Condition()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, so a warm function reuses its connection

            def do_POST(self):  # noqa: N802 - http.server's naming
                n = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(n)
                try:
                    doc = json.loads(data)
                except ValueError:
                    doc = {"unparsable": data.decode("utf-8", "replace")}
                if isinstance(doc, dict):
                    doc.setdefault("_received", time.time())
                with sink.cond:
                    sink.docs.append(doc)
                    sink.cond.notify_all()
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()

    def select(self, pred):
        with self.cond:
            return [d for d in self.docs if pred(d)]

    def wait_for(self, pred, count=1, timeout=30):
        """Waits until at least count documents match pred; returns them (fails on timeout)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                got = [d for d in self.docs if pred(d)]
                left = deadline - time.monotonic()
                if len(got) >= count or left <= 0:
                    break
                self.cond.wait(min(left, 0.5))
        assert len(got) >= count, "sink: %d of %d expected documents within %s s: %s" % (
            len(got), count, timeout, got[-3:])
        return got

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def sink():
    s = Sink()
    yield s
    s.close()


def kill_daemon(d):
    """kill -9 of a Daemon (no clean shutdown); it can be start()ed again on the same data dir."""
    if d.proc is not None:
        d.proc.kill()
        d.proc.wait(timeout=10)
        d.exit_codes.append("SIGKILL")
    d.proc = None


def extend_timeout(seconds):
    """Re-arms the per-test hard timeout (hard_timeout) for a test that needs longer."""
    signal.alarm(seconds)
