#!/usr/bin/env bash
# Starts each issue-5 peer on a loopback port, runs selfcheck.mjs against it
# and stops it again. Run from anywhere after building the peers:
#   CARGO_TARGET_DIR=/work/main/benches/target cargo build --release --manifest-path benches/peers/Cargo.toml
#   npm ci --prefix benches/peers/node && npm ci --prefix tests/interop
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${CARGO_TARGET_DIR:-$here/../target}/release
status=0
run() { # name mode port cmd...
  local name=$1 mode=$2 port=$3; shift 3
  PORT=$port "$@" 2>/dev/null &
  local pid=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  echo "== $name (port $port)"
  node "$here/selfcheck.mjs" "$mode" "$port" || status=1
  kill "$pid"; wait "$pid" 2>/dev/null
}
run peer-socketioxide sio 39101 "$bin/peer-socketioxide"
run peer-node sio 39102 node "$here/node/server.js"
run peer-raw raw 39103 "$bin/peer-raw"
exit $status
