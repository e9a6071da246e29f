"""Hostile test handler for the isolation tests (test_isolation.py). Python standard library only.

The event's "op" selects the hostile thing to try; every op returns what happened (errno names,
counts, timings) instead of raising, so the test can assert on the outcome. Every op is bounded
in time.
"""
import ctypes
import errno
import json
import os
import resource
import select
import socket
import subprocess
import threading
import time
import urllib.request

INSTANCE = os.urandom(8).hex()

# x86_64 system call numbers (the tests skip on other machines)
SYS = {
    "ptrace": 101, "pivot_root": 155, "mount": 165, "umount2": 166, "swapon": 167, "reboot": 169,
    "init_module": 175, "delete_module": 176, "kexec_load": 246, "add_key": 248, "keyctl": 250,
    "unshare": 272, "setns": 308, "finit_module": 313, "bpf": 321, "clone": 56,
}
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
SIGCHLD = 17
PTRACE_TRACEME, PTRACE_ATTACH = 0, 16

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _err(e):
    """errno name of an OSError (or the exception's type when it has none)."""
    if isinstance(e, OSError) and e.errno is not None:
        return errno.errorcode.get(e.errno, str(e.errno))
    return type(e).__name__


def _syscall(name, *args):
    """Raw system call; returns "ok" or the errno name."""
    cargs = [ctypes.c_long(a) if isinstance(a, int) else a for a in args]
    ctypes.set_errno(0)
    r = _libc.syscall(ctypes.c_long(SYS[name]), *cargs)
    if r == -1:
        return errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
    return "ok"


# ---------------------------------------------------------------- ops


def op_alloc(ev):
    """Allocates ev["mb"] MB and touches every page (bytes * n writes them all)."""
    chunks = []
    for _ in range(ev["mb"] // 16):
        chunks.append(b"\x01" * (16 << 20))
    return {"allocated_mb": 16 * len(chunks)}


def op_child_alloc(ev):
    """A child process allocates ev["mb"] MB; returns how the child ended (negative = signal)."""
    code = "b = [b'\\x01' * (16 << 20) for _ in range(%d)]" % (ev["mb"] // 16)
    p = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True, timeout=60)
    return {"child_rc": p.returncode}


def op_exit(ev):
    """The runtime process exits with ev["code"] in the middle of the invocation."""
    os._exit(ev["code"])


def op_paths(ev):
    """Tries to list (directories) or read (files) each path; returns {path: "ok"|errno name}."""
    out = {}
    for p in ev["paths"]:
        try:
            if os.path.isdir(p):
                os.listdir(p)
            else:
                with open(p, "rb") as f:
                    f.read(16)
            out[p] = "ok"
        except OSError as e:
            out[p] = _err(e)
    return out


def op_write(ev):
    """Tries to create a file in each directory; returns {dir: "ok"|errno name}."""
    out = {}
    for d in ev["dirs"]:
        try:
            with open(os.path.join(d, "lambdad-hostile-" + INSTANCE), "w") as f:
                f.write("x")
            out[d] = "ok"
        except OSError as e:
            out[d] = _err(e)
    return out


def op_fill_tmp(ev):
    """Writes ev["mb"] MB to /tmp in 8 MB chunks; stops at the first error. Removes the file."""
    chunk = b"\x02" * (8 << 20)
    written, error = 0, None
    path = "/tmp/lambdad-fill-" + INSTANCE
    st = os.statvfs("/tmp")
    try:
        with open(path, "wb") as f:
            while written < ev["mb"]:
                f.write(chunk)
                f.flush()
                written += 8
    except OSError as e:
        error = _err(e)
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
    return {"written_mb": written, "error": error, "tmp_size_mb": st.f_blocks * st.f_frsize >> 20}


def op_procs(ev):
    pids = sorted(int(n) for n in os.listdir("/proc") if n.isdigit())
    with open("/proc/1/cmdline", "rb") as f:
        cmdline1 = f.read().split(b"\0")
    with open("/proc/self/cmdline", "rb") as f:
        cmdline_self = f.read().split(b"\0")
    return {"pids": pids, "pid": os.getpid(), "ppid": os.getppid(),
            "cmdline1": [c.decode(errors="replace") for c in cmdline1 if c],
            "cmdline_self": [c.decode(errors="replace") for c in cmdline_self if c],
            "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(),
            "hostname": socket.gethostname()}


def op_syscalls(ev):
    """Privileged or escape-prone system calls; returns {call: "ok"|errno name}."""
    out = {}
    os.makedirs("/tmp/mnt", exist_ok=True)
    out["mount"] = _syscall("mount", b"tmpfs", b"/tmp/mnt", b"tmpfs", 0, None)
    out["umount2"] = _syscall("umount2", b"/tmp", 2)
    out["pivot_root"] = _syscall("pivot_root", b"/tmp", b"/tmp/mnt")
    out["ptrace_traceme"] = _syscall("ptrace", PTRACE_TRACEME, 0, 0, 0)
    out["ptrace_attach_1"] = _syscall("ptrace", PTRACE_ATTACH, 1, 0, 0)
    out["ptrace_attach_parent"] = _syscall("ptrace", PTRACE_ATTACH, os.getppid() or 1, 0, 0)
    out["init_module"] = _syscall("init_module", None, 0, b"")
    fd = os.open("/dev/null", os.O_RDONLY)
    try:
        out["finit_module"] = _syscall("finit_module", fd, b"", 0)
    finally:
        os.close(fd)
    out["delete_module"] = _syscall("delete_module", b"loop", 0)
    out["kexec_load"] = _syscall("kexec_load", 0, 0, None, 0)
    out["bpf"] = _syscall("bpf", 0, None, 0)
    out["keyctl"] = _syscall("keyctl", 0, 0, 0, 0, 0)  # KEYCTL_GET_KEYRING_ID
    out["add_key"] = _syscall("add_key", b"user", b"lambdad", b"x", 1, -3)
    out["reboot"] = _syscall("reboot", 0xfee1dead, 672274793, 0x4321fedc, None)  # power off
    out["swapon"] = _syscall("swapon", b"/tmp/nothing", 0)
    fd = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        out["setns"] = _syscall("setns", fd, 0)
    finally:
        os.close(fd)
    for name, flag in (("user", CLONE_NEWUSER), ("mnt", CLONE_NEWNS), ("net", CLONE_NEWNET),
                       ("pid", CLONE_NEWPID), ("uts", CLONE_NEWUTS), ("ipc", CLONE_NEWIPC)):
        out["unshare_" + name] = _syscall("unshare", flag)
    # clone() with namespace flags; a child that somehow appears leaves at once
    ctypes.set_errno(0)
    r = _libc.syscall(ctypes.c_long(SYS["clone"]), ctypes.c_long(CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD),
                      ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0))
    if r == 0:
        os._exit(0)
    if r > 0:
        os.waitpid(r, 0)
        out["clone_newns"] = "ok"
    else:
        out["clone_newns"] = errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
    # the tools a shell user would reach for
    for tool, argv in (("unshare_bin", ["unshare", "--user", "--map-root-user", "true"]),
                       ("unshare_mount_bin", ["unshare", "--mount", "true"]),
                       ("mount_bin", ["mount", "-t", "tmpfs", "tmpfs", "/tmp/mnt"])):
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            out[tool] = {"rc": p.returncode, "stderr": p.stderr.strip()[-200:]}
        except OSError as e:
            out[tool] = {"rc": None, "stderr": _err(e)}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("CapEff", "CapPrm", "CapBnd", "NoNewPrivs", "Seccomp:")):
                k, v = line.split(":", 1)
                out["status_" + k] = v.strip()
    out["nofile"] = list(resource.getrlimit(resource.RLIMIT_NOFILE))
    return out


def op_connect(ev):
    """Connects to each [host, port]; returns {"host:port": "ok"|errno name}."""
    out = {}
    for host, port in ev["targets"]:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(3)
        try:
            s.connect((host, port))
            out["%s:%d" % (host, port)] = "ok"
        except OSError as e:
            out["%s:%d" % (host, port)] = _err(e) if not isinstance(e, socket.timeout) else "timeout"
        finally:
            s.close()
    for name in ev.get("abstract", []):  # abstract unix sockets are per network namespace
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(3)
        try:
            s.connect("\0" + name)
            out["@" + name] = "ok"
        except OSError as e:
            out["@" + name] = _err(e)
        finally:
            s.close()
    for pid in ev.get("kill", []):  # signal 0: does the pid exist for us, may we signal it
        try:
            os.kill(pid, 0)
            out["kill %d" % pid] = "ok"
        except OSError as e:
            out["kill %d" % pid] = _err(e)
    out["runtime_api"] = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    out["interfaces"] = [n for _, n in socket.if_nameindex()]
    return out


def _http(method, url, body=None, timeout=5):
    req = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")
    except OSError as e:
        return None, _err(e)


def op_steal(ev):
    """While serving its own event, tries to act for another instance's request id through the
    Runtime API it can reach (its own 127.0.0.1:9001), and asks for another event."""
    base = "http://%s/2018-06-01/runtime" % os.environ["AWS_LAMBDA_RUNTIME_API"]
    out = {"own_request_id": ev.get("_rid")}
    st, body = _http("POST", "%s/invocation/%s/response" % (base, ev["victim"]), b'"stolen"')
    out["post_response"] = [st, body]
    st, body = _http("POST", "%s/invocation/%s/error" % (base, ev["victim"]),
                     b'{"errorType":"Stolen","errorMessage":"stolen"}')
    out["post_error"] = [st, body]
    st, body = _http("GET", "%s/invocation/next" % base, timeout=3)
    out["next"] = [st, body[:300]]
    return out


_PARKED = []  # write ends of the pipes fork-bomb children block on (kept while the instance lives)


def op_forkbomb(ev):
    """Forks until fork fails (or ev["max"]); children block on a pipe so they stay alive.
    Returns how many children were created and the error that stopped it."""
    limit = ev.get("max", 5000)
    tag = ev.get("tag", "lbomb").encode()[:15]
    r, w = os.pipe()
    ready_r, ready_w = os.pipe()  # each child writes one byte once it has its name
    _PARKED.append(w)
    count, error = 0, None
    t0 = time.monotonic()
    while count < limit and time.monotonic() - t0 < ev.get("seconds", 20):
        try:
            pid = os.fork()
        except OSError as e:
            error = _err(e)
            break
        if pid == 0:
            try:
                _libc.prctl(15, ctypes.c_char_p(tag), 0, 0, 0)  # PR_SET_NAME
                os.close(w)
                os.write(ready_w, b"x")
                os.read(r, 1)  # blocks until the instance dies
            finally:
                os._exit(0)
        count += 1
    os.close(r)
    os.close(ready_w)
    ready, deadline = 0, time.monotonic() + 15
    while ready < count and time.monotonic() < deadline:
        if select.select([ready_r], [], [], 0.5)[0]:
            ready += len(os.read(ready_r, 4096))
    os.close(ready_r)
    return {"children": count, "ready": ready, "error": error, "seconds": round(time.monotonic() - t0, 3)}


def op_cpu(ev):
    """Busy loop for ev["seconds"] of wall time; returns CPU seconds used per wall second."""
    wall0, cpu0 = time.monotonic(), time.process_time()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    n = 0
    while time.monotonic() - wall0 < ev["seconds"]:
        n += 1
    wall = time.monotonic() - wall0
    cpu = time.process_time() - cpu0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    rcpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    return {"wall": wall, "cpu": cpu, "rusage_cpu": rcpu, "share": cpu / wall, "loops": n}


_COUNTER = [0]
_COUNTER_STATE = {}


def _spin():
    while True:
        _COUNTER[0] += 1
        if _COUNTER[0] % 1000 == 0:
            time.sleep(0.0005)  # let the handler thread have the GIL


def op_counter(ev):
    """First call starts a background thread that counts. Every call reports how far the counter
    moved since the previous call returned, and how far it moves in ev["measure"] seconds while
    the instance runs (the non-frozen rate)."""
    started_now = False
    if "thread" not in _COUNTER_STATE:
        t = threading.Thread(target=_spin, daemon=True)
        t.start()
        _COUNTER_STATE["thread"] = t
        started_now = True
    now = time.time()
    idle_moved = None
    idle_wall = None
    if "last" in _COUNTER_STATE:
        idle_moved = _COUNTER[0] - _COUNTER_STATE["last"]
        idle_wall = now - _COUNTER_STATE["last_time"]
    c0 = _COUNTER[0]
    time.sleep(ev.get("measure", 0.5))
    running_rate = (_COUNTER[0] - c0) / ev.get("measure", 0.5)
    _COUNTER_STATE["last"] = _COUNTER[0]
    _COUNTER_STATE["last_time"] = time.time()
    return {"started_now": started_now, "idle_moved": idle_moved, "idle_wall": idle_wall,
            "running_rate": running_rate, "instance": INSTANCE}


def op_endpoint(ev):
    url = os.environ["AWS_ENDPOINT_URL"].rstrip("/") + "/2015-03-31/functions/"
    headers = {"Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/lambda/aws4_request, "
                                "SignedHeaders=host, Signature=0"}
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            status, body = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read()
    except OSError as e:
        return {"url": url, "status": None, "error": _err(e)}
    try:
        names = [f["FunctionName"] for f in json.loads(body).get("Functions", [])]
    except ValueError:
        names = None
    return {"url": url, "status": status, "names": names, "body": body[:500].decode(errors="replace")}


def op_edge(ev):
    """Requests on lambdad's edge from inside: ev["requests"] = [[method, path or absolute URL], ...];
    returns [[status, body length, first bytes], ...]."""
    base = os.environ["AWS_ENDPOINT_URL"].rstrip("/")
    headers = {"Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/lambda/aws4_request, "
                                "SignedHeaders=host, Signature=0"}
    out = []
    for method, path in ev["requests"]:
        url = path if path.startswith("http") else base + path
        req = urllib.request.Request(url, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, body = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        except OSError as e:
            status, body = None, _err(e).encode()
        out.append([status, len(body), body[:400].decode(errors="replace")])
    return out


def op_whoami(ev):
    return {"instance": INSTANCE, "pid": os.getpid(), "task_root": os.environ.get("LAMBDA_TASK_ROOT"),
            "cwd": os.getcwd(), "runtime_api": os.environ.get("AWS_LAMBDA_RUNTIME_API"),
            "endpoint": os.environ.get("AWS_ENDPOINT_URL"), "event": ev}


def lambda_handler(event, context):
    ev = dict(event) if isinstance(event, dict) else {}
    ev["_rid"] = context.aws_request_id
    if ev.get("sleep"):
        time.sleep(ev["sleep"])
    fn = globals().get("op_" + str(ev.get("op", "whoami")))
    if fn is None:
        return {"error": "unknown op %r" % ev.get("op")}
    return fn(ev)
