#!/bin/sh
# Function log writer benchmark: how many log events per second invoke/logs.c commits into
# SQLite (WAL, synchronous=FULL) with its bounded backlog, next to store_logs_append alone.
# Prints figures; never passes or fails on time. The goal (issue 10) is >= 100,000 events/s.
# Usage: bench/logs.sh [events] [line-bytes]   (from the repository root after `make build`)
# The data directory is made under ${TMPDIR:-/tmp}: put it on the disk you want to measure.
set -eu
N=${1:-1000000}
LEN=${2:-100}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PKGS="libh2o-evloop libcjson libzip sqlite3 openssl libseccomp"
[ -f "$ROOT/build/release/liblambdad.a" ] || { echo "run make build first"; exit 1; }
# shellcheck disable=SC2046
cc -std=c11 -O2 -D_GNU_SOURCE -DH2O_USE_LIBUV=0 -I"$ROOT/src" $(pkg-config --cflags $PKGS) \
    -o "$WORK/logs_bench" "$ROOT/bench/logs_bench.c" "$ROOT/build/release/liblambdad.a" \
    $(pkg-config --libs $PKGS) -lwslay -lssl -lcrypto -lpthread
echo "lambdad log writer benchmark ($(nproc) cores)"
mkdir -p "$WORK/data"
"$WORK/logs_bench" "$WORK/data" "$N" "$LEN" 32
