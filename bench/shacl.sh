#!/usr/bin/env bash
# SHACL benchmark: `belfort validate` against pySHACL, pyshacl-turbo, pyrudof and shacl-engine
# on the same data and the same shape, on the same machine, in the same run.
#
# usage: bench/shacl.sh WORK_DIR "ENGINES" SIZE...   e.g. bench/shacl.sh /var/tmp/belfort-bench "belfort rudof turbo shacl-engine" 100k 1m
#
# WORK_DIR holds data/sosa-SIZE.nt (generated as bench/README.md says), venv/ (pip pyshacl
# pyshacl-turbo pyrudof rdflib) and node-shacl/node_modules (npm shacl-engine rdf-validate-shacl
# n3 rdf-ext). The shape is shacl/observation-shape.ttl: every engine validates the same one.
# Each run is wrapped in /usr/bin/time for wall time and peak RSS. Environment: RUNS (3),
# TIMEOUT_S (900).
set -uo pipefail
WORK=$(cd "$1" && pwd); ENGINES=$2; shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
TARGET=${CARGO_TARGET_DIR:-/var/tmp/belfort-target}/debug
RUNS=${RUNS:-3}; TIMEOUT_S=${TIMEOUT_S:-900}
SHAPES=$HERE/shacl/observation-shape.ttl
export SHACL_NODE_MODULES=$WORK/node-shacl/node_modules
printf '%-14s %-5s %4s %10s %10s %8s\n' engine size run wall_s peak_mb results
for size in "$@"; do
  data=$WORK/data/sosa-$size.nt
  for engine in $ENGINES; do
    for run in $(seq "$RUNS"); do
      case $engine in
        belfort) cmd=("$TARGET/belfort" validate --shapes "$SHAPES" --format json "$data") ;;
        pyshacl|turbo|rudof) cmd=("$WORK/venv/bin/python" "$HERE/shacl/shacl_py.py" --engine "$engine" --data "$data" --shapes "$SHAPES") ;;
        *) cmd=(node --max-old-space-size=16384 "$HERE/shacl/shacl_js.mjs" "$engine" "$data" "$SHAPES") ;;
      esac
      out=$(timeout "$TIMEOUT_S" /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "${cmd[@]}" 2>/dev/null)
      read -r wall rss < <(tail -1 "$WORK/time.txt") || true
      if [ "$engine" = belfort ]; then
        results=$(printf '%s' "$out" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["results"]))' 2>/dev/null)
      else
        results=$(printf '%s' "$out" | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"])' 2>/dev/null)
      fi
      printf '%-14s %-5s %4s %10s %10s %8s\n' "$engine" "$size" "$run" "${wall:-?}" "$(( ${rss:-0} / 1024 ))" "${results:-?}"
    done
  done
done
