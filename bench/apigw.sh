#!/bin/sh
# API Gateway benchmark for lambdad. Prints figures; never passes or fails on time.
#   requests/s and p50/p99 latency through an HTTP API ($default route, AWS_PROXY, payload 2.0)
#   to a no-op C function, at concurrency 1 and 32 (wrk, keep-alive), next to the same function
#   invoked directly through the Lambda API.
# Usage: bench/apigw.sh [seconds-per-run]   (run from the repository root after `make build`)
set -eu
DUR=${1:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/lambdad
WORK=$(mktemp -d)
PORT=45670
trap 'kill $PID 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { echo "bench needs wrk (apt-get install wrk)"; exit 1; }
. "$ROOT/bench/lib.sh"

"$BIN" --listen 127.0.0.1:$PORT --data-dir "$WORK/data" --log-level warn 2>"$WORK/log" &
PID=$!
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$PORT/_lambdad/health" >/dev/null && break
    sleep 0.05
done

# A no-op C function (1769 MB: a full vCPU, so this measures lambdad) behind a quick-created
# HTTP API (an AWS_PROXY integration, the $default route and an auto-deployed $default stage).
API=$(/usr/bin/python3 - "$PORT" "$ROOT/build/runtimes/c/examples/noop" <<'PY'
import base64, io, json, sys, urllib.request, zipfile
port, noop = sys.argv[1:3]
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    info = zipfile.ZipInfo("bootstrap")
    info.external_attr = 0o755 << 16
    z.writestr(info, open(noop, "rb").read())
def call(path, body):
    req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path), json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req).read())
fn = call("/2015-03-31/functions", {"FunctionName": "c-noop", "Runtime": "provided.al2023",
          "Handler": "noop", "Role": "arn:aws:iam::000000000000:role/bench", "MemorySize": 1769,
          "Code": {"ZipFile": base64.b64encode(buf.getvalue()).decode()}})
api = call("/v2/apis", {"name": "bench", "protocolType": "HTTP", "target": fn["FunctionArn"]})
print(api["apiId"])
PY
)
HOST="$API.execute-api.localhost:$PORT"

echo "lambdad API Gateway benchmark ($(nproc) cores, ${DUR}s per run)"
echo "sandbox: $(curl -s "http://127.0.0.1:$PORT/_lambdad/health" | sed 's/.*"sandbox":"\([^"]*\)".*/\1/')"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $HOST" "http://127.0.0.1:$PORT/bench")
[ "$status" = 200 ] || { echo "the HTTP API answered $status"; cat "$WORK/log"; exit 1; }
for c in 1 32; do
    wrk_row "HTTP API GET /bench" "$c" req/s "http://127.0.0.1:$PORT/bench" -H "Host: $HOST"
    wrk_row "Lambda Invoke (direct)" "$c" req/s \
        "http://127.0.0.1:$PORT/2015-03-31/functions/c-noop/invocations" -s "$ROOT/bench/post.lua"
done
