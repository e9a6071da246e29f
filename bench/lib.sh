# Shared by the benchmark scripts (sourced): one wrk run printed as a row.
# wrk_row LABEL CONCURRENCY UNIT URL [wrk args...]: a 1 s warm-up, then $DUR seconds measured;
# prints p50, p99 and requests per second (and any non-2xx count).
wrk_row() {
    label=$1 c=$2 unit=$3 url=$4
    shift 4
    wrk -t1 -c"$c" -d1s "$@" "$url" >/dev/null 2>&1 # warm the instances
    out=$(wrk -t"$([ "$c" -gt 1 ] && echo 2 || echo 1)" -c"$c" -d"${DUR}s" --latency "$@" "$url")
    p50=$(echo "$out" | awk '$1=="50%"{print $2}')
    p99=$(echo "$out" | awk '$1=="99%"{print $2}')
    rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
    errs=$(echo "$out" | awk '/Non-2xx/{print $NF}')
    printf '  %-22s c=%-3s p50 %-9s p99 %-9s %10s %s%s\n' "$label" "$c" "$p50" "$p99" "$rps" "$unit" \
        "${errs:+  (non-2xx: $errs)}"
}
