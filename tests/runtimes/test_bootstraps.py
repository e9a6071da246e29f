"""Tests for the managed-runtime bootstraps (runtimes/python, runtimes/nodejs).

Each test writes handler code to a temporary task root, starts the bootstrap as
a real subprocess the way lambdad does (same argv, cwd and environment) against
a mock Runtime API, and checks what the bootstrap posts and logs.

Run with: /usr/bin/python3 -m pytest tests/runtimes -q
"""

import json
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mock_runtime_api import DEFAULT_ARN, MockRuntimeAPI  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PYTHON_ARGV = ["/usr/bin/python3", "-u", str(REPO / "runtimes/python/bootstrap.py")]
NODE_ARGV = ["/usr/bin/node", str(REPO / "runtimes/nodejs/bootstrap.js")]

TEST_TIMEOUT = 30  # hard cap per test, seconds
WAIT_TIMEOUT = 10  # cap for any single wait on the bootstrap

ISO_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


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


class FunctionInstance:
    """One bootstrap process serving a mock Runtime API."""

    def __init__(self, workdir, runtime, handler, files, env, api_options):
        self.task_root = workdir / "task"
        for name, content in files.items():
            path = self.task_root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(content))
        self.task_root.mkdir(parents=True, exist_ok=True)
        self.api = MockRuntimeAPI(**api_options)
        argv = PYTHON_ARGV if runtime == "python" else NODE_ARGV
        environment = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "AWS_LAMBDA_RUNTIME_API": self.api.address,
            "_HANDLER": handler,
            "LAMBDA_TASK_ROOT": str(self.task_root),
            "LAMBDA_RUNTIME_DIR": str(Path(argv[-1]).parent),
            "AWS_LAMBDA_FUNCTION_NAME": "my-function",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/my-function",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11" if runtime == "python" else "AWS_Lambda_nodejs20.x",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "TZ": "UTC",
        }
        environment.update(env or {})
        self.log_path = workdir / "function.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                argv,
                cwd=self.task_root,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def invoke(self, event=None, timeout=WAIT_TIMEOUT, **event_options):
        """Queue one event and wait for its outcome: ("response" | "error", Posted)."""
        request_id = self.api.add_event(event, **event_options)
        return request_id, self.outcome(request_id, timeout)

    def outcome(self, request_id, timeout=WAIT_TIMEOUT):
        api = self.api
        done = self._wait(lambda: request_id in api.responses or request_id in api.errors, timeout)
        assert done, "no outcome for %s; log:\n%s" % (request_id, self.output())
        if request_id in api.responses:
            return "response", api.responses[request_id]
        return "error", api.errors[request_id]

    def wait_exit(self, timeout=WAIT_TIMEOUT):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail("bootstrap did not exit; log:\n%s" % self.output())

    def output(self):
        return self.log_path.read_text()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(WAIT_TIMEOUT)
        self.api.close()
        assert not self.api.rejected, "outcome posted twice: %r" % self.api.rejected

    def _wait(self, predicate, timeout):
        # Also wake up periodically to notice the process dying.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.api.wait_for(predicate, 0.05):
                return True
            if self.proc.poll() is not None:
                return self.api.wait_for(predicate, 0.2)
        return False


@pytest.fixture
def start(tmp_path):
    """start(runtime, handler, files, env=None, **mock_api_options) -> FunctionInstance, cleaned up after the test."""
    instances = []

    def _start(runtime, handler, files, env=None, **api_options):
        instance = FunctionInstance(tmp_path / ("fn%d" % len(instances)), runtime, handler, files, env, api_options)
        instances.append(instance)
        return instance

    yield _start
    for instance in instances:
        instance.close()


def log_lines(instance):
    return instance.output().splitlines()


# ===========================================================================
# Both runtimes: Runtime API client robustness

HANDLERS = {
    "python": ("lambda_function.handler", {"lambda_function.py": "def handler(e, c):\n    return ['ok', e]\n"}),
    "nodejs": ("index.handler", {"index.js": "exports.handler = async (e) => ['ok', e];\n"}),
}


@pytest.mark.parametrize("runtime", ["python", "nodejs"])
@pytest.mark.parametrize(
    "api_options",
    [{"chunked": True}, {"connection": "close"}, {"connection": "drop"}, {"chunked": True, "connection": "drop"}],
    ids=["chunked", "connection-close", "dropped-connection", "chunked-dropped"],
)
def test_runtime_api_transport_variants(start, runtime, api_options):
    handler, files = HANDLERS[runtime]
    fn = start(runtime, handler, files, **api_options)
    for i in range(3):
        assert fn.invoke(i)[1][1].json() == ["ok", i]


# ===========================================================================
# Python


def test_python_result_and_context(start):
    fn = start(
        "python",
        "lambda_function.lambda_handler",
        {
            "lambda_function.py": """
                import os

                def lambda_handler(event, context):
                    return {
                        "event": event,
                        "function_name": context.function_name,
                        "function_version": context.function_version,
                        "invoked_function_arn": context.invoked_function_arn,
                        "memory_limit_in_mb": context.memory_limit_in_mb,
                        "aws_request_id": context.aws_request_id,
                        "log_group_name": context.log_group_name,
                        "log_stream_name": context.log_stream_name,
                        "remaining": context.get_remaining_time_in_millis(),
                        "identity": [context.identity.cognito_identity_id,
                                     context.identity.cognito_identity_pool_id],
                        "client_context": context.client_context,
                        "trace_id": os.environ.get("_X_AMZN_TRACE_ID"),
                        "cwd": os.getcwd(),
                    }
            """
        },
    )
    deadline = int(time.time() * 1000) + 20_000
    request_id, (kind, posted) = fn.invoke({"key": "value"}, deadline_ms=deadline, trace_id="Root=1-abc")
    assert kind == "response"
    assert posted.headers["content-type"] == "application/json"
    result = posted.json()
    assert result.pop("remaining") in range(10_000, 20_001)
    assert result == {
        "event": {"key": "value"},
        "function_name": "my-function",
        "function_version": "$LATEST",
        "invoked_function_arn": DEFAULT_ARN,
        "memory_limit_in_mb": "256",  # a str, as in AWS's runtime
        "aws_request_id": request_id,
        "log_group_name": "/aws/lambda/my-function",
        "log_stream_name": "2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
        "identity": [None, None],
        "client_context": None,
        "trace_id": "Root=1-abc",
        "cwd": str(fn.task_root),
    }


def test_python_client_context_and_cognito_identity(start):
    fn = start(
        "python",
        "lambda_function.lambda_handler",
        {
            "lambda_function.py": """
                def lambda_handler(event, context):
                    cc = context.client_context
                    return {
                        "installation_id": cc.client.installation_id,
                        "app_title": cc.client.app_title,
                        "custom": cc.custom,
                        "env": cc.env,
                        "identity_id": context.identity.cognito_identity_id,
                        "pool_id": context.identity.cognito_identity_pool_id,
                    }
            """
        },
    )
    _, (kind, posted) = fn.invoke(
        {},
        client_context={
            "client": {"installation_id": "inst-1", "app_title": "Café"},
            "custom": {"k": "v"},
            "env": {"platform": "Android"},
        },
        cognito_identity={"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"},
    )
    assert kind == "response"
    assert posted.json() == {
        "installation_id": "inst-1",
        "app_title": "Café",
        "custom": {"k": "v"},
        "env": {"platform": "Android"},
        "identity_id": "id-1",
        "pool_id": "pool-1",
    }


@pytest.mark.parametrize(
    "execution_env, expected",
    [
        ("AWS_Lambda_python3.11", b'{"text": "caf\\u00e9", "n": 1.5, "i": 10, "none": null}'),
        ("AWS_Lambda_python3.12", '{"text": "café", "n": 1.5, "i": 10, "none": null}'.encode()),
    ],
)
def test_python_result_serialization(start, execution_env, expected):
    fn = start(
        "python",
        "lambda_function.handler",
        {
            "lambda_function.py": """
                from decimal import Decimal

                def handler(event, context):
                    if event == "none":
                        return None
                    return {"text": "café", "n": Decimal("1.5"), "i": Decimal("10"), "none": None}
            """
        },
        env={"AWS_EXECUTION_ENV": execution_env},
    )
    assert fn.invoke("dict")[1][1].body == expected
    assert fn.invoke("none")[1][1].body == b"null"


def test_python_handler_exception(start):
    fn = start(
        "python",
        "lambda_function.lambda_handler",
        {
            "lambda_function.py": """
                def lambda_handler(event, context):
                    if event.get("fail"):
                        raise ValueError("boom")
                    return "fine"
            """
        },
    )
    request_id, (kind, posted) = fn.invoke({"fail": True})
    assert kind == "error"
    assert posted.headers["lambda-runtime-function-error-type"] == "ValueError"
    source = str(fn.task_root / "lambda_function.py")
    assert posted.json() == {
        "errorMessage": "boom",
        "errorType": "ValueError",
        "requestId": request_id,
        "stackTrace": ['  File "%s", line 4, in lambda_handler\n    raise ValueError("boom")\n' % source],
    }
    output = fn.output()
    assert "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code." in output
    assert (
        "[ERROR] ValueError: boom\n"
        "Traceback (most recent call last):\n"
        '\u00a0\u00a0File "%s", line 4, in lambda_handler\n'
        '\u00a0\u00a0\u00a0\u00a0raise ValueError("boom")\n' % source
    ) in output
    # The instance stays usable after a function error.
    assert fn.invoke({})[1][1].json() == "fine"


def test_python_marshal_error(start):
    fn = start(
        "python",
        "lambda_function.lambda_handler",
        {"lambda_function.py": "def lambda_handler(event, context):\n    return {1, 2}\n"},
    )
    request_id, (kind, posted) = fn.invoke({})
    assert kind == "error"
    assert posted.json() == {
        "errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
        "errorType": "Runtime.MarshalError",
        "requestId": request_id,
        "stackTrace": [],
    }


def test_python_unmarshal_error(start):
    fn = start("python", "lambda_function.h", {"lambda_function.py": "def h(e, c):\n    return e\n"})
    _, (kind, posted) = fn.invoke(raw_body=b"{not json")
    assert kind == "error"
    assert posted.json()["errorType"] == "Runtime.UnmarshalError"
    assert posted.json()["errorMessage"].startswith("Unable to unmarshal input: Expecting property name")


BAD_SYNTAX = "def lambda_handler(event, context)\n    pass\n"


def syntax_error_text(source, filename):
    """str() of the SyntaxError this interpreter raises for source (wording varies by version)."""
    try:
        compile(source, filename, "exec")
    except SyntaxError as e:
        return str(e)
    raise AssertionError("source compiles")


@pytest.mark.parametrize(
    "handler, files, error_type, message",
    [
        (
            "lambda_function.lambda_handler",
            {"lambda_function.py": "import foo\n"},
            "Runtime.ImportModuleError",
            "Unable to import module 'lambda_function': No module named 'foo'",
        ),
        (
            "lambda_function.lambda_handler",
            {"other.py": ""},
            "Runtime.ImportModuleError",
            "Unable to import module 'lambda_function': No module named 'lambda_function'",
        ),
        (
            "lambda_function.nope",
            {"lambda_function.py": "def lambda_handler(e, c):\n    pass\n"},
            "Runtime.HandlerNotFound",
            "Handler 'nope' missing on module 'lambda_function'",
        ),
        (
            "x",
            {"lambda_function.py": ""},
            "Runtime.MalformedHandlerName",
            "Bad handler 'x': not enough values to unpack (expected 2, got 1)",
        ),
        (
            "sys.handler",
            {},
            "Runtime.BuiltInModuleConflict",
            "Cannot use built-in module sys as a handler module",
        ),
        (
            "lambda_function.lambda_handler",
            {"lambda_function.py": BAD_SYNTAX},
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module 'lambda_function': %s" % syntax_error_text(BAD_SYNTAX, "lambda_function.py"),
        ),
    ],
)
def test_python_handler_load_faults(start, handler, files, error_type, message):
    # Like AWS's runtime, these are reported on each invocation (with its request
    # id), not as init errors, and the instance stays alive.
    fn = start("python", handler, files)
    for _ in range(2):
        request_id, (kind, posted) = fn.invoke({})
        assert kind == "error"
        assert posted.headers["lambda-runtime-function-error-type"] == error_type
        error = posted.json()
        assert (error["errorType"], error["errorMessage"], error["requestId"]) == (error_type, message, request_id)
    assert fn.proc.poll() is None
    assert not fn.api.init_errors
    assert "[ERROR] %s: %s\nTraceback (most recent call last):\n" % (error_type, message) in fn.output()


def test_python_syntax_error_trace(start):
    fn = start(
        "python",
        "lambda_function.lambda_handler",
        {"lambda_function.py": BAD_SYNTAX},
    )
    _, (_, posted) = fn.invoke({})
    [frame] = posted.json()["stackTrace"]
    assert frame.startswith('  File "%s" Line 1\n' % (fn.task_root / "lambda_function.py"))
    assert "def lambda_handler(event, context)" in frame


def test_python_init_error(start):
    fn = start(
        "python",
        "lambda_function.lambda_handler",
        {
            "lambda_function.py": """
                print("initializing")
                raise RuntimeError("init failed")

                def lambda_handler(event, context):
                    return 1
            """
        },
    )
    assert fn.wait_exit() == 1
    [posted] = fn.api.init_errors
    assert posted.headers["lambda-runtime-function-error-type"] == "RuntimeError"
    error = posted.json()
    assert (error["errorType"], error["errorMessage"], error["requestId"]) == ("RuntimeError", "init failed", "")
    source = fn.task_root / "lambda_function.py"
    expected_frame = '  File "%s", line 3, in <module>\n    raise RuntimeError("init failed")\n' % source
    assert error["stackTrace"][-1] == expected_frame
    assert not any("bootstrap.py" in frame for frame in error["stackTrace"])
    output = fn.output()
    assert output.startswith("initializing\n[ERROR] RuntimeError: init failed\nTraceback (most recent call last):\n")
    assert not fn.api.responses and not fn.api.errors


def test_python_logging_format(start):
    fn = start(
        "python",
        "lambda_function.lambda_handler",
        {
            "lambda_function.py": """
                import logging

                logging.info("hidden: the root logger starts at WARNING, as on AWS")
                logging.warning("init warning")
                logger = logging.getLogger()
                logger.setLevel(logging.INFO)

                def lambda_handler(event, context):
                    print("plain print")
                    logger.info("info %s", "message")
                    logging.getLogger("child").error("child error")
                    return None
            """
        },
    )
    request_id, (kind, _) = fn.invoke({})
    assert kind == "response"
    lines = log_lines(fn)
    assert "hidden" not in fn.output()
    assert re.fullmatch(r"\[WARNING\]\t%s\t\tinit warning" % ISO_TIME, lines[0]), lines
    assert lines[1] == "plain print"
    assert re.fullmatch(r"\[INFO\]\t%s\t%s\tinfo message" % (ISO_TIME, request_id), lines[2]), lines
    assert re.fullmatch(r"\[ERROR\]\t%s\t%s\tchild error" % (ISO_TIME, request_id), lines[3]), lines


def test_python_log_level_env(start):
    fn = start(
        "python",
        "lambda_function.h",
        {"lambda_function.py": "import logging\ndef h(e, c):\n    logging.debug('dbg')\n"},
        env={"AWS_LAMBDA_LOG_LEVEL": "debug"},
    )
    request_id, _ = fn.invoke({})
    assert re.fullmatch(r"\[DEBUG\]\t%s\t%s\tdbg" % (ISO_TIME, request_id), log_lines(fn)[0])


def test_python_warm_reuse(start):
    fn = start(
        "python",
        "lambda_function.lambda_handler",
        {
            "lambda_function.py": """
                import os
                calls = 0

                def lambda_handler(event, context):
                    global calls
                    calls += 1
                    return [calls, os.getpid(), event]
            """
        },
    )
    first = fn.invoke("a")[1][1].json()
    second = fn.invoke("b")[1][1].json()
    assert first[0] == 1 and second[0] == 2
    assert first[1] == second[1] == fn.proc.pid
    assert (first[2], second[2]) == ("a", "b")
    assert len(fn.api.connections) == 1  # one persistent connection


@pytest.mark.parametrize(
    "handler, files",
    [
        ("src/app.handler", {"src/app.py": "def handler(e, c):\n    return 'nested'\n"}),
        ("pkg.mod.handler", {"pkg/__init__.py": "", "pkg/mod.py": "def handler(e, c):\n    return 'nested'\n"}),
        ("app.handler", {"app.py": "import helper\ndef handler(e, c):\n    return helper.VALUE\n",
                         "helper.py": "VALUE = 'nested'\n"}),
    ],
)
def test_python_handler_locations(start, handler, files):
    fn = start("python", handler, files)
    assert fn.invoke({})[1][1].json() == "nested"


# ===========================================================================
# Node.js

CONTEXT_FIELDS_JS = """
    const fields = (event, context) => ({
      event,
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      invokedFunctionArn: context.invokedFunctionArn,
      memoryLimitInMB: context.memoryLimitInMB,
      awsRequestId: context.awsRequestId,
      logGroupName: context.logGroupName,
      logStreamName: context.logStreamName,
      remaining: context.getRemainingTimeInMillis(),
      callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
      clientContext: context.clientContext,
      identity: context.identity,
      traceId: process.env._X_AMZN_TRACE_ID,
      cwd: process.cwd(),
    });
"""


def test_node_async_handler_and_context(start):
    fn = start(
        "nodejs",
        "index.handler",
        {"index.js": CONTEXT_FIELDS_JS + "exports.handler = async (event, context) => fields(event, context);\n"},
    )
    deadline = int(time.time() * 1000) + 20_000
    request_id, (kind, posted) = fn.invoke({"key": "value"}, deadline_ms=deadline, trace_id="Root=1-abc")
    assert kind == "response"
    result = posted.json()
    assert result.pop("remaining") in range(10_000, 20_001)
    assert result == {
        "event": {"key": "value"},
        "functionName": "my-function",
        "functionVersion": "$LATEST",
        "invokedFunctionArn": DEFAULT_ARN,
        "memoryLimitInMB": "256",
        "awsRequestId": request_id,
        "logGroupName": "/aws/lambda/my-function",
        "logStreamName": "2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
        "callbackWaitsForEmptyEventLoop": True,
        "traceId": "Root=1-abc",
        "cwd": str(fn.task_root),
    }  # clientContext and identity are undefined, so absent


def test_node_client_context_and_identity(start):
    fn = start(
        "nodejs",
        "index.handler",
        {"index.js": "exports.handler = async (e, context) => [context.clientContext, context.identity];\n"},
    )
    client_context = {"client": {"app_title": "Café ☕"}, "custom": {"k": "v"}, "env": {}}
    identity = {"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"}
    _, (_, posted) = fn.invoke({}, client_context=client_context, cognito_identity=identity)
    assert posted.json() == [client_context, identity]


@pytest.mark.parametrize(
    "code, expected",
    [
        ("exports.handler = async () => undefined;", b"null"),
        ("exports.handler = async () => ({ s: 'caf\u00e9', n: 1.5 });", '{"s":"café","n":1.5}'.encode()),
        ("exports.handler = () => Promise.resolve([1, 'two']);", b'[1,"two"]'),
        ("exports.handler = (e, c, cb) => setTimeout(() => cb(null, 'later'), 20);", b'"later"'),
        ("exports.handler = (e, c, cb) => cb(null);", b"null"),
        ("exports.handler = (e, context) => context.succeed('ok');", b'"ok"'),
        ("exports.handler = (e, context) => context.done(null, 5);", b"5"),
        # A non-async handler that never completes is answered with null once the loop is empty.
        ("exports.handler = (e, c, cb) => 'ignored';", b"null"),
        # Only the first outcome counts.
        ("exports.handler = (e, c, cb) => { cb(null, 1); cb(null, 2); c.succeed(3); };", b"1"),
    ],
)
def test_node_results(start, code, expected):
    fn = start("nodejs", "index.handler", {"index.js": code + "\n"})
    kind, posted = fn.invoke({})[1]
    assert (kind, posted.body) == ("response", expected)
    assert posted.headers["content-type"] == "application/json"


def test_node_callback_waits_for_empty_event_loop(start):
    fn = start(
        "nodejs",
        "index.handler",
        {
            "index.js": """
                exports.handler = (event, context, callback) => {
                  if (event.noWait) {
                    context.callbackWaitsForEmptyEventLoop = false;
                    setTimeout(() => console.log('late timer'), 2000);
                  } else {
                    setTimeout(() => console.log('pending timer'), 300);
                  }
                  callback(null, 'done');
                };
            """
        },
    )
    # Default: the response is sent only once the timer has run.
    request_id, (kind, posted) = fn.invoke({})
    assert (kind, posted.body) == ("response", b'"done"')
    assert "\t%s\tINFO\tpending timer" % request_id in fn.output()

    # callbackWaitsForEmptyEventLoop = false: answered without waiting for the timer.
    started = time.monotonic()
    request_id, (kind, posted) = fn.invoke({"noWait": True})
    assert (kind, posted.body) == ("response", b'"done"')
    assert time.monotonic() - started < 1.5
    assert "late timer" not in fn.output()


def test_node_thrown_error(start):
    fn = start(
        "nodejs",
        "index.handler",
        {
            "index.js": """
                exports.handler = async (event) => {
                  if (event.fail) {
                    const err = new TypeError('bad input');
                    err.code = 'E_BAD';
                    throw err;
                  }
                  return 'fine';
                };
            """
        },
    )
    request_id, (kind, posted) = fn.invoke({"fail": True})
    assert kind == "error"
    assert posted.headers["lambda-runtime-function-error-type"] == "TypeError"
    error = posted.json()
    assert list(error) == ["errorType", "errorMessage", "trace"]
    assert (error["errorType"], error["errorMessage"]) == ("TypeError", "bad input")
    assert error["trace"][0] == "TypeError: bad input"
    assert "%s:4:" % (fn.task_root / "index.js") in error["trace"][1]

    [line] = [l for l in log_lines(fn) if "Invoke Error" in l]
    prefix, logged = line.split("\tERROR\tInvoke Error \t")
    assert re.fullmatch(r"%s\t%s" % (ISO_TIME, request_id), prefix)
    logged = json.loads(logged)
    assert (logged["errorType"], logged["errorMessage"], logged["code"]) == ("TypeError", "bad input", "E_BAD")
    assert logged["stack"] == error["trace"]
    # The instance stays usable after a function error.
    assert fn.invoke({})[1][1].body == b'"fine"'


@pytest.mark.parametrize(
    "code, error_type, message",
    [
        ("exports.handler = async () => { throw 'oops'; };", "string", "oops"),
        ("exports.handler = async () => { throw { a: 1 }; };", "object", "[object Object]"),
        ("exports.handler = (e, c, cb) => cb('failed');", "string", "failed"),
        ("exports.handler = (e, context) => context.fail();", "string", "handled"),
        ("exports.handler = (e, context) => context.fail(new RangeError('r'));", "RangeError", "r"),
        ("exports.handler = (e, context) => context.done(new Error('d'));", "Error", "d"),
        ("exports.handler = () => { throw new Error('sync'); };", "Error", "sync"),
        (
            "exports.handler = async () => { const o = {}; o.self = o; return o; };",
            "Error",
            "Unable to stringify response body",
        ),
    ],
)
def test_node_error_shapes(start, code, error_type, message):
    fn = start("nodejs", "index.handler", {"index.js": code + "\n"})
    _, (kind, posted) = fn.invoke({})
    assert kind == "error"
    error = posted.json()
    assert (error["errorType"], error["errorMessage"]) == (error_type, message)
    assert isinstance(error["trace"], list)
    assert posted.headers["lambda-runtime-function-error-type"] == error_type
    assert fn.proc.poll() is None


def test_node_async_handler_never_settling(start):
    fn = start("nodejs", "index.handler", {"index.js": "exports.handler = async () => new Promise(() => {});\n"})
    _, (kind, posted) = fn.invoke({})
    assert kind == "error"
    assert posted.json()["errorType"] == "Runtime.NodeJsExit"
    assert fn.invoke({})[1][0] == "error"  # still serving


@pytest.mark.parametrize(
    "handler, files",
    [
        ("index.handler", {"index.mjs": "export const handler = async (e) => ['esm', e];\n"}),
        ("index.handler", {"index.cjs": "exports.handler = async (e) => ['esm', e];\n"}),
        (
            "index.handler",
            {
                "package.json": '{"type": "module"}',
                "index.js": "export async function handler(e) { return ['esm', e]; }\n",
            },
        ),
        ("src/app.handler", {"src/app.mjs": "export const handler = async (e) => ['esm', e];\n"}),
        ("index.handlers.main", {"index.js": "exports.handlers = { main: async (e) => ['esm', e] };\n"}),
        ("lib.handler", {"lib/index.js": "exports.handler = async (e) => ['esm', e];\n"}),
        (
            "index.handler",
            {"index.mjs": "import { helper } from './helper.mjs';\nexport const handler = async (e) => helper(e);\n",
             "helper.mjs": "export const helper = (e) => ['esm', e];\n"},
        ),
    ],
)
def test_node_module_formats(start, handler, files):
    fn = start("nodejs", handler, files)
    assert fn.invoke(1)[1][1].json() == ["esm", 1]


@pytest.mark.parametrize(
    "handler, files, error_type, message",
    [
        ("index.handler", {"other.js": ""}, "Runtime.ImportModuleError", "Error: Cannot find module 'index'\n"),
        (
            "index.handler",
            {"index.js": "require('not-installed');\nexports.handler = async () => 1;\n"},
            "Runtime.ImportModuleError",
            "Error: Cannot find module 'not-installed'\n",
        ),
        (
            "index.nope",
            {"index.js": "exports.handler = async () => 1;\n"},
            "Runtime.HandlerNotFound",
            "index.nope is undefined or not exported",
        ),
        (
            "index.value",
            {"index.js": "exports.value = 42;\n"},
            "Runtime.HandlerNotFound",
            "index.value is not a function",
        ),
        ("index", {"index.js": ""}, "Runtime.MalformedHandlerName", "Bad handler"),
        (
            "../index.handler",
            {"index.js": ""},
            "Runtime.MalformedHandlerName",
            "'../index.handler' is not a valid handler name.",
        ),
        (
            "index.handler",
            {"index.js": "exports.handler = async () => {;\n"},
            "Runtime.UserCodeSyntaxError",
            "SyntaxError: ",
        ),
        (
            "index.handler",
            {"index.mjs": "export const handler = async () => {;\n"},
            "Runtime.UserCodeSyntaxError",
            "SyntaxError: ",
        ),
        (
            "index.handler",
            {"index.js": "throw new Error('init failed');\n"},
            "Error",
            "init failed",
        ),
    ],
)
def test_node_init_errors(start, handler, files, error_type, message):
    fn = start("nodejs", handler, files)
    assert fn.wait_exit() == 129
    [posted] = fn.api.init_errors
    assert posted.headers["lambda-runtime-function-error-type"] == error_type
    error = posted.json()
    assert error["errorType"] == error_type
    assert error["errorMessage"].startswith(message)
    assert error["trace"][0].startswith("%s: %s" % (error_type, message.split("\n")[0]))
    [line] = [l for l in log_lines(fn) if "Uncaught Exception" in l]
    assert re.match(r"%s\tundefined\tERROR\tUncaught Exception \t\{" % ISO_TIME, line)
    assert not fn.api.responses and not fn.api.errors


def test_node_console_format(start):
    fn = start(
        "nodejs",
        "index.handler",
        {
            "index.js": """
                console.log('init log');
                exports.handler = async () => {
                  console.log('%s=%d', 'count', 3, { a: 1 });
                  console.info('info');
                  console.warn('warn');
                  console.error('error', new Error('shown').message);
                  console.debug('debug');
                  console.trace('trace');
                  console.fatal('fatal');
                  process.stdout.write('raw write\\n');
                  return 1;
                };
            """
        },
    )
    request_id, _ = fn.invoke({})
    lines = log_lines(fn)
    assert re.fullmatch(r"%s\tundefined\tINFO\tinit log" % ISO_TIME, lines[0]), lines
    expected = [
        ("INFO", "count=3 { a: 1 }"),
        ("INFO", "info"),
        ("WARN", "warn"),
        ("ERROR", "error shown"),
        ("DEBUG", "debug"),
        ("TRACE", "trace"),
        ("FATAL", "fatal"),
    ]
    for line, (level, message) in zip(lines[1:], expected):
        assert re.fullmatch(r"%s\t%s\t%s\t%s" % (ISO_TIME, request_id, level, re.escape(message)), line), line
    assert lines[8] == "raw write"


def test_node_log_level_env(start):
    fn = start(
        "nodejs",
        "index.handler",
        {"index.js": "exports.handler = async () => { console.debug('dbg'); console.warn('wrn'); };\n"},
        env={"AWS_LAMBDA_LOG_LEVEL": "WARN"},
    )
    request_id, _ = fn.invoke({})
    [line] = log_lines(fn)
    assert line.endswith("\t%s\tWARN\twrn" % request_id)


def test_node_warm_reuse(start):
    fn = start(
        "nodejs",
        "index.handler",
        {"index.js": "let calls = 0;\nexports.handler = async (e) => [++calls, process.pid, e];\n"},
    )
    first = fn.invoke("a")[1][1].json()
    second = fn.invoke("b")[1][1].json()
    assert first[0] == 1 and second[0] == 2
    assert first[1] == second[1] == fn.proc.pid
    assert (first[2], second[2]) == ("a", "b")
    assert len(fn.api.connections) == 1  # one persistent connection


def test_node_unhandled_rejection(start):
    fn = start(
        "nodejs",
        "index.handler",
        {
            "index.js": """
                exports.handler = async () => {
                  Promise.reject(new Error('nobody catches this'));
                  await new Promise((resolve) => setTimeout(resolve, 1000));
                  return 'unreachable';
                };
            """
        },
    )
    request_id, (kind, posted) = fn.invoke({})
    assert kind == "error"
    error = posted.json()
    assert (error["errorType"], error["errorMessage"]) == (
        "Runtime.UnhandledPromiseRejection",
        "Error: nobody catches this",
    )
    assert fn.wait_exit() == 128
    assert re.search(r"\t%s\tERROR\tUnhandled Promise Rejection \t\{" % request_id, fn.output())


def test_node_uncaught_exception(start):
    fn = start(
        "nodejs",
        "index.handler",
        {
            "index.js": """
                exports.handler = (event, context, callback) => {
                  setTimeout(() => { throw new Error('async boom'); }, 10);
                };
            """
        },
    )
    request_id, (kind, posted) = fn.invoke({})
    assert kind == "error"
    error = posted.json()
    assert (error["errorType"], error["errorMessage"]) == ("Error", "async boom")
    assert fn.wait_exit() == 129
    assert re.search(r"\t%s\tERROR\tUncaught Exception \t\{" % request_id, fn.output())
