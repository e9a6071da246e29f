"""A mock of the Lambda Runtime API (2018-06-01) for exercising runtime bootstraps.

It serves queued events on GET /invocation/next (blocking until one is queued,
like the real long poll) and records what the runtime posts to
/invocation/{id}/response, /invocation/{id}/error and /init/error.  It runs an
HTTP/1.1 keep-alive server in a background thread on 127.0.0.1:<free port>.
"""

import collections
import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"
DEFAULT_ARN = "arn:aws:lambda:us-east-1:123456789012:function:my-function"


@dataclass
class Posted:
    """One request the runtime posted: lower-cased headers and the raw body."""

    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


class MockRuntimeAPI:
    """The mock server.

    chunked: send response bodies with Transfer-Encoding: chunked.
    connection: "keep-alive" (default); "close" to answer with Connection: close
    and close; "drop" to close silently after each answer, as a server closing
    an idle kept-alive connection would.
    """

    def __init__(self, chunked=False, connection="keep-alive"):
        self.chunked = chunked
        self.connection = connection
        self._cond = threading.Condition()
        self._events = collections.deque()
        self._closed = False
        self.responses = {}  # request id -> Posted
        self.errors = {}  # request id -> Posted
        self.init_errors = []  # [Posted]
        self.rejected = []  # (path, Posted) answered 403: a second outcome for one request id
        self.connections = set()  # (host, port) of every TCP connection the runtime opened
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.api = self
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def address(self):
        return "127.0.0.1:%d" % self._server.server_address[1]

    def add_event(
        self,
        event,
        *,
        raw_body=None,
        request_id=None,
        deadline_ms=None,
        function_arn=DEFAULT_ARN,
        trace_id="Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
        client_context=None,
        cognito_identity=None,
    ):
        """Queue an event (JSON-encoded unless raw_body is given); returns its request id."""
        request_id = request_id or str(uuid.uuid4())
        headers = {
            "Lambda-Runtime-Aws-Request-Id": request_id,
            "Lambda-Runtime-Deadline-Ms": str(deadline_ms or int(time.time() * 1000) + 30_000),
            "Lambda-Runtime-Invoked-Function-Arn": function_arn,
            "Content-Type": "application/json",
        }
        if trace_id:
            headers["Lambda-Runtime-Trace-Id"] = trace_id
        if client_context is not None:
            # Raw UTF-8 on the wire (http.server writes header strings as latin-1).
            text = json.dumps(client_context, ensure_ascii=False)
            headers["Lambda-Runtime-Client-Context"] = text.encode("utf-8").decode("latin-1")
        if cognito_identity is not None:
            headers["Lambda-Runtime-Cognito-Identity"] = json.dumps(cognito_identity)
        body = raw_body if raw_body is not None else json.dumps(event).encode()
        with self._cond:
            self._events.append((headers, body))
            self._cond.notify_all()
        return request_id

    def wait_for(self, predicate, timeout):
        """Wait until predicate() is true; returns its final value."""
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    def close(self):
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    # -- called from request handler threads --

    def _next_event(self):
        with self._cond:
            self._cond.wait_for(lambda: self._events or self._closed)
            return None if self._closed else self._events.popleft()

    def _record(self, path, posted):
        """Store a posted outcome; returns False if the request id already has one."""
        parts = path[len(PREFIX) :].strip("/").split("/")
        with self._cond:
            try:
                if parts == ["init", "error"]:
                    self.init_errors.append(posted)
                    return True
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    request_id = parts[1]
                    if request_id in self.responses or request_id in self.errors:
                        self.rejected.append((path, posted))
                        return False
                    (self.responses if parts[2] == "response" else self.errors)[request_id] = posted
                    return True
                raise KeyError(path)
            finally:
                self._cond.notify_all()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.api.connections.add(self.client_address)
        if self.path != PREFIX + "/invocation/next":
            return self._reply(404, b'{"errorType":"NotFound"}')
        event = self.server.api._next_event()
        if event is None:  # server shutting down
            self.close_connection = True
            return
        headers, body = event
        self._reply(200, body, headers)

    def do_POST(self):
        self.server.api.connections.add(self.client_address)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        posted = Posted({k.lower(): v for k, v in self.headers.items()}, body)
        try:
            accepted = self.server.api._record(self.path, posted)
        except KeyError:
            return self._reply(404, b'{"errorType":"NotFound"}')
        if accepted:
            self._reply(202, b'{"status":"OK"}')
        else:
            self._reply(403, b'{"errorMessage":"Invalid state transition","errorType":"InvalidStateTransition"}')

    def _reply(self, status, body, headers=None):
        api = self.server.api
        self.send_response(status)
        for name, value in (headers or {"Content-Type": "application/json"}).items():
            self.send_header(name, value)
        if api.connection == "close":
            self.send_header("Connection", "close")
        elif api.connection == "drop":
            self.close_connection = True
        if api.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            half = len(body) // 2
            for part in (body[:half], body[half:]):
                if part:
                    self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
