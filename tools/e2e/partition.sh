#!/usr/bin/env bash
# Network partitions for real. `remit up` makes the stack (clusters, keys, the first admin); then
# each region (its PostgreSQL and its node) and each of the two routers runs in a network
# namespace of its own, joined by veth to a bridge on which this script is a fifth host. A cut
# between two hosts is a blackhole route on each side: packets to the other side vanish (a new
# connection fails at once, one that was open hangs until its timeout). Under two clients that
# create throughout (one per router, each create with its own Idempotency-Key, retried until
# acknowledged):
#   1. west cut from east: east keeps acknowledging, west falls behind; healed, it catches up;
#   2. the first router cut from east: the second keeps east's lease renewed and its client sees
#      no error; healed, the first router's client resumes;
#      then west cut from both routers: they keep east's lease renewed, no client sees an error;
#   3. west cut from east again, then east cut from everything: east stops accepting within its
#      lease; a forced failover to west during the partition; writes resume at west;
#   4. healed: east finds epoch 2 and rejoins as a reader, its divergent tail in quarantine;
#      every acknowledged create is in west's log or east's quarantine, exactly once.
# Needs root (ip netns); elsewhere it says so and checks nothing.
# Usage: tools/e2e/partition.sh [path-to-remit]. Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/lib.sh
source tools/e2e-lib.sh
remit=$(realpath "${1:-.build/debug/remit}")
client_prefix=part

if [[ $(id -u) -ne 0 ]] || ! command -v ip >/dev/null; then
  echo "skipped: network namespaces need root and iproute2 (ip); this run has neither or not both"
  finish
  exit
fi

new_stack remit-e2e-partition
# One subnet, bridge and set of namespaces per run, so that two runs on a machine do not meet.
tag=$(($$ % 200 + 20))
net=10.213.$tag
hosts=(east west r1 r2)
address_of() {
  case $1 in
    host) echo "$net.1" ;;
    east) echo "$net.2" ;;
    west) echo "$net.3" ;;
    r1) echo "$net.4" ;;
    r2) echo "$net.5" ;;
  esac
}
namespace_of() { echo "remit-$tag-$1"; }
in_ns() { local host=$1; shift; ip netns exec "$(namespace_of "$host")" "$@"; }
# Each namespace has ports of its own: the nodes and the routers all take the same.
ns_node_port=8081
ns_router_port=8080
node_url() { echo "http://$(address_of "$1"):$ns_node_port"; }
pids=()

make_network() {
  ip link add "rmb$tag" type bridge &&
    ip addr add "$net.1/24" dev "rmb$tag" &&
    ip link set "rmb$tag" up || return 1
  for host in "${hosts[@]}"; do
    ip netns add "$(namespace_of "$host")" &&
      ip -n "$(namespace_of "$host")" link set lo up &&
      ip link add "rm$tag-$host" type veth peer name eth0 netns "$(namespace_of "$host")" &&
      ip link set "rm$tag-$host" master "rmb$tag" up &&
      ip -n "$(namespace_of "$host")" addr add "$(address_of "$host")/24" dev eth0 &&
      ip -n "$(namespace_of "$host")" link set eth0 up || return 1
  done
}

remove_network() {
  if [[ $failed -gt 0 ]]; then
    for log in "$data"/node-*.log "$data"/router-*.log; do echo "--- the last lines of $log"; tail -8 "$log"; done
  fi
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  sleep 1
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  for host in "${hosts[@]}"; do ip netns del "$(namespace_of "$host")" 2>/dev/null; done
  ip link del "rmb$tag" 2>/dev/null
  for host in "${hosts[@]}"; do ip route del blackhole "$(address_of "$host")" 2>/dev/null; done
  remove_stack
}
trap remove_network EXIT

# route_blackhole add|del FROM TO: FROM's packets to TO vanish (FROM "host" is this script's side).
route_blackhole() {
  if [[ $2 = host ]]; then ip route "$1" blackhole "$(address_of "$3")"
  else ip -n "$(namespace_of "$2")" route "$1" blackhole "$(address_of "$3")"; fi
}
cut_off() { route_blackhole add "$1" "$2" && route_blackhole add "$2" "$1"; }
heal() { route_blackhole del "$1" "$2" && route_blackhole del "$2" "$1"; }

# A region's database as seen from the bridge (any host on it may connect with the password);
# sql_east and sql_west (and so heads_equal) query it there.
db_url() { database "$([[ $1 = east ]] && echo 0 || echo 1)" "$1" | sed "s/127.0.0.1/$(address_of "$1")/"; }
sql_at() { psql "$(db_url "$1")" -Atc "$2"; }
sql_west() { sql_at west "$1"; }
sql_east() { sql_at east "$1"; }
head_of() { sql_at "$1" 'SELECT head_position FROM region_state'; }

start_region() {  # region other-region
  local region=$1 other=$2 index
  index=$([[ $region = east ]] && echo 0 || echo 1)
  in_ns "$region" "$remit" clusters start --data-dir "$data" --regions "$region" --postgres-port "$((postgres_port + index))" \
    --listen-address "$(address_of "$region")" >/dev/null || return 1
  # Started here, not in a function's subshell: remit's parent is this script (--parent-pid).
  ip netns exec "$(namespace_of "$region")" env REMIT_DATABASE_URL="$(db_url "$region")" REMIT_REPLICATION_KEY="$(cat "$data/replication-key")" \
    REMIT_FAILOVER_DATABASES="east=$(db_url east) west=$(db_url west)" \
    "$remit" serve --region "$region" --host 0.0.0.0 --port "$ns_node_port" --migrations-dir "$PWD/Migrations" --parent-pid $$ \
    --router-url "$router" --router-url "$router2" --peer-jwks "$(node_url "$other")/.well-known/jwks.json" \
    --replication-region "$other" --peer "$other=$(node_url "$other")" --replicate-from "$(node_url "$other")" \
    >>"$data/node-$region.log" 2>&1 &
  pids+=($!)
}

start_router() {
  ip netns exec "$(namespace_of "$1")" env REMIT_REPLICATION_KEY="$(cat "$data/replication-key")" \
    "$remit" router --host 0.0.0.0 --port "$ns_router_port" --parent-pid $$ \
    --region "east=$east" --region "west=$west" >>"$data/router-$1.log" 2>&1 &
  pids+=($!)
}

all_ready() {
  for url in "$east" "$west" "$router" "$router2"; do curl -sf -m 2 "$url/readyz" >/dev/null || return 1; done
}
wait_all_ready() { for _ in $(seq 1 120); do all_ready && return 0; sleep 0.5; done; return 1; }
# Inside east's namespace, which this script can enter whatever is cut.
east_inside() { in_ns east curl -s -m 5 "$@"; }
lease_left_inside_east() { east_inside "http://127.0.0.1:$ns_node_port/readyz" | json_field "['leaseMillisecondsLeft']" 2>/dev/null; }
now() { date +%s.%N; }
since() { python3 -c "print(round($(now) - $1, 2))"; }

# 0. The stack, made by remit up on loopback, then spread over the namespaces.
start_up
check "remit up makes the stack" wait_ready
stop_up
up_pid=
router="http://$(address_of r1):$ns_router_port"
router2="http://$(address_of r2):$ns_router_port"
east=$(node_url east)
west=$(node_url west)
check "the network namespaces and the bridge are made" make_network
start_region east west
start_region west east
start_router r1
start_router r2
check "both nodes and both routers answer across the namespaces" wait_all_ready
check "east is the writer, west its reader" test "$(role_of "$east") $(role_of "$west")" = "writer reader"
token=$(admin_token)
auth="Authorization: Bearer $token"
west_token=$(sign_in admin "$(cat "$data/admin-password")" "$west" | json_field "['accessToken']")
client "$router" 1 &
client_pid=$!
client "$router2" 2 &
client2_pid=$!
sleep 3
check "west keeps up with east through the bridge" eventually test "$(head_of west)" -gt 0

# 1. West cut from east.
cut_off west east
cut_at=$(now)
sleep 6
check "while west is cut off, east keeps acknowledging creates" test -n "$(acknowledged_after "$((${cut_at%.*} + 2))")"
east_head=$(head_of east)
west_head=$(head_of west)
check "and west falls behind (east at $east_head, west at $west_head)" test "$west_head" -lt "$east_head"
heal west east
healed_at=$(now)
caught_up=
for _ in $(seq 1 300); do
  if [[ $(head_of west) -ge $east_head ]]; then caught_up=$(since "$healed_at"); break; fi
  sleep 0.1
done
check "healed, west catches up with where east was (after ${caught_up:-never} s)" test -n "$caught_up"
echo "     west cut from east 6 s: clients' errors meanwhile: $(errors_between "$cut_at" 1) and $(errors_between "$cut_at" 2)"

# 2. The first router cut from east.
cut_off r1 east
cut_at=$(now)
sleep 8
lease=$(lease_left "$east")
check "with the first router cut from east, the second keeps east's lease renewed (${lease} ms left)" test "${lease:-0}" -gt 0
check "and its client saw no error" test "$(errors_between "$cut_at" 2)" = 0
heal r1 east
healed_at=$(now)
router1_resumed=$(resumed "$healed_at" 1)
check "healed, the first router's client resumes" test -n "$router1_resumed"
echo "     first router cut from east 8 s: its client's longest time without an acknowledged write $(longest_gap "$(python3 -c "print($cut_at - 1)")" "" 1) s, resumed ${router1_resumed:-never} s after the heal"

# 2b. West cut from both routers: a round of health checks waits for west's timeout, and yet the
# routers keep east's lease renewed.
cut_off west r1
cut_off west r2
cut_at=$(now)
sleep 8
lease=$(lease_left "$east")
check "with west cut from both routers, east's lease stays renewed (${lease} ms left)" test "${lease:-0}" -gt 0
check "and neither client saw an error" test "$(errors_between "$cut_at" 1)$(errors_between "$cut_at" 2)" = 00
heal west r1
heal west r2

# 3. West cut from east (so east acknowledges what west never gets), then east from everything.
cut_off west east
sleep 2
for other in r1 r2 host; do cut_off east "$other"; done
isolated_at=$(now)
lapsed=
for _ in $(seq 1 200); do
  if [[ $(lease_left_inside_east) = 0 ]]; then lapsed=$(since "$isolated_at"); break; fi
  sleep 0.1
done
check "cut off from every router, east stops accepting within its lease (after ${lapsed:-never} s; lease 5 s)" \
  python3 -c "import sys; sys.exit(0 if '$lapsed' and float('$lapsed') <= 5 + 1.5 else 1)"
direct=$(east_inside -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$ns_node_port/api/v1/remittances" -H "$auth" \
  -H 'Content-Type: application/json' -H 'Idempotency-Key: part-direct-1' -d "$remittance_body")
check "a create sent to east from inside its namespace is refused ($direct)" test "$direct" = 409
forced=$(curl -s -m 60 -w ' %{http_code}' -X POST "$west/api/v1/admin/failover" -H "Authorization: Bearer $west_token" \
  -H 'Content-Type: application/json' -d '{"target":"west","force":true,"acceptDataLoss":true}')
check "a forced failover to west during the partition succeeds (${forced##* })" test "${forced##* }" = 200
[[ ${forced##* } = 200 ]] || echo "     it answered: ${forced% *}"
forced_at=$(now)
check "west is the writer at epoch 2" eventually test "$(curl -sf -m 2 "$west/readyz" | json_field "['epoch']")" = 2
resumed1=$(resumed "$isolated_at" 1)
resumed2=$(resumed "$isolated_at" 2)
check "writes resume at west through both routers" test -n "$resumed1" -a -n "$resumed2"
echo "     east isolated: its lease ran out after ${lapsed:-never} s; first acknowledged write at west ${resumed1:-never} s and ${resumed2:-never} s after the cut (forced failover asked at once, done $(python3 -c "print(round($forced_at - $isolated_at, 2))") s after it)"
check "east, still cut off, still refuses creates" test "$(east_inside -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$ns_node_port/api/v1/remittances" \
  -H "$auth" -H 'Content-Type: application/json' -H 'Idempotency-Key: part-direct-2' -d "$remittance_body")" = 409
sleep 2

# 4. Healed: east sees epoch 2 and rejoins.
for other in west r1 r2 host; do heal east "$other"; done
healed_at=$(now)
rejoined=
for _ in $(seq 1 600); do
  if [[ $(role_of "$east") = reader ]]; then rejoined=$(since "$healed_at"); break; fi
  sleep 0.1
done
check "healed, east rejoins as a reader (after ${rejoined:-never} s)" test -n "$rejoined"
quarantined=$(sql_east "SELECT count(*) FROM quarantined_events")
check "with what west never got in quarantine ($quarantined events)" test "${quarantined:-0}" -gt 0
check "nothing of the creates sent to east directly was written" test "$(sql_east "SELECT count(*) FROM events WHERE idempotency_key LIKE 'part-direct-%'")$(sql_west "SELECT count(*) FROM events WHERE idempotency_key LIKE 'part-direct-%'")" = 00
sleep 2
touch "$data/stop"
wait "$client_pid" "$client2_pid"

count=$(acknowledged_keys | wc -l)
check "the clients had $count creates acknowledged" test "$count" -gt 50
check "both regions end with the same head and hash" eventually heads_equal
missing=$(unaccounted_keys sql_west sql_east)
check "every acknowledged create is in west's log or east's quarantine, exactly once" test -z "$missing"
[[ -n $missing ]] && echo "     unaccounted: $(head -c 300 <<<"$missing")"
check "the independent verifier accepts west's log" python3 tools/verify-ledger.py "$(db_url west)"
check "and east's" python3 tools/verify-ledger.py "$(db_url east)"
finish
