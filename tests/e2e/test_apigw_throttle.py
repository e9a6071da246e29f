"""Issue 6 acceptance: stage throttling at 50 requests/s; a 5-second burst of about 200 requests/s
gets about 250 answers 2xx (50/s for 5 s, plus a burst of 10) and the rest 429 (within 15 %)."""

import http.client
import threading
import time

from conftest import FUNCTIONS, create, unique, zip_dir
from test_apigw_http import gw_client

RATE, BURST, SECONDS, CLIENTS, PER_CLIENT = 50, 10, 5.0, 4, 50  # 4 x 50 = 200 requests/s


def test_stage_throttling_50_per_second(daemon, lam):
    fn = create(lam, unique("throttle"), zip_dir(FUNCTIONS / "apigw"), "python3.12", "app.handler",
                MemorySize=1769)["FunctionArn"]
    gw = gw_client(daemon.endpoint)
    api = gw.create_api(Name=unique("throttle"), ProtocolType="HTTP")["ApiId"]
    integ = gw.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn,
                                  PayloadFormatVersion="2.0")["IntegrationId"]
    gw.create_route(ApiId=api, RouteKey="GET /hit", Target="integrations/" + integ)
    gw.create_stage(ApiId=api, StageName="$default", AutoDeploy=True,
                    DefaultRouteSettings={"ThrottlingRateLimit": RATE, "ThrottlingBurstLimit": BURST})
    host = "%s.execute-api.localhost:%d" % (api, daemon.port)
    # Warm an instance first, then let the bucket fill again.
    conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=10)
    conn.request("GET", "/inferred", headers={"Host": host})
    conn.getresponse().read()
    conn.close()
    time.sleep(1.0)
    codes, lock = [], threading.Lock()
    start = time.monotonic() + 0.2

    def client():
        c = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=10)
        mine = []
        for i in range(int(PER_CLIENT * SECONDS)):
            delay = start + i / PER_CLIENT - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            c.request("GET", "/hit", headers={"Host": host})
            r = c.getresponse()
            r.read()
            mine.append(r.status)
        c.close()
        with lock:
            codes.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    elapsed = time.monotonic() - start
    ok, throttled = codes.count(200), codes.count(429)
    assert ok + throttled == len(codes) == CLIENTS * PER_CLIENT * SECONDS, set(codes)
    expected = RATE * elapsed + BURST
    assert abs(ok - expected) <= 0.15 * expected, (ok, throttled, elapsed)
    assert elapsed < SECONDS * 1.5  # the load really was about 200 requests/s
