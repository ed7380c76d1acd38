#!/usr/bin/env bash
# Supervision in `remit up` on a real stack, under a client creating throughout (each create
# with its own Idempotency-Key, retried with the same key until acknowledged): SIGKILL of the
# writer's node, then of the writer's PostgreSQL postmaster, each started again by remit up while
# everything else keeps running; then both routers stalled (SIGSTOP) for 8 s, the writer's lease
# lapsing meanwhile; then the first router killed under a client of the second; then a forced failover asked for at once after the writer's PostgreSQL dies.
# Writes resume without an operator; the times without an acknowledged write are printed; every
# acknowledged create is in the writer's log exactly once, or in the old writer's quarantine.
# Usage: tools/e2e/supervision.sh [path-to-remit]. Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/lib.sh
source tools/e2e-lib.sh
remit=${1:-.build/debug/remit}

new_stack remit-e2e-supervision

client_prefix=sup
pid_of() { pgrep -f -- "$1" | head -1; }

start_up
check "remit up starts" wait_ready
token=$(admin_token)
auth="Authorization: Bearer $token"
router_pid=$(pid_of "router --port $router_port")
west_pid=$(pid_of "serve --region west")
client "$router" 1 &
client_pid=$!
sleep 2

# 1. The writer's node dies.
east_pid=$(pid_of "serve --region east")
kill -KILL "$east_pid"
killed_at=$(date +%s.%N)
check "remit up starts east's node again" eventually eval 'test -n "$(pid_of "serve --region east")" -a "$(pid_of "serve --region east")" != "$east_pid"'
node_resumed=$(resumed "$killed_at")
check "writes resume without an operator" test -n "$node_resumed"
node_killed_at=$killed_at
logged() { grep restarted "$out" | grep "$1" | grep 'restart=1' >/dev/null; }
check "the restart is logged with its count" logged 'node east'
check "the router and west's node never stopped" test "$(pid_of "router --port $router_port")" = "$router_pid" -a "$(pid_of "serve --region west")" = "$west_pid"
check "remit up still runs" kill -0 "$up_pid"
sleep 2

# 2. The writer's PostgreSQL dies.
east_pg=$(head -1 "$data/regions/east/pgdata/postmaster.pid")
kill -KILL "$east_pg"
killed_at=$(date +%s.%N)
check "remit up starts east's PostgreSQL again" eventually eval 'test -e "$data/regions/east/pgdata/postmaster.pid" && test "$(head -1 "$data/regions/east/pgdata/postmaster.pid")" != "$east_pg"'
pg_resumed=$(resumed "$killed_at")
check "writes resume without an operator" test -n "$pg_resumed"
check "the restart is logged with its count" eventually logged 'PostgreSQL east'
pg_killed_at=$killed_at
check "the router and both nodes kept running" test "$(pid_of "router --port $router_port")" = "$router_pid" -a "$(pid_of "serve --region west")" = "$west_pid"
sleep 2

# 3. Both routers stall (SIGSTOP) for 8 s: east's lease lapses meanwhile. After SIGCONT, the
# writes they held or take are sent on once a router has renewed the lease: no 409 reaches the client.
router_pids=$(pgrep -f -- "router --port ($router_port|$router2_port)")
kill -STOP $router_pids
stopped_at=$(date +%s.%N)
sleep 8
kill -CONT $router_pids
continued_at=$(date +%s.%N)
router_resumed=$(resumed "$continued_at")
check "after the routers' return, writes resume" test -n "$router_resumed"
echo "     both routers stalled 8 s: SIGCONT → first acknowledged write ${router_resumed:-never} s"
sleep 2
conflicts=$(awk -v t="$continued_at" '$2 == 409 && $3 > t' "$data/attempts-1" | wc -l)
check "and the client saw no 409 (lease lapsed, not the writer) after it" test "$conflicts" = 0

# 4. The first router dies (SIGKILL) while a second client uses the other: that client sees no
# error; remit up starts the first router again.
client "$router2" 2 &
client2_pid=$!
sleep 1
router_killed_at=$(date +%s.%N)
kill -KILL "$router_pid"
sleep 3
check "remit up starts the first router again" eventually eval 'test -n "$(pid_of "router --port $router_port")" -a "$(pid_of "router --port $router_port")" != "$router_pid"'
router_errors=$(errors_between "$router_killed_at" 2)
check "the client of the second router saw no error ($(awk -v t="$router_killed_at" '$3 > t' "$data/attempts-2" | wc -l) creates since)" test "$router_errors" = 0

# 5. A forced failover asked for at once after the writer's PostgreSQL dies (the operator API at
# west's node): it is carried out, not refused for want of a routing record; east's database,
# started again by remit up meanwhile, rejoins as a reader.
east_pg=$(head -1 "$data/regions/east/pgdata/postmaster.pid")
kill -KILL "$east_pg"
forced_at=$(date +%s.%N)
forced=$(curl -s -m 60 -w ' %{http_code}' -X POST "$west/api/v1/admin/failover" -H "$auth" -H 'Content-Type: application/json' \
  -d '{"target":"west","force":true,"acceptDataLoss":true}')
check "a forced failover asked for at once after the kill succeeds (${forced##* })" test "${forced##* }" = 200
forced_resumed=$(resumed "$forced_at")
check "writes resume at west" test -n "$forced_resumed"
check "east rejoins as a reader" eventually eval 'test "$(curl -sf "$east/readyz" | json_field "[\"role\"]" 2>/dev/null)" = reader'
sleep 2
touch "$data/stop"
wait "$client_pid" "$client2_pid"
# Orphaned backends of a killed postmaster may still answer for a moment: the figure is the
# longest time without an acknowledgement after each kill, not the first one after it.
echo "     writer's node killed: longest time without an acknowledged write $(longest_gap "$(python3 -c "print($node_killed_at - 1)")" "$pg_killed_at") s"
echo "     writer's PostgreSQL killed: longest time without an acknowledged write $(longest_gap "$(python3 -c "print($pg_killed_at - 1)")" "$stopped_at") s"
echo "     writer's PostgreSQL killed and a forced failover asked at once: longest time without an acknowledged write $(longest_gap "$(python3 -c "print($forced_at - 1)")") s"

# Accounting: every acknowledged create exactly once in the writer's (west's) log, or in east's
# quarantine (acknowledged by east after west's last applied event, before the forced failover).
count=$(acknowledged_keys | wc -l)
check "the clients had $count creates acknowledged" test "$count" -gt 20
check "both regions end with the same head and hash" eventually heads_equal
missing=$(unaccounted_keys sql_west sql_east)
check "every acknowledged create is in the writer's log or east's quarantine, exactly once" test -z "$missing"
in_log=$(sql 1 west "SELECT count(DISTINCT idempotency_key) FROM events WHERE idempotency_key LIKE 'sup-%'")
check "and nothing else of the client's is in the log ($in_log keys)" test "$in_log" -le "$((count + 2))"
check "the independent verifier accepts west's log" python3 tools/verify-ledger.py "$(database 1 west)"

stop_up
check "remit up stops cleanly" test $? -eq 0
up_pid=
finish
