#!/usr/bin/env bash
# Remote-store benchmark: ingest throughput and fragment/SPARQL latency with the embedded store
# and with a Virtuoso 7 engine (Debian `virtuoso-opensource-7`) behind the store boundary, on
# the same machine, in the same run.
#
# usage: bench/remote.sh OBSERVATIONS [BATCH]     e.g. bench/remote.sh 100000 10000
#
# Starts Virtuoso on free ports with its database in a temporary directory (4 GiB of buffers),
# lets the anonymous SPARQL user update it, and runs `belfort-remote-bench` against it.
set -euo pipefail
N=${1:-100000}; BATCH=${2:-10000}
TARGET=${CARGO_TARGET_DIR:-/var/tmp/belfort-target}/debug
command -v virtuoso-t >/dev/null || { echo "apt-get install virtuoso-opensource-7" >&2; exit 2; }
DIR=$(mktemp -d)
SQL_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HTTP_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$DIR/virtuoso.ini" <<INI
[Database]
DatabaseFile = $DIR/virtuoso.db
ErrorLogFile = $DIR/virtuoso.log
LockFile = $DIR/virtuoso.lck
TransactionFile = $DIR/virtuoso.trx
xa_persistent_file = $DIR/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = $DIR/virtuoso-temp.db
TransactionFile = $DIR/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:$SQL_PORT
DisableUnixSocket = 1
MaxSortedTopRows = 10000000
NumberOfBuffers = 500000
MaxDirtyBuffers = 375000
DirsAllowed = .
[HTTPServer]
ServerPort = 127.0.0.1:$HTTP_PORT
ServerRoot = $DIR
MaxClientConnections = 8
ServerThreads = 8
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 300
MaxQueryCostEstimationTime = 4000
INI
virtuoso-t +foreground +configfile "$DIR/virtuoso.ini" >"$DIR/stdout.log" 2>&1 &
VPID=$!
trap 'kill $VPID 2>/dev/null || true; wait $VPID 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 300); do curl -sf -o /dev/null "http://127.0.0.1:$HTTP_PORT/sparql?query=ASK%7B%7D" && break; sleep 0.2; done
isql-vt "127.0.0.1:$SQL_PORT" dba dba exec="GRANT SPARQL_UPDATE TO \"SPARQL\"; DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 7);" >/dev/null
RUST_LOG=${RUST_LOG:-warn} "$TARGET/belfort-remote-bench" "http://127.0.0.1:$HTTP_PORT/sparql" "http://127.0.0.1:$HTTP_PORT/sparql-graph-crud" virtuoso "$N" "$BATCH"
