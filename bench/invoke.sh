#!/bin/sh
# Invoke benchmarks for lambdad. Prints figures; never passes or fails on time.
#   warm invoke latency p50/p99 and invocations/s at concurrency 1 and 32 (wrk, keep-alive)
#   for a no-op C function and a Node function; cold start p50 per runtime.
# Usage: bench/invoke.sh [seconds-per-run]   (run from the repository root after `make build`)
set -eu
DUR=${1:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/build/lambdad
WORK=$(mktemp -d)
PORT=45660
COLD_PORT=45661
trap 'kill $PID $CPID 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { echo "bench needs wrk (apt-get install wrk)"; exit 1; }
. "$ROOT/bench/lib.sh"

start() { # port keepalive-ms data-dir -> pid in $!
    "$BIN" --listen 127.0.0.1:$1 --data-dir "$3" --keepalive-ms "$2" --log-level warn \
        2>"$3.log" &
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$1/_lambdad/health" >/dev/null && return 0
        sleep 0.05
    done
    echo "daemon did not start"; cat "$3.log"; exit 1
}

mkzip() { # port name runtime handler memory-mb files... (zipped flat, executable)
    /usr/bin/python3 - "$@" <<'PY'
import base64, json, sys, urllib.request, zipfile, io
port, name, runtime, handler, memory = sys.argv[1:6]
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    for f in sys.argv[6:]:
        info = zipfile.ZipInfo(f.split("/")[-1])
        info.external_attr = 0o755 << 16
        z.writestr(info, open(f, "rb").read())
body = json.dumps({"FunctionName": name, "Runtime": runtime, "Handler": handler,
                   "Role": "arn:aws:iam::000000000000:role/bench", "MemorySize": int(memory),
                   "Code": {"ZipFile": base64.b64encode(buf.getvalue()).decode()}}).encode()
req = urllib.request.Request(f"http://127.0.0.1:{port}/2015-03-31/functions", body,
                             {"Content-Type": "application/json"})
urllib.request.urlopen(req).read()
PY
}

create_all() { # port
    mkdir -p "$WORK/node" "$WORK/py"
    cp "$ROOT/build/runtimes/c/examples/noop" "$WORK/bootstrap"
    printf 'exports.handler = async () => ({});\n' > "$WORK/node/index.js"
    printf 'def handler(event, context):\n    return {}\n' > "$WORK/py/app.py"
    # 1769 MB buys a full vCPU, so these measure lambdad, not the CPU quota;
    # the -128 variants show what a 128 MB function (7 % of a core) sees.
    mkzip "$1" c-noop provided.al2023 noop 1769 "$WORK/bootstrap"
    mkzip "$1" node-noop nodejs20.x index.handler 1769 "$WORK/node/index.js"
    mkzip "$1" py-noop python3.11 app.handler 1769 "$WORK/py/app.py"
    mkzip "$1" c-noop-128 provided.al2023 noop 128 "$WORK/bootstrap"
    mkzip "$1" node-noop-128 nodejs20.x index.handler 128 "$WORK/node/index.js"
    mkzip "$1" py-noop-128 python3.11 app.handler 128 "$WORK/py/app.py"
    # The C no-op with one external extension (a shell script that registers and then waits for
    # events with curl): what the Extensions API adds to a cold start.
    /usr/bin/python3 - "$1" "$WORK/bootstrap" <<'PY'
import base64, io, json, sys, urllib.request, zipfile
port, bootstrap = sys.argv[1:3]
EXT = """#!/bin/sh
API="http://${AWS_LAMBDA_RUNTIME_API}/2020-01-01/extension"
H=$(mktemp)
curl -s -D "$H" -o /dev/null -XPOST "$API/register" -H "Lambda-Extension-Name: ext" -d '{"events":["INVOKE"]}'
ID=$(grep -i '^lambda-extension-identifier:' "$H" | tr -d '\\r' | cut -d' ' -f2)
while curl -s -o /dev/null -H "Lambda-Extension-Identifier: $ID" "$API/event/next"; do :; done
"""
def z(name, data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo(name)
        info.external_attr = 0o755 << 16
        zf.writestr(info, data)
    return base64.b64encode(buf.getvalue()).decode()
def call(path, body):
    req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path), json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req).read())
layer = call("/2018-10-31/layers/bench-ext/versions", {"Content": {"ZipFile": z("extensions/ext", EXT)}})
call("/2015-03-31/functions", {"FunctionName": "c-noop-ext", "Runtime": "provided.al2023", "Handler": "noop",
     "Role": "arn:aws:iam::000000000000:role/bench", "MemorySize": 1769, "Layers": [layer["LayerVersionArn"]],
     "Code": {"ZipFile": z("bootstrap", open(bootstrap, "rb").read())}})
PY
}

warm() { # function concurrency
    wrk_row "$1" "$2" inv/s "http://127.0.0.1:$PORT/2015-03-31/functions/$1/invocations" \
        -s "$ROOT/bench/post.lua"
}

echo "lambdad invoke benchmark ($(nproc) cores, ${DUR}s per run)"
start $PORT 600000 "$WORK/warm"; PID=$!
echo "sandbox: $(curl -s "http://127.0.0.1:$PORT/_lambdad/health" | sed 's/.*"sandbox":"\([^"]*\)".*/\1/')"
create_all $PORT
echo "warm invokes (wrk, keep-alive):"
for fn in c-noop node-noop; do
    warm $fn 1
    warm $fn 32
done
warm c-noop-128 1
start $COLD_PORT 0 "$WORK/cold"; CPID=$!
create_all $COLD_PORT
echo "cold starts (--keepalive-ms 0, sequential):"
for fn in c-noop c-noop-ext py-noop node-noop c-noop-128 py-noop-128 node-noop-128; do
    /usr/bin/python3 "$ROOT/bench/coldstart.py" $COLD_PORT $fn 50
done
