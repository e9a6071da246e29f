#!/usr/bin/python3
"""1000 concurrently initialized instances (issue 3).

Starts its own lambdad (--keepalive-ms 600000 --concurrency 2000) on a free port with a
temporary data directory, creates a small C function (build/runtimes/c/examples/echo as
`bootstrap`, MemorySize 128), fires N concurrent invocations that each sleep ~2 s so that N
instances exist at once, then prints figures: the peak instance count (/_lambdad/health),
the time to get all answers, the daemon's RSS, the instances' cgroup memory (idle, frozen) and
the drop in the host's MemAvailable. Prints figures only; never fails on time.

Usage: /usr/bin/python3 bench/instances.py [--count 1000] [--sleep-ms 2000] [--memory 128]
                                           [--daemon-nofile N] [--keep]
Environment: LAMBDAD_BIN (default build/lambdad).
"""
import argparse
import base64
import glob
import http.client
import io
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("LAMBDAD_BIN", os.path.join(REPO, "build", "lambdad"))
ECHO = os.path.join(REPO, "build", "runtimes", "c", "examples", "echo")
AUTH = {"Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/lambda/aws4_request, "
                         "SignedHeaders=host, Signature=0"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=AUTH)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def health(port):
    status, body = request(port, "GET", "/_lambdad/health", timeout=10)
    return json.loads(body) if status == 200 else {}


def meminfo(key):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def vm_field(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def read_int(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def instance_cgroups(daemon_pid):
    """The per-instance memory cgroups of the daemon (v1: .../lambdad.<pid>/<instance>/; v2: the
    same below the unified mount). Returns (version, parent dir, [instance dirs])."""
    for version, root in (("v1", "/sys/fs/cgroup/memory"), ("v2", "/sys/fs/cgroup/unified"), ("v2", "/sys/fs/cgroup")):
        parents = glob.glob(os.path.join(root, "**", "lambdad.%d" % daemon_pid), recursive=True)
        for parent in parents:
            if os.path.exists(os.path.join(parent, "memory.usage_in_bytes")) or \
                    os.path.exists(os.path.join(parent, "memory.current")):
                kids = [d for d in glob.glob(os.path.join(parent, "*")) if os.path.isdir(d)]
                return version, parent, kids
    return None, None, []


def cgroup_usage(version, d):
    if version == "v1":
        return (read_int(os.path.join(d, "memory.usage_in_bytes")),
                read_int(os.path.join(d, "memory.kmem.usage_in_bytes")))
    return read_int(os.path.join(d, "memory.current")), None


def mb(n):
    return "n/a" if n is None else "%.1f MB" % (n / 1048576)


def kb(n):
    return "n/a" if n is None else "%.0f KB" % (n / 1024)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--sleep-ms", type=int, default=2000)
    ap.add_argument("--memory", type=int, default=128)
    ap.add_argument("--daemon-nofile", type=int, default=0, help="RLIMIT_NOFILE soft limit for the daemon")
    ap.add_argument("--keep", action="store_true", help="keep the data directory")
    args = ap.parse_args()
    if not os.access(BIN, os.X_OK) or not os.path.exists(ECHO):
        sys.exit("build first (make build): %s, %s" % (BIN, ECHO))

    # this process holds one connection per invocation; the daemon about six descriptors per instance
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 16 * args.count + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    threading.stack_size(256 * 1024)

    data = tempfile.mkdtemp(prefix="lambdad-instances-")
    port = free_port()
    argv = [BIN, "--listen", "127.0.0.1:%d" % port, "--data-dir", os.path.join(data, "data"),
            "--keepalive-ms", "600000", "--concurrency", str(max(2000, args.count + 100)), "--log-level", "warn"]
    daemon_nofile = args.daemon_nofile

    def limit():
        if daemon_nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (daemon_nofile, hard))

    log = open(os.path.join(data, "lambdad.log"), "wb")
    avail0 = meminfo("MemAvailable")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, preexec_fn=limit)
    try:
        deadline = time.monotonic() + 15
        h = {}
        while time.monotonic() < deadline:
            try:
                h = health(port)
                if h:
                    break
            except OSError:
                time.sleep(0.05)
        if not h:
            sys.exit("lambdad did not start")
        rss0 = vm_field(proc.pid, "VmRSS")

        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            info = zipfile.ZipInfo("bootstrap", date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = (0o100755) << 16
            with open(ECHO, "rb") as f:
                z.writestr(info, f.read())
        name = "instances-bench"
        doc = {"FunctionName": name, "Runtime": "provided.al2023", "Handler": "x", "MemorySize": args.memory,
               "Timeout": 60, "Role": "arn:aws:iam::123456789012:role/lambda-role",
               "Code": {"ZipFile": base64.b64encode(buf.getvalue()).decode()}}
        status, body = request(port, "POST", "/2015-03-31/functions", json.dumps(doc).encode())
        if status != 201:
            sys.exit("CreateFunction failed: %d %s" % (status, body[:300]))

        # one keep-alive connection per thread, connected before the start signal
        n = args.count
        payload = json.dumps({"sleep_ms": args.sleep_ms}).encode()
        path = "/2015-03-31/functions/%s/invocations" % name
        results = [None] * n
        done_at = [0.0] * n
        start = threading.Event()
        ready = threading.Semaphore(0)

        def worker(i):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                conn.connect()
            except OSError as e:
                results[i] = "connect: %s" % e
                ready.release()
                return
            ready.release()
            start.wait()
            try:
                conn.request("POST", path, body=payload, headers=AUTH)
                r = conn.getresponse()
                body = r.read()
                err = r.getheader("X-Amz-Function-Error")
                results[i] = "ok" if r.status == 200 and not err else "%d %s %s" % (
                    r.status, err, body[:200].decode(errors="replace"))
            except OSError as e:
                results[i] = "error: %s" % e
            finally:
                done_at[i] = time.monotonic()
                conn.close()

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
        for t in threads:
            t.start()
        for _ in range(n):
            ready.acquire()

        peak = {"instances": 0, "at": 0.0}
        sampling = threading.Event()

        def sampler():
            while not sampling.is_set():
                try:
                    c = health(port).get("instances", 0)
                    if c > peak["instances"]:
                        peak["instances"], peak["at"] = c, time.monotonic() - t0
                except OSError:
                    pass
                time.sleep(0.1)

        t0 = time.monotonic()
        start.set()
        st = threading.Thread(target=sampler, daemon=True)
        st.start()
        for t in threads:
            t.join(180)
        elapsed = time.monotonic() - t0
        sampling.set()
        st.join(5)
        ok = sum(1 for r in results if r == "ok")
        errors = {}
        for r in results:
            if r != "ok":
                key = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", str(r))[:160]
                errors[key] = errors.get(key, 0) + 1
        finished = sorted(d - t0 for d in done_at if d)

        time.sleep(1.0)  # let every instance go idle and be frozen
        h = health(port)
        rss1 = vm_field(proc.pid, "VmRSS")
        hwm = vm_field(proc.pid, "VmHWM")
        version, parent, kids = instance_cgroups(proc.pid)
        usages, kmems = [], []
        for d in kids:
            u, k = cgroup_usage(version, d)
            if u is not None:
                usages.append(u)
            if k is not None:
                kmems.append(k)
        parent_usage = cgroup_usage(version, parent)[0] if parent else None
        avail1 = meminfo("MemAvailable")
        fds = len(os.listdir("/proc/%d/fd" % proc.pid))
        threads_daemon = len(os.listdir("/proc/%d/task" % proc.pid))

        print("lambdad: %s  sandbox: %s" % (BIN, h.get("sandbox")))
        print("invocations: %d concurrent, sleep %d ms each, MemorySize %d" % (n, args.sleep_ms, args.memory))
        print("answers ok: %d / %d%s" % (ok, n, "" if not errors else "  errors: %s" % json.dumps(errors)))
        print("time to all answers: %.2f s (first %.2f s, median %.2f s, last %.2f s)" % (
            elapsed, finished[0] if finished else 0, finished[len(finished) // 2] if finished else 0,
            finished[-1] if finished else 0))
        print("peak instances alive (health, sampled every 100 ms): %d at %.2f s; idle after: %d" % (
            peak["instances"], peak["at"], h.get("instances", 0)))
        print("daemon RSS: %s before, %s with %d idle instances (VmHWM %s); %d fds, %d threads" % (
            mb(rss0), mb(rss1), h.get("instances", 0), mb(hwm), fds, threads_daemon))
        if h.get("instances"):
            print("daemon RSS per instance: %s" % kb((rss1 - rss0) / h["instances"]))
        if usages:
            print("instance cgroups (%s, %s): %d; memory.usage_in_bytes sum %s, per instance mean %s "
                  "(min %s, max %s)%s; parent %s" % (
                      version, parent, len(usages), mb(sum(usages)), kb(sum(usages) / len(usages)),
                      kb(min(usages)), kb(max(usages)),
                      "; of it kmem %s (mean %s)" % (mb(sum(kmems)), kb(sum(kmems) / len(kmems))) if kmems else "",
                      mb(parent_usage)))
        else:
            print("instance cgroups: none found")
        drop = avail0 - avail1
        print("host MemAvailable drop: %s total (before daemon start -> idle instances), %s per instance" % (
            mb(drop), kb(drop / max(1, h.get("instances", 0) or n))))

        # shutdown cost of the whole fleet
        t1 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = "timeout"
        print("SIGTERM -> exit %s in %.2f s" % (rc, time.monotonic() - t1))
        time.sleep(1.0)
        print("host MemAvailable after exit: %s below the figure before start (noise from other processes "
              "included)" % mb(avail0 - meminfo("MemAvailable")))
        left = glob.glob("/sys/fs/cgroup/*/**/lambdad.%d" % proc.pid, recursive=True)
        if left:
            print("cgroups left after exit: %s" % left[:5])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
        if args.keep:
            print("data and log kept in %s" % data)
        else:
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
