#!/usr/bin/env bash
# Planned failover and failback end to end on a real `remit up`: creates through the router,
# `remit failover --to west`, the router following, creates at the new writer, failback, and
# both regions' logs identical and verified afterwards.
# Usage: tools/e2e/failover.sh [path-to-remit]. Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/lib.sh
source tools/e2e-lib.sh
remit=${1:-.build/debug/remit}

new_stack remit-e2e-failover

database() { sed -e "s/{port}/$((postgres_port + $1))/" -e "s/{database}/remit/" "$data/regions/$2/database-url"; }
create() {
  curl -s -o /dev/null -w '%{http_code}' -X POST "$router/api/v1/remittances" -H "$auth" -H 'Content-Type: application/json' \
    -H "Idempotency-Key: e2e-$1" \
    -d '{"senderName":"Alice","senderBank":"First Bank","senderAccount":"111","receiverName":"Bob","receiverBank":"Second Bank","receiverAccount":"222","amount":100,"currency":"EUR"}'
}
creates_ok() {  # prefix count: every create answered 201
  local codes=""
  for i in $(seq 1 "$2"); do codes+="$(create "$1-$i") "; done
  [[ -z $(tr ' ' '\n' <<<"$codes" | grep -v '^$' | grep -v '^201$') ]]
}
active_is() { test "$(curl -sf "$router/readyz" | json_field "['active']" 2>/dev/null)" = "$1"; }
heads_equal() {
  test "$(psql "$(database 0 east)" -Atc 'SELECT head_position, encode(head_hash, $$hex$$) FROM region_state')" = \
       "$(psql "$(database 1 west)" -Atc 'SELECT head_position, encode(head_hash, $$hex$$) FROM region_state')"
}

start_up
check "remit up starts" wait_ready
token=$(admin_token)
auth="Authorization: Bearer $token"
check "creates through the router reach east" creates_ok a 10

# A client creating continuously (each create with its own key) through both switches.
background_creates() {
  local i=0
  while [[ ! -e "$data/stop" ]]; do
    i=$((i + 1))
    echo "$(create "bg-$i")" >>"$data/codes"
  done
}
background_creates &
creator=$!
sleep 1

steps=$(cli failover --to west 2>&1)
check "remit failover --to west succeeds" test $? -eq 0
check "it prints every step as it happens" test "$(grep -cE '^  (preflight|fence|drain|promote|route|reverse) +succeeded' <<<"$steps")" = 6
check "the router follows west" eventually active_is west
check "creates go on at west (the token from east still works)" creates_ok b 10
refused=$(cli failover --to west 2>&1)
check "a failover to the writer itself is refused with a reason" test $? -ne 0 -a -n "$(grep 'writer already' <<<"$refused")"

cli failover --to east >/dev/null 2>&1
check "failback to east succeeds" test $? -eq 0
check "the router follows east again" eventually active_is east
check "creates go on at east" creates_ok c 10
touch "$data/stop"
wait "$creator"
check "the client creating throughout saw no error, only 201s (requests were held, not refused)" test -s "$data/codes" -a -z "$(grep -v '^201$' "$data/codes")"
background_ok=$(grep -c '^201$' "$data/codes")
check "both regions end with the same head and hash" eventually heads_equal
check "epochs went 1, 2, 3" test "$(psql "$(database 1 west)" -Atc "SELECT string_agg(epoch::text, ',' ORDER BY position) FROM events WHERE event_type = 'EpochStarted'")" = 1,2,3
check "every acknowledged create is there exactly once" test "$(psql "$(database 1 west)" -Atc "SELECT count(*) FROM events WHERE idempotency_key LIKE 'e2e-%'")" = $((30 + background_ok))
check "the independent verifier accepts east's log" python3 tools/verify-ledger.py "$(database 0 east)"
check "and west's" python3 tools/verify-ledger.py "$(database 1 west)"
runbooks_in() { cli runbooks --region "$1" | grep -c 'planned-failover.*succeeded'; }
check "both executions are recorded in both regions" test "$(runbooks_in east) $(runbooks_in west)" = "2 2"
execution=$(cli runbooks --region west | head -1 | cut -d' ' -f1)
check "an execution shows its six steps" test "$(cli runbooks "$execution" | grep -cE '^  (preflight|fence|drain|promote|route|reverse) +succeeded')" = 6
check "both failovers are in the audit log" test "$(curl -s -H "$auth" "$router/api/v1/audit?limit=500" | python3 -c "
import json, sys
print(sum(1 for i in json.load(sys.stdin)['items'] if i['action'] == 'failover' and i['outcome'] == 'succeeded'))")" = 2

stop_up
check "remit up stops cleanly" test $? -eq 0
up_pid=
finish
