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
find "$DIR" -type f -exec cat {} + > /dev/null
"$TARGET/belfort" serve --data "$DIR" --bind 127.0.0.1:$PORT >/dev/null 2>"$DIR.serve.log" &
pids+=($!)
for _ in $(seq 600); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.5; done
# A freshly loaded store is compacted by the engine in the background; measure once it has
# settled (the server idle: under 0.25 s of CPU in 5 s), at most 15 minutes.
echo "store settled after $(wait_idle "${pids[-1]}" 5 25 180) s"

echo "== page latency: $CONC clients, $SECS s, pages of the all stream (round robin) =="
"$TARGET/belfort-serve-bench" tpf "http://127.0.0.1:$PORT" "$DIR/pages.txt" "$SECS" "$CONC"

echo "== replicate /ldes/all =="
rm -rf "$WORK/ldes-replica-$N"
start=$(date +%s.%N)
"$TARGET/belfort" replicate "http://127.0.0.1:$PORT/ldes/all" --allow-private-addresses --data "$WORK/ldes-replica-$N" 2>"$WORK/ldes-replica-$N.log"
belfort_s=$(echo "$(date +%s.%N) - $start" | bc)
tail -1 "$WORK/ldes-replica-$N.log"
start=$(date +%s.%N)
members=$(node --max-old-space-size=8192 "$JUDGES/ldes_count.mjs" "http://127.0.0.1:$PORT/ldes/all" 2>"$WORK/ldes-client-$N.log")
client_s=$(echo "$(date +%s.%N) - $start" | bc)
printf 'belfort replicate: %.1f s\nldes-client 0.3.0: %.1f s (%s members)\nratio (ldes-client / belfort): %.2f\n' \
  "$belfort_s" "$client_s" "$members" "$(echo "$client_s / $belfort_s" | bc -l)"
