"""lambdad bootstrap for the managed Python runtimes (python3.8 .. python3.13).

Started by the daemon as ``python3 -u bootstrap.py`` with cwd = $LAMBDA_TASK_ROOT.
It loads the handler named by $_HANDLER, then loops on the Lambda Runtime API
(2018-06-01) at $AWS_LAMBDA_RUNTIME_API: fetch the next event, call the handler,
post the result or the error.  The observable behaviour (context object, error
payloads, log formats, which failures are init errors) follows AWS's own Python
runtime so that function code and log parsers behave as they do on AWS.

Only the standard library is used, and nothing is imported per invocation.
"""

import decimal
import importlib
import json
import logging
import os
import site
import socket
import sys
import time
import traceback

API_PREFIX = "/2018-06-01/runtime"

# Printed before the "[ERROR] ..." block of every failed invocation, as AWS does.
UNHANDLED_EXCEPTION_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. "
    "However, in rare cases, a Lambda runtime update can cause unexpected function behavior. "
    "For functions using managed runtimes, runtime updates can be triggered by a function change, "
    "or can be applied automatically. To determine if the runtime has been updated, check the "
    "runtime version in the INIT_START log entry. If this error correlates with a change in the "
    "runtime version, you may be able to mitigate this error by temporarily rolling back to the "
    "previous runtime version. For more information, see "
    "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html"
)

# AWS's python3.12+ runtimes emit non-ASCII characters as UTF-8; older ones escape them.
ENSURE_ASCII = os.environ.get("AWS_EXECUTION_ENV") not in (
    "AWS_Lambda_python3.12",
    "AWS_Lambda_python3.13",
)

# Request id of the invocation in progress; read by the logging filter.
current_request_id = ""


class RuntimeAPIError(Exception):
    """The Runtime API answered in a way the runtime cannot recover from."""


class Fault(Exception):
    """A runtime-detected failure reported with a "Runtime.*" error type."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


class RuntimeAPIClient:
    """Minimal HTTP/1.1 client holding one persistent connection to the Runtime API.

    Hand-rolled rather than http.client so that every request leaves in a single
    sendall() (no Nagle / delayed-ACK stall between headers and body) and so that
    response parsing skips the email-package header parser: both show up in warm
    invoke latency.
    """

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self._address = (host, int(port))
        self._host_header = address
        self._sock = None
        self._reader = None

    def next_invocation(self):
        status, headers, body = self._request("GET", API_PREFIX + "/invocation/next")
        if status != 200:
            raise RuntimeAPIError("GET /invocation/next returned HTTP %d: %r" % (status, body))
        return headers, body

    def post_response(self, request_id, body, content_type):
        self._post("/invocation/%s/response" % request_id, body, "Content-Type: %s\r\n" % content_type)

    def post_error(self, request_id, error):
        self._post("/invocation/%s/error" % request_id, *_error_request(error))

    def post_init_error(self, error):
        self._post("/init/error", *_error_request(error))

    def _post(self, path, body, extra_headers):
        status, _, answer = self._request("POST", API_PREFIX + path, body, extra_headers)
        # 4xx (e.g. 413 payload too large) fails only this invocation; 5xx means
        # the Runtime API is in a state the runtime should not continue from.
        if status >= 500:
            raise RuntimeAPIError("POST %s returned HTTP %d: %r" % (path, status, answer))

    def _request(self, method, path, body=None, extra_headers=""):
        head = "%s %s HTTP/1.1\r\nHost: %s\r\n%s" % (method, path, self._host_header, extra_headers)
        if body is not None:
            head += "Content-Length: %d\r\n" % len(body)
        message = (head + "\r\n").encode("utf-8") + (body or b"")
        # A kept-alive connection may have been closed by the server while idle;
        # in that case the request is retried once on a fresh connection.
        for attempt in (1, 2):
            reused = self._sock is not None
            if not reused:
                self._connect()
            try:
                self._sock.sendall(message)
                status, headers, payload = self._read_response()
                break
            except (ConnectionError, EOFError):
                self._close()
                if not reused or attempt == 2:
                    raise
        if headers.get("connection", "").lower() == "close":
            self._close()
        return status, headers, payload

    def _connect(self):
        self._sock = socket.create_connection(self._address)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._reader = self._sock.makefile("rb")

    def _close(self):
        if self._sock is not None:
            self._reader.close()
            self._sock.close()
            self._sock = self._reader = None

    def _read_response(self):
        status_line = self._reader.readline(65537)
        if not status_line:
            raise EOFError("Runtime API closed the connection")
        status = int(status_line.split(None, 2)[1])
        headers = {}
        while True:
            line = self._reader.readline(65537)
            if not line:
                raise EOFError("Runtime API closed the connection")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode("utf-8", "replace").partition(":")
            headers[name.strip().lower()] = value.strip()

        if status in (204, 304) or 100 <= status < 200:
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._read_chunked()
        elif "content-length" in headers:
            length = int(headers["content-length"])
            body = self._reader.read(length)
            if len(body) != length:
                raise EOFError("Runtime API closed the connection mid-body")
        else:  # body delimited by the end of the connection
            body = self._reader.read()
            headers["connection"] = "close"
        return status, headers, body

    def _read_chunked(self):
        parts = []
        while True:
            size = int(self._reader.readline(65537).split(b";", 1)[0], 16)
            if size == 0:
                break
            parts.append(self._reader.read(size))
            self._reader.readline(65537)
        while self._reader.readline(65537) not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(parts)


def _error_request(error):
    """Body and headers for an /error or /init/error request."""
    body = json.dumps(error).encode("utf-8")
    headers = "Content-Type: application/json\r\nLambda-Runtime-Function-Error-Type: %s\r\n" % error["errorType"]
    return body, headers


# ---------------------------------------------------------------------------
# Error payloads and the "[ERROR]" log block


def make_error(message, error_type, stack_trace, request_id):
    return {
        "errorMessage": message or "",
        "errorType": error_type or "",
        "requestId": request_id or "",
        "stackTrace": stack_trace or [],
    }


def exception_error(exc, request_id):
    """Error payload for an exception raised by user code."""
    frames = traceback.extract_tb(exc.__traceback__)
    # Leave out the bootstrap's own frames so the trace starts in user code.
    skip = 0
    while skip < len(frames) and frames[skip].filename == __file__:
        skip += 1
    return make_error(str(exc), type(exc).__name__, traceback.format_list(frames[skip:]), request_id)


def log_error(error):
    """Print an error like AWS does: '[ERROR] Type: message' then the traceback.

    Leading spaces of the trace lines become no-break spaces (U+00A0), as in
    AWS's runtime, so that log viewers that strip indentation keep it.
    """
    description = "[ERROR]"
    if error["errorType"]:
        description += " " + error["errorType"]
    if error["errorMessage"]:
        if error["errorType"]:
            description += ":"
        description += " " + error["errorMessage"]
    lines = [description, "Traceback (most recent call last):"]
    for frame in error["stackTrace"]:
        for line in frame.splitlines():
            stripped = line.lstrip(" ")
            lines.append("\u00a0" * (len(line) - len(stripped)) + stripped)
    sys.stdout.write("\n".join(lines) + "\n")


def flush_output():
    sys.stdout.flush()
    sys.stderr.flush()


# ---------------------------------------------------------------------------
# Handler loading


def load_handler(handler_name):
    """Import the handler named "module.function" (module may be "dir/mod" or "pkg.mod").

    Like AWS, a bad handler string, a failed import, a syntax error or a missing
    function does not fail init: it yields a handler that raises the
    corresponding Runtime.* fault on every invocation.  Any other exception
    raised while importing the module propagates and becomes an init error.
    """
    try:
        module_name, function_name = handler_name.rsplit(".", 1)
    except ValueError as e:
        return _fault_handler(Fault("Runtime.MalformedHandlerName", "Bad handler '%s': %s" % (handler_name, e)))

    if module_name.split(".")[0] in sys.builtin_module_names:
        return _fault_handler(
            Fault("Runtime.BuiltInModuleConflict", "Cannot use built-in module %s as a handler module" % module_name)
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        return _fault_handler(
            Fault("Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, e))
        )
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        return _fault_handler(
            Fault("Runtime.UserCodeSyntaxError", "Syntax error in module '%s': %s" % (module_name, e), trace)
        )

    try:
        return getattr(module, function_name)
    except AttributeError:
        return _fault_handler(
            Fault("Runtime.HandlerNotFound", "Handler '%s' missing on module '%s'" % (function_name, module_name))
        )


def _fault_handler(fault):
    def handler(event, context):
        raise fault

    return handler


def setup_import_path(task_root):
    """sys.path precedence as on AWS: task root, then the /opt/python layer dirs."""
    dirs = [task_root]
    if "PYTHONPATH" not in os.environ:
        dirs += ["/opt/python/lib/python%d.%d/site-packages" % sys.version_info[:2], "/opt/python"]
    sys.path[0:0] = dirs
    for directory in dirs:
        site.addsitedir(directory)  # honours .pth files shipped with the code


# ---------------------------------------------------------------------------
# Logging


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = current_request_id
        return True


def setup_logging():
    """Route the root logger to stdout in AWS's text format.

    "[LEVEL]\\t2024-01-01T00:00:00.123Z\\t<request id>\\tmessage".  As on AWS the
    root level is left at WARNING unless AWS_LAMBDA_LOG_LEVEL says otherwise,
    and logging.basicConfig() in user code is a no-op because a handler exists.
    """
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    if isinstance(logging.getLevelName(level), int):
        root.setLevel(level)


# ---------------------------------------------------------------------------
# Context object


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, data):
        self.cognito_identity_id = data.get("cognitoIdentityId")
        self.cognito_identity_pool_id = data.get("cognitoIdentityPoolId")


class Client:
    __slots__ = ("installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name")

    def __init__(self, data):
        for field in self.__slots__:
            setattr(self, field, data.get(field))


class ClientContext:
    __slots__ = ("client", "custom", "env")

    def __init__(self, data):
        client = data.get("client")
        self.client = Client(client) if client is not None else None
        self.custom = data.get("custom")
        self.env = data.get("env")


class LambdaContext:
    """The context argument of the handler, with AWS's attribute names and types."""

    # Function-level values; AWS exposes them as the raw environment strings
    # (so memory_limit_in_mb is a str, e.g. "128").
    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
    function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
    memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
    log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
    log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")

    def __init__(self, request_id, deadline_ms, invoked_function_arn, client_context, identity):
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.client_context = ClientContext(client_context) if client_context is not None else None
        self.identity = CognitoIdentity(identity or {})
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, message):
        sys.stdout.write(str(message))


def _parse_json_header(value, name):
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError as e:
        raise Fault("Runtime.LambdaContextUnmarshalError", "Unable to parse %s JSON: %s" % (name, e))


# ---------------------------------------------------------------------------
# Invocation


def _json_default(value):
    if isinstance(value, decimal.Decimal):
        if value.is_finite() and value.as_tuple().exponent >= 0:
            return int(value)
        return float(value)
    raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)


def marshal_result(result):
    """Serialize a handler result; returns (body bytes, content type)."""
    if isinstance(result, bytes):
        return result, "application/unknown"
    try:
        return json.dumps(result, default=_json_default, ensure_ascii=ENSURE_ASCII).encode("utf-8"), "application/json"
    except (TypeError, ValueError) as e:
        raise Fault("Runtime.MarshalError", "Unable to marshal response: %s" % e)


def handle_invocation(client, handler, headers, body):
    global current_request_id
    request_id = headers.get("lambda-runtime-aws-request-id", "")
    current_request_id = request_id
    trace_id = headers.get("lambda-runtime-trace-id")
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)

    error = None
    try:
        context = LambdaContext(
            request_id,
            int(headers.get("lambda-runtime-deadline-ms", 0)),
            headers.get("lambda-runtime-invoked-function-arn"),
            _parse_json_header(headers.get("lambda-runtime-client-context"), "Client Context"),
            _parse_json_header(headers.get("lambda-runtime-cognito-identity"), "Cognito Identity"),
        )
        try:
            event = json.loads(body)
        except ValueError as e:
            raise Fault("Runtime.UnmarshalError", "Unable to unmarshal input: %s" % e)
        result, content_type = marshal_result(handler(event, context))
    except Fault as fault:
        error = make_error(fault.message, fault.error_type, fault.trace, request_id)
    except Exception as exc:
        error = exception_error(exc, request_id)

    if error is None:
        flush_output()
        client.post_response(request_id, result, content_type)
    else:
        sys.stdout.write(UNHANDLED_EXCEPTION_WARNING + "\n")
        log_error(error)
        flush_output()
        client.post_error(request_id, error)


def main():
    client = RuntimeAPIClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    setup_logging()
    setup_import_path(os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd())
    try:
        handler = load_handler(os.environ.get("_HANDLER", ""))
    except Exception as exc:  # user module raised while being imported
        error = exception_error(exc, None)
        log_error(error)
        flush_output()
        client.post_init_error(error)
        sys.exit(1)

    while True:
        headers, body = client.next_invocation()
        handle_invocation(client, handler, headers, body)


if __name__ == "__main__":
    main()
