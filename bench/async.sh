#!/bin/sh
# Asynchronous invoke benchmark for lambdad. Prints figures; never passes or fails on time.
# Every 202 means the event was committed to SQLite (fsync'd): these are durable enqueue rates.
#   1. enqueue while draining: Event invokes of a no-op C function at concurrency 32 (wrk,
#      keep-alive): events/s accepted, p50/p99 of the 202, then how long the queue takes to empty.
#   2. enqueue only: the same with the account's one concurrency slot held by a long synchronous
#      call, so every event stays queued; then kill -9, restart on the same data directory and time
#      the drain of that backlog (load + dispatch at --async-concurrency 32).
# Usage: bench/async.sh [seconds] [connections]   (from the repository root after `make build`)
# The data directories are made under ${TMPDIR:-/tmp}: put them on the disk you want to measure.
set -eu
DUR=${1:-5}
CONNS=${2:-32}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${LAMBDAD_BIN:-$ROOT/build/lambdad}
WORK=$(mktemp -d)
PORT=45662
PID=
BPID=
trap 'kill $BPID 2>/dev/null; [ -n "$PID" ] && kill $PID 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { echo "bench needs wrk (apt-get install wrk)"; exit 1; }

URL=http://127.0.0.1:$PORT
INVOKE=$URL/2015-03-31/functions/c-noop/invocations

now_ms() { date +%s%3N; }

start() { # data-dir extra-flags... -> $PID
    dir=$1
    shift
    "$BIN" --listen 127.0.0.1:$PORT --data-dir "$dir" --log-level warn "$@" 2>>"$dir.log" &
    PID=$!
    for _ in $(seq 1200); do
        curl -sf "$URL/_lambdad/health" >/dev/null && return 0
        sleep 0.05
    done
    echo "daemon did not start"; cat "$dir.log"; exit 1
}

depth() {
    curl -sf "$URL/_lambdad/health" | sed -n 's/.*"async_queue_depth":\([0-9]*\).*/\1/p'
}

wait_empty() { # -> prints ms waited (bounded at 10 minutes) or "timeout"
    t0=$(now_ms)
    while [ "$(depth)" != 0 ]; do
        [ $(($(now_ms) - t0)) -gt 600000 ] && { echo timeout; return; }
        sleep 0.05
    done
    echo $(($(now_ms) - t0))
}

secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

mkfn() { # name bootstrap-binary: provided.al2023, 1769 MB (a full vCPU, so the drain measures
         # lambdad rather than the cgroup CPU quota)
    /usr/bin/python3 - "$PORT" "$1" "$2" <<'PY'
import base64, io, json, sys, urllib.request, zipfile
port, name, bootstrap = sys.argv[1:4]
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    info = zipfile.ZipInfo("bootstrap")
    info.external_attr = 0o755 << 16
    z.writestr(info, open(bootstrap, "rb").read())
body = json.dumps({"FunctionName": name, "Runtime": "provided.al2023", "Handler": "x",
                   "Role": "arn:aws:iam::000000000000:role/bench", "MemorySize": 1769, "Timeout": 900,
                   "Code": {"ZipFile": base64.b64encode(buf.getvalue()).decode()}}).encode()
req = urllib.request.Request(f"http://127.0.0.1:{port}/2015-03-31/functions", body,
                             {"Content-Type": "application/json"})
urllib.request.urlopen(req).read()
PY
}

enqueue() { # label -> prints the wrk figures
    out=$(wrk -t2 -c"$CONNS" -d"${DUR}s" --latency -s "$ROOT/bench/event.lua" "$INVOKE")
    total=$(echo "$out" | awk '/requests in/{print $1}')
    rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
    p50=$(echo "$out" | awk '$1=="50%"{print $2}')
    p99=$(echo "$out" | awk '$1=="99%"{print $2}')
    errs=$(echo "$out" | awk '/Non-2xx/{print $NF}')
    sockerr=$(echo "$out" | awk '/Socket errors/{print}')
    printf '  %-26s c=%-3s %10s events/s accepted (202)  p50 %-9s p99 %-9s (%s events%s%s)\n' \
        "$1" "$CONNS" "$rps" "$p50" "$p99" "$total" "${errs:+, non-2xx: $errs}" "${sockerr:+, $sockerr}"
}

echo "lambdad async invoke benchmark ($(nproc) cores, ${DUR}s per run, $CONNS connections, data under $WORK)"

# 1. enqueue while the dispatcher drains
start "$WORK/a"
echo "sandbox: $(curl -s "$URL/_lambdad/health" | sed 's/.*"sandbox":"\([^"]*\)".*/\1/')"
mkfn c-noop "$ROOT/build/runtimes/c/examples/noop"
wrk -t1 -c"$CONNS" -d1s -s "$ROOT/bench/event.lua" "$INVOKE" >/dev/null 2>&1 # start instances
wait_empty >/dev/null
enqueue "enqueue while draining"
left=$(depth)
ms=$(wait_empty)
echo "  $left events queued when wrk ended; queue empty $( [ "$ms" = timeout ] && echo "not within 10 min" || echo "after $(secs "$ms") s")"
kill $PID; wait $PID 2>/dev/null || true

# 2. enqueue only (the account's single slot is busy), then drain the backlog after kill -9
start "$WORK/b" --concurrency 1
mkfn c-noop "$ROOT/build/runtimes/c/examples/noop"
mkfn blocker "$ROOT/build/runtimes/c/examples/echo"
curl -s -o /dev/null -X POST -d '{"sleep_ms": 600000}' "$URL/2015-03-31/functions/blocker/invocations" &
BPID=$!
sleep 1
enqueue "enqueue only (no dispatch)"
backlog=$(depth)
kill $BPID 2>/dev/null || true
kill -9 $PID; wait $PID 2>/dev/null || true
t0=$(now_ms)
start "$WORK/b"
up=$(($(now_ms) - t0))
ms=$(wait_empty)
if [ "$ms" = timeout ]; then
    echo "  backlog of $backlog events after kill -9: not drained within 10 minutes"
else
    all=$((up + ms))
    echo "  backlog of $backlog events after kill -9: daemon up in $(secs $up) s, queue empty $(secs $all) s after the restart ($((backlog * 1000 / (all > 0 ? all : 1))) events/s)"
fi
