#!/usr/bin/env bash
# Publishing benchmark: Belfort against Server.js (TPF, HDT datasource) and Oxigraph server
# (SPARQL), on the same machine, in the same run, with the same client.
#
# usage: bench/publish.sh WORK_DIR SIZE...        e.g. bench/publish.sh /var/tmp/belfort-bench 1m 10m
#
# WORK_DIR holds, per SIZE: data/sosa-SIZE.nt and data/sosa-SIZE.hdt (the dataset and its HDT
# conversion), bf-SIZE/ (a Belfort store loaded with `belfort-serve-bench load`), ox-SIZE/ (an
# Oxigraph store loaded with `oxigraph load`), paths-SIZE/ (TPF request mixes); and the peers:
# node-ldf/ (npm @ldf/server 3.3.0), venv/ (pip oxigraph). bench/README.md says how to make them.
# Environment: SECONDS_PER_RUN (10), CONCURRENCY (8), RUNS (11), QUERIES_DIR (SPARQL queries),
# TPF_QUERIES (the queries Comunica runs over both TPF servers: bench/tpf/*.rq), COMUNICA_RUNS
# (11 per query and server), COMUNICA_SECONDS (300: the limit of one query's runs),
# BELFORT_ARGS (more `belfort serve` options, e.g. `--page-cache-mb 0` to measure without the
# page cache), ONLY=sparql (the SPARQL runs alone: no Server.js, HDT or request mixes needed),
# ONLY=comunica (the Comunica queries alone: no request mixes, crawl or SPARQL).
set -euo pipefail
WORK=$(cd "$1" && pwd); shift
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/idle.sh"
# PROFILE=release runs the release build (its dependencies without debug assertions).
TARGET=${CARGO_TARGET_DIR:-/var/tmp/belfort-target}/${PROFILE:-debug}
SECS=${SECONDS_PER_RUN:-10}; CONC=${CONCURRENCY:-8}; RUNS=${RUNS:-11}
QUERIES_DIR=${QUERIES_DIR:-$WORK/queries}
BF_PORT=18181; LDF_PORT=18182; OX_PORT=18183
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# Puts every server on core 0 and sets `client` to run a client on core 1 (on one core: as is).
pin_servers() {
  if [ "$(nproc)" -ge 2 ]; then
    for p in "${pids[@]}"; do taskset -apc 0 "$p" >/dev/null; done
    client=(taskset -c 1)
  else
    client=()
  fi
}

wait_for() { # URL
  for _ in $(seq 600); do curl -sf -o /dev/null -H 'Accept: text/turtle' "$1" && return 0; sleep 0.5; done
  echo "not answering: $1" >&2; return 1
}

for size in "$@"; do
  echo "== $size =="
  "$TARGET/belfort" serve --data "$WORK/bf-$size" --bind 127.0.0.1:$BF_PORT \
    --max-queries 2 --query-timeout 600 --max-results 1000000 ${BELFORT_ARGS:-} >/dev/null 2>"$WORK/bf-$size.log" &
  pids+=($!)
  "$WORK/venv/bin/oxigraph" serve-read-only --location "$WORK/ox-$size" --bind 127.0.0.1:$OX_PORT >"$WORK/ox-$size.log" 2>&1 &
  pids+=($!)
  wait_for "http://127.0.0.1:$BF_PORT/health"
  if [ "${ONLY:-}" != sparql ]; then
    sed -e "s#HDT_FILE#$WORK/data/sosa-$size.hdt#" -e "s#PORT#$LDF_PORT#" "$HERE/ldf-hdt.json" > "$WORK/ldf-$size.json"
    "$WORK/node-ldf/node_modules/.bin/ldf-server" "$WORK/ldf-$size.json" $LDF_PORT 1 >"$WORK/ldf-$size.log" 2>&1 &
    pids+=($!)
    wait_for "http://127.0.0.1:$LDF_PORT/sosa"
    sleep 2
    if [ "${ONLY:-}" != comunica ]; then
      # Warm-up: every distinct request of the mixes once, on both servers, then Belfort left until
      # idle: a fragment's first request counts it (exactly up to 1 000 000 matches, beyond that in
      # the background), which happens once per data version. The mixes then measure the steady
      # state; the warm-up time is the first-request cost.
      for server in belfort serverjs; do
        if [ $server = belfort ]; then base=http://127.0.0.1:$BF_PORT; prefix=/fragments; else base=http://127.0.0.1:$LDF_PORT; prefix=/sosa; fi
        start=$(date +%s.%N)
        requests=$(cat "$WORK"/paths-$size/{by_sensor,by_subject,type_first,type_deep,scan_first,mix}.txt | sort -u | sed "s#^/sosa#$base$prefix#" | tee "$WORK/warm-$size.$server.txt" | wc -l)
        xargs -P 4 -n 100 curl -s -H 'Accept: application/n-quads' < "$WORK/warm-$size.$server.txt" > /dev/null
        printf 'warm-up %-4s %-9s %s distinct requests in %.1f s\n' "$size" "$server" "$requests" "$(echo "$(date +%s.%N) - $start" | bc)"
      done
      echo "belfort idle after the warm-up after $(wait_idle "${pids[0]}" 2 10 300) s"
      for mix in by_sensor by_subject type_first type_deep scan_first mix; do
        for server in belfort serverjs; do
          if [ $server = belfort ]; then base=http://127.0.0.1:$BF_PORT; prefix=/fragments; else base=http://127.0.0.1:$LDF_PORT; prefix=/sosa; fi
          sed "s#^/sosa#$prefix#" "$WORK/paths-$size/$mix.txt" > "$WORK/paths-$size/$mix.$server.txt"
          printf 'tpf %-4s %-10s %-9s ' "$size" "$mix" "$server"
          "$TARGET/belfort-serve-bench" tpf "$base" "$WORK/paths-$size/$mix.$server.txt" "$SECS" "$CONC"
        done
      done
      # One client reading the whole rdf:type sosa:Observation fragment through hydra:next.
      for server in belfort serverjs; do
        if [ $server = belfort ]; then base=http://127.0.0.1:$BF_PORT; else base=http://127.0.0.1:$LDF_PORT; fi
        printf 'crawl %-4s %-9s ' "$size" "$server"
        # Belfort serves the first 10 000 pages of a fragment (beyond: 400, narrow the pattern or
        # use SPARQL); at 10m the type fragment has 12 500.
        "$TARGET/belfort-serve-bench" crawl "$base$(head -1 "$WORK/paths-$size/type_first.$server.txt")" 2>&1 | head -1 || true
      done
    fi
    # Comunica answering each TPF query (bench/tpf/*.rq unless TPF_QUERIES names others) over
    # Server.js, Belfort read as plain TPF, and Belfort read as bindings-restricted (brTPF,
    # which Server.js does not offer), one after the other. Each runs COMUNICA_RUNS times (11)
    # in one Node process with a fresh engine per run: the first run pays Node's and
    # Comunica's warm-up, the median of the others is the query time.
    # Pinned as the SPARQL runs are (below): the servers on one core, Comunica on the other.
    pin_servers
    for query in ${TPF_QUERIES:-$HERE/tpf/*.rq}; do
      for server in serverjs belfort belfort-brtpf; do
        mode=tpf
        case $server in
          belfort) url=http://127.0.0.1:$BF_PORT/fragments ;;
          belfort-brtpf) url=http://127.0.0.1:$BF_PORT/fragments; mode=brtpf ;;
          *) url=http://127.0.0.1:$LDF_PORT/sosa ;;
        esac
        name=$(basename "$query" .rq)
        out="$WORK/comunica-$size-$name-$server"
        # A query Comunica does not finish (it may pick a bind join of tens of thousands of
        # requests, or run out of heap) is reported as such; the benchmark goes on.
        if timeout "${COMUNICA_SECONDS:-300}" "${client[@]}" node "$HERE/../crates/cli/tests/judges/comunica_timed.mjs" "$url" "$query" "${COMUNICA_RUNS:-11}" "$mode" > "$out.json" 2> "$out.log"; then
          python3 - "$out.json" "$size" "$name" "$server" <<'PY'
import json, statistics, sys
runs = json.load(open(sys.argv[1]))
ms, rest = runs["milliseconds"], runs["milliseconds"][1:] or runs["milliseconds"]
print(f"comunica {sys.argv[2]:<4} {sys.argv[3]:<22} {sys.argv[4]:<13} first {ms[0]:8.1f} ms  median {statistics.median(rest):8.1f} ms  "
      f"min {min(rest):8.1f} ms  requests {runs['requests'][-1]}  rows {runs['rows'][-1]}")
PY
        else
          echo "comunica $size $name $server: did not finish within ${COMUNICA_SECONDS:-300} s (see $out.log)"
        fi
      done
    done
  fi
  if [ "${ONLY:-}" = comunica ]; then cleanup; pids=(); sleep 2; continue; fi
  wait_for "http://127.0.0.1:$OX_PORT/"
  # The fragment requests leave background counts running (exact counts of the large
  # fragments): the SPARQL runs wait until the server is idle, as Oxigraph server is.
  echo "belfort idle after $(wait_idle "${pids[0]}" 2 10 120) s"
  # One core for the servers and the other for the client: a query's time then no longer
  # depends on where the scheduler puts the evaluating thread.
  pin_servers
  for server in belfort oxigraph; do
    if [ $server = belfort ]; then endpoint=http://127.0.0.1:$BF_PORT/sparql; else endpoint=http://127.0.0.1:$OX_PORT/query; fi
    for q in "$QUERIES_DIR"/*.rq; do
      printf 'sparql %-4s %-9s ' "$size" "$server"
      "${client[@]}" "$TARGET/belfort-serve-bench" sparql "$endpoint" "$RUNS" "$q"
    done
  done
  cleanup; pids=(); sleep 2
done
