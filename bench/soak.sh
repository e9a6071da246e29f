#!/bin/sh
# Function log soak run: wrk at concurrency C for SECONDS against a function that prints one line
# per call (as issue 10 measured: Python, one print per invocation). Every 30 s it prints the
# daemon's resident memory, the log writer's backlog (from /metrics), the events committed so
# far and the database size; at the end, how far RSS moved after the first minute (the issue's
# bound: within 20 MB). Prints figures; never passes or fails.
# Usage: bench/soak.sh [seconds] [connections] [runtime: python|c]   (after `make build`)
# The data directory is made under ${TMPDIR:-/tmp}: put it on the disk you want to measure.
set -eu
DUR=${1:-300}
CONNS=${2:-32}
KIND=${3:-python}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${LAMBDAD_BIN:-$ROOT/build/lambdad}
WORK=$(mktemp -d)
PORT=45663
URL=http://127.0.0.1:$PORT
PID=
WPID=
trap '[ -n "$WPID" ] && kill $WPID 2>/dev/null; [ -n "$PID" ] && kill $PID 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
command -v wrk >/dev/null || { echo "bench needs wrk (apt-get install wrk)"; exit 1; }

"$BIN" --listen 127.0.0.1:$PORT --data-dir "$WORK/data" --log-level warn 2>"$WORK/daemon.log" &
PID=$!
for _ in $(seq 200); do curl -sf "$URL/_lambdad/health" >/dev/null && break; sleep 0.05; done

/usr/bin/python3 - "$PORT" "$KIND" "$ROOT" <<'PY'
import base64, io, json, os, sys, urllib.request, zipfile
port, kind, root = sys.argv[1:4]
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    if kind == "python":
        z.writestr("app.py", "def handler(event, context):\n"
                             "    print('soak line for request', context.aws_request_id)\n"
                             "    return {}\n")
        runtime, handler = "python3.11", "app.handler"
    else:  # the C echo function writes nothing itself: its platform lines only
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        z.writestr(info, open(os.path.join(root, "build/runtimes/c/examples/echo"), "rb").read())
        runtime, handler = "provided.al2023", "x"
body = json.dumps({"FunctionName": "soak", "Runtime": runtime, "Handler": handler,
                   "Role": "arn:aws:iam::000000000000:role/bench", "MemorySize": 1769,
                   "Code": {"ZipFile": base64.b64encode(buf.getvalue()).decode()}}).encode()
urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/2015-03-31/functions", body,
                                              {"Content-Type": "application/json"})).read()
PY

metric() { curl -sf "$URL/metrics" | awk -v m="$1" '$1==m{print $2}'; }
rss_kb() { awk '/^VmRSS/{print $2}' /proc/$PID/status; }
db_mb() { du -sm "$WORK/data" | cut -f1; }

echo "lambdad function log soak ($(nproc) cores): $KIND function, one line per call, c=$CONNS for ${DUR}s"
wrk -t2 -c"$CONNS" -d"${DUR}s" --latency -s "$ROOT/bench/post.lua" \
    "$URL/2015-03-31/functions/soak/invocations" >"$WORK/wrk.out" 2>&1 &
WPID=$!
t=0
rss60=
max_after=0
min_after=
printf '  %5s %9s %12s %13s %14s %8s %7s\n' t rss_MB backlog_KB backlog_events committed paused db_MB
while [ $t -lt "$DUR" ]; do
    sleep 30
    t=$((t + 30))
    r=$(rss_kb)
    printf '  %4ss %9.1f %12.1f %13s %14s %8s %7s\n' $t "$(echo "$r" | awk '{print $1/1024}')" \
        "$(metric lambdad_log_backlog_bytes | awk '{print $1/1024}')" "$(metric lambdad_log_backlog_events)" \
        "$(metric lambdad_log_events_written_total)" "$(metric lambdad_log_paused_outputs)" "$(db_mb)"
    if [ $t -eq 60 ]; then rss60=$r; fi
    if [ $t -gt 60 ]; then
        [ "$r" -gt "$max_after" ] && max_after=$r
        if [ -z "$min_after" ] || [ "$r" -lt "$min_after" ]; then min_after=$r; fi
    fi
done
wait $WPID || true
WPID=
rps=$(awk '/Requests\/sec/{print $2}' "$WORK/wrk.out")
p99=$(awk '$1=="99%"{print $2}' "$WORK/wrk.out")
errs=$(awk '/Non-2xx/{print $NF}' "$WORK/wrk.out")
echo "  wrk: $rps invocations/s, p99 $p99${errs:+, non-2xx: $errs}"
if [ -n "$rss60" ] && [ "$max_after" -gt 0 ]; then
    up=$(( (max_after - rss60) / 1024 ))
    down=$(( (rss60 - min_after) / 1024 ))
    echo "  RSS at 60 s $((rss60 / 1024)) MB; afterwards between $((min_after / 1024)) and $((max_after / 1024)) MB (+$up / -$down MB; bound: within 20 MB)"
fi
grep -c 'level=error' "$WORK/daemon.log" | awk '{print "  daemon errors logged: " $1}'
