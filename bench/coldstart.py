#!/usr/bin/python3
"""Cold-start latency: sequential invokes against a daemon started with --keepalive-ms 0,
so every invoke starts a new instance. Prints p50/p99 of the end-to-end invoke time and of
the Init Duration the REPORT line gives (from X-Amz-Log-Result)."""
import base64
import http.client
import re
import statistics
import sys
import time

port, name, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
conn = http.client.HTTPConnection("127.0.0.1", port)
path = f"/2015-03-31/functions/{name}/invocations"
e2e, init = [], []
for _ in range(count):
    t0 = time.perf_counter()
    conn.request("POST", path, body=b"{}", headers={"X-Amz-Log-Type": "Tail"})
    resp = conn.getresponse()
    resp.read()
    e2e.append((time.perf_counter() - t0) * 1000)
    log = base64.b64decode(resp.getheader("X-Amz-Log-Result", "")).decode()
    m = re.search(r"Init Duration: ([0-9.]+) ms", log)
    if m:
        init.append(float(m.group(1)))
    if resp.status != 200 or resp.getheader("X-Amz-Function-Error"):
        sys.exit(f"invoke failed: {resp.status} {resp.getheader('X-Amz-Function-Error')} {log}")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


# With extensions the caller is answered before REPORT (which waits for them): no Init Duration.
init_text = f"{statistics.median(init):7.2f} ms" if init else "    n/a   "
print(f"  {name:12s} cold invoke p50 {statistics.median(e2e):7.2f} ms  p99 {pct(e2e, 0.99):7.2f} ms"
      f"   Init Duration p50 {init_text}  (n={count})")
