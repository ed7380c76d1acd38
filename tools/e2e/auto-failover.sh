#!/usr/bin/env bash
# The opt-in automatic forced failover on a real `remit up --auto-failover-after-seconds 3`: a
# planned failover never sets it off; with the writer's PostgreSQL killed (SIGKILL) the router
# fails over to the reader by itself, once, audited as its own, and not again while the old
# writer stays gone; nothing acknowledged is lost (the reader was current); the old writer
# rejoins as a reader. (That it never goes to a reader too far behind is AutoFailoverTests' and
# AutomaticFailoverRouteTests'.)
# Usage: tools/e2e/auto-failover.sh [path-to-remit]. Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/lib.sh
source tools/e2e-lib.sh
remit=${1:-.build/debug/remit}

new_stack remit-e2e-auto

body='{"senderName":"Alice","senderBank":"First Bank","senderAccount":"111","receiverName":"Bob","receiverBank":"Second Bank","receiverAccount":"222","amount":100,"currency":"EUR"}'
create() {  # key → HTTP status, through the router
  curl -s -o /dev/null -m 10 -w '%{http_code}' -X POST "$router/api/v1/remittances" -H "$auth" -H 'Content-Type: application/json' \
    -H "Idempotency-Key: auto-$1" -d "$body"
}
creates_ok() {  # prefix count
  for i in $(seq 1 "$2"); do [[ $(create "$1-$i") = 201 ]] || return 1; done
}
active_is() { test "$(curl -sf "$router/readyz" | json_field "['active']" 2>/dev/null)" = "$1"; }
auto_state() { test "$(curl -s "$router/router/alarms" | json_field "['autoFailover']['state']" 2>/dev/null)" = "$1"; }
forced_executions() { cli runbooks --region "$1" 2>/dev/null | grep -c forced-failover; }
# An entry of the audit stream in region $1 $2's log whose payload holds every one of $3…
audited() {
  local index=$1 region=$2 condition=""
  shift 2
  for part in "$@"; do condition+=" AND convert_from(payload, 'UTF8') LIKE '%$part%'"; done
  test "$(sql "$index" "$region" "SELECT count(*) FROM events WHERE stream_id = '00000000-0000-0000-0000-000000000002'$condition")" -ge 1
}

start_up --auto-failover-after-seconds 3
check "remit up --auto-failover-after-seconds 3 starts" wait_ready
token=$(admin_token)
auth="Authorization: Bearer $token"
check "the router shows automatic failover armed" eventually auto_state armed
check "creates reach east" creates_ok a 10

# 1. A planned failover fences east for a moment: it does not set the automatic one off.
planned() { cli failover --to west >/dev/null; }
check "remit failover --to west succeeds" planned
check "the router follows west" eventually active_is west
sleep 5
check "5 s later (more than the 3 s), no forced failover ran" test "$(forced_executions west)" = 0
check "and it is still armed" auto_state armed
check "creates reach west" creates_ok b 10
check "east has all of west's log" eventually heads_equal

# 2. West's PostgreSQL dies: after 3 s the router asks east to take over.
west_pg=$(head -1 "$data/regions/west/pgdata/postmaster.pid")
# West is lost for good (remit up would start its PostgreSQL again otherwise).
touch "$data/regions/west/no-restart"
kill -KILL "$west_pg"
killed_at=$(date +%s.%N)
first_ok=
# Retried with the same key until acknowledged: 201, or 200 when an attempt the client gave up
# on (the router holds writes up to 10.75 s during a forced failover; curl waits 10 s) was
# carried out after all and this one repeats it.
for _ in $(seq 1 600); do
  code=$(create c-1)
  if [[ $code = 201 || $code = 200 ]]; then first_ok=$(date +%s.%N); break; fi
  sleep 0.1
done
check "creates resume at east without an operator" test -n "$first_ok"
[[ -n $first_ok ]] && echo "     writer death to first write after the automatic failover: $(python3 -c "print(round($first_ok - $killed_at, 1))") s"
check "east is the writer at epoch 3" test "$(sql 0 east 'SELECT role, epoch FROM region_state')" = "writer|3"
check "the router says it fired" auto_state fired
check "remit status shows it" eval 'cli status --router-url "$router" | grep "automatic failover fired" >/dev/null'
check "the runbook execution is a forced failover" test "$(forced_executions east)" = 1
check "audited as the router's automatic failover" eventually audited 0 east '"action":"failover"' '"actor":"router"' '"source":"automatic failover"'
check "the writer alarm's firing is in the audit trail" eventually audited 0 east '"action":"alarm.firing"' '"target":"writer-unreachable"'
missing=$(for prefix in a b; do for i in $(seq 1 10); do
  [[ $(sql 0 east "SELECT count(*) FROM events WHERE idempotency_key = 'auto-$prefix-$i'") = 1 ]] || echo "$prefix-$i"
done; done)
check "every create acknowledged before the death is in east's log once (west was current)" test -z "$missing"
sleep 8
check "with west still gone 8 s later, it fired once: one forced failover" test "$(forced_executions east)" = 1
check "the alarm's resolution is audited too" eventually audited 0 east '"action":"alarm.resolved"' '"target":"writer-unreachable"'

# 3. West comes back and rejoins as a reader.
"$remit" clusters start --data-dir "$data" --regions west --postgres-port "$((postgres_port + 1))" >/dev/null 2>&1
check "west's PostgreSQL restarts" test $? -eq 0
check "west rejoins as a reader" eventually role_is "$west" reader
check "both regions end with the same head and hash" eventually heads_equal
check "the independent verifier accepts east's log" python3 tools/verify-ledger.py "$(database 0 east)"

stop_up
check "remit up stops cleanly" test $? -eq 0
up_pid=
finish
