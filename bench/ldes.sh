#!/usr/bin/env bash
# Event-stream benchmark: ingest with fragmentation (no lag), page latency under load, and the
# time to replicate the `all` stream with `belfort replicate` and with the npm `ldes-client`
# (0.3.0, from crates/cli/tests/judges), on the same machine, in the same run.
#
# usage: bench/ldes.sh WORK_DIR OBSERVATIONS     e.g. bench/ldes.sh /var/tmp/belfort-bench 1000000
#
# Builds WORK_DIR/ldes-N/ (a store of N synthetic Telraam observations, ingested in batches of
# 100 000 through the full pipeline), serves it, replays its pages with 8 clients for 10 s
# (`belfort-serve-bench tpf`), then replicates the stream with both clients into nothing
# else but their own output (Belfort into a fresh store). Environment: SECONDS_PER_RUN (10),
# CONCURRENCY (8), SKIP_BUILD (reuse WORK_DIR/ldes-N).
set -euo pipefail
WORK=$(cd "$1" && pwd); N=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/idle.sh"
# PROFILE=release runs the release build (its dependencies without debug assertions).
TARGET=${CARGO_TARGET_DIR:-/var/tmp/belfort-target}/${PROFILE:-debug}
JUDGES=$HERE/../crates/cli/tests/judges
SECS=${SECONDS_PER_RUN:-10}; CONC=${CONCURRENCY:-8}
PORT=18191
DIR=$WORK/ldes-$N
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

if [ -z "${SKIP_BUILD:-}" ]; then
  rm -rf "$DIR"
  echo "== ingest with fragmentation =="
  /usr/bin/time -f 'ingest process: %e s wall, %M KiB peak' "$TARGET/belfort-ldes-bench" "$DIR" "$N" 2>"$DIR.log" || { tail "$DIR.log"; exit 1; }
  grep 'ingest process' "$DIR.log"
fi

# Both replications read the same store: read its files once first, so that the first client
# does not pay for bringing a cold store into the OS page cache and the second profit from it.
# Closed pages kept by an earlier run are removed: the first replication renders every page.
rm -rf "$DIR/kept-pages"
find "$DIR" -type f -exec cat {} + > /dev/null
"$TARGET/belfort" serve --data "$DIR" --bind 127.0.0.1:$PORT >/dev/null 2>"$DIR.serve.log" &
pids+=($!)
server=${pids[-1]}
for _ in $(seq 600); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.5; done
# A freshly loaded store is compacted by the engine in the background; measure once it has
# settled (the server idle: under 0.25 s of CPU in 5 s), at most 15 minutes.
echo "store settled after $(wait_idle "$server" 5 25 180) s"

echo "== page latency: $CONC clients, $SECS s, pages of the all stream (round robin), rendered =="
"$TARGET/belfort-serve-bench" tpf "http://127.0.0.1:$PORT" "$DIR/pages.txt" "$SECS" "$CONC"

server_cpu() { awk '{ printf "%.1f", ($14 + $15) / 100 }' "/proc/$server/stat"; }
# Replicates the stream with one client; prints its wall time, and the server's CPU time in it.
replicate() { # NAME COMMAND...
  local name=$1; shift
  local cpu_before start wall
  cpu_before=$(server_cpu)
  start=$(date +%s.%N)
  "$@"
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  printf '%s: %.1f s (server CPU %.1f s)\n' "$name" "$wall" "$(echo "$(server_cpu) - $cpu_before" | bc)" >&2
  echo "$wall"
}

echo "== replicate /ldes/all =="
# The first replication renders every closed page (and the server keeps them on disk); the two
# that follow read kept pages, as every later peer does.
rm -rf "$WORK/ldes-replica-$N"
first_s=$(replicate "belfort replicate, pages rendered" \
  "$TARGET/belfort" replicate "http://127.0.0.1:$PORT/ldes/all" --allow-private-addresses \
  --data "$WORK/ldes-replica-$N" 2>"$WORK/ldes-replica-$N.log")
tail -1 "$WORK/ldes-replica-$N.log"
members_file=$(mktemp)
client_s=$(replicate "ldes-client 0.3.0, pages kept" sh -c \
  "node --max-old-space-size=8192 '$JUDGES/ldes_count.mjs' 'http://127.0.0.1:$PORT/ldes/all' >'$members_file' 2>'$WORK/ldes-client-$N.log'")
rm -rf "$WORK/ldes-replica-$N"
belfort_s=$(replicate "belfort replicate, pages kept" \
  "$TARGET/belfort" replicate "http://127.0.0.1:$PORT/ldes/all" --allow-private-addresses \
  --data "$WORK/ldes-replica-$N" 2>"$WORK/ldes-replica-$N.log")
tail -1 "$WORK/ldes-replica-$N.log"
printf 'ldes-client members: %s\nratio, pages kept (ldes-client / belfort): %.2f\nratio, belfort rendering the pages: %.2f\n' \
  "$(cat "$members_file")" "$(echo "$client_s / $belfort_s" | bc -l)" "$(echo "$client_s / $first_s" | bc -l)"
rm -f "$members_file"

# The latency clients ask for Turtle, the replications for N-Quads: read every page once in
# Turtle, so that the measurement below sees every page kept in its syntax.
sed "s|^|http://127.0.0.1:$PORT|" "$DIR/pages.txt" |
  xargs -P 2 -n 50 sh -c 'curl -sf -H "Accept: text/turtle" "$@" > /dev/null' pages
echo "== page latency: $CONC clients, $SECS s, the same pages, kept =="
"$TARGET/belfort-serve-bench" tpf "http://127.0.0.1:$PORT" "$DIR/pages.txt" "$SECS" "$CONC"
