#!/usr/bin/env bash
# `remit up` run as root with its data directory where PostgreSQL's account can not enter
# (like a checkout under /root): the servers' files go to /var/lib/remit/clusters and the
# stack still comes up, stops cleanly and comes up again on the same data.
# Usage: tools/e2e/private-dir.sh [path-to-remit]. Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/lib.sh
source tools/e2e-lib.sh
remit=${1:-.build/debug/remit}

if [[ $(id -u) -ne 0 ]]; then
  echo "not root: the server runs as this user, there is no other account to keep out"
  echo "0 passed, 0 failed"
  exit 0
fi

private=$(mktemp -d /tmp/remit-private.XXXXXX)
chmod 700 "$private"
data="$private/data"
postgres_port=$(free_port_pair)
node_port=$(free_port_pair)
router_port=$(free_port_pair)
router2_port=$((router_port + 1))
out="$private/up.out"

server_homes() { for link in "$data"/regions/*/server; do readlink "$link"; done; }
cleanup() {
  [[ -n $up_pid ]] && kill -TERM "$up_pid" 2>/dev/null && sleep 3
  "$remit" clusters stop --data-dir "$data" --postgres-port "$postgres_port" >/dev/null 2>&1
  for home in $(server_homes 2>/dev/null); do rm -rf "$(dirname "$home")"; done
  rm -rf "$private"
}
trap cleanup EXIT

start_up
check "remit up comes up with a data directory the server account can not enter" wait_ready
check "the servers' files live outside it, linked from it" test -L "$data/regions/east/server" -a -d "$(readlink "$data/regions/east/server")/pgdata"
check "the secrets stay inside it" test -f "$data/regions/east/database-url"
stop_up
check "it stops cleanly" test $? -eq 0
up_pid=
start_up
check "it comes up again on the same data" wait_ready
stop_up
check "and stops cleanly again" test $? -eq 0
up_pid=
# [-] keeps pgrep from matching its own command line.
check "no PostgreSQL server of ours is left" bash -c "! pgrep -f -- '[-]D $(dirname "$(dirname "$(readlink "$data/regions/east/server")")")/'"

finish
