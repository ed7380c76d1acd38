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

start_up --checkpoint-milliseconds 1000
check "remit up starts" wait_ready
token=$(admin_token)
auth="Authorization: Bearer $token"
check "creates through the router reach east" creates_ok a 10
# An auditor keeps the writer's checkpoints as the writer changes: epoch 1 (east), 2 (west), 3 (east).
keeps() { keep_checkpoints "$router" "$data/kept.json" >/dev/null; test "$(kept_count "$data/kept.json" "$1" "$2")" -gt 0; }
check "east signs checkpoints in epoch 1" eventually keeps east 1

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
# And a payout import in batches through the same switches: files of 1,000 lines, 100 per
# request, one after another; each line once in the ledger whatever the router held or resent.
payout_file() {  # n: a file of 1,000 lines keyed imp-n-i
  python3 -c "
import sys
print('idempotencyKey,senderName,senderBank,senderAccount,receiverName,receiverBank,receiverAccount,amount,currency,reference')
for i in range(1000): print(f'imp-{sys.argv[1]}-{i},Acme,First Bank,111,Employee {i},Second Bank,{2000 + i},{100 + i},EUR,payroll {sys.argv[1]}')
" "$1" >"$data/payouts-$1.csv"
}
background_imports() {
  local n=0
  while [[ ! -e "$data/stop" ]]; do
    n=$((n + 1))
    payout_file "$n"
    cli import "$data/payouts-$n.csv" --url "$router" --batch 100 >"$data/import-$n.out" 2>&1
    echo "$?" >>"$data/import-codes"
  done
}
background_imports &
importer=$!
sleep 1

steps=$(cli failover --to west 2>&1)
check "remit failover --to west succeeds" test $? -eq 0
check "it prints every step as it happens" test "$(grep -cE '^  (preflight|fence|drain|promote|route|reverse) +succeeded' <<<"$steps")" = 6
check "the router follows west" eventually active_is west
check "creates go on at west (the token from east still works)" creates_ok b 10
check "west signs checkpoints in epoch 2, with its own key" eventually keeps west 2
# The auditor keeps each writer's keys while it writes, as they keep its checkpoints.
curl -s "$west/.well-known/jwks.json" >"$data/jwks-west.json"
# East learns epoch 2 when it applies west's EpochStarted: a moment after the runbook ends.
status_after_failover() {
  local status
  status=$(cli status --router-url "$router")
  grep -qE "^west +writer +2 " <<<"$status" && grep -qE "^east +reader +2 " <<<"$status" \
    && grep -q "last failover  planned-failover east → west: succeeded" <<<"$status" \
    && grep -q "^auto       automatic failover off" <<<"$status"
}
check "remit status shows west the writer, east a reader, and the failover just run" eventually status_after_failover
check "and says so in JSON too" test "$(cli status --router-url "$router" --json | json_field "['regions'][1]['role']")" = writer
refused=$(cli failover --to west 2>&1)
check "a failover to the writer itself is refused with a reason" test $? -ne 0 -a -n "$(grep 'writer already' <<<"$refused")"

cli failover --to east >/dev/null 2>&1
check "failback to east succeeds" test $? -eq 0
check "the router follows east again" eventually active_is east
check "creates go on at east" creates_ok c 10
check "east signs checkpoints in epoch 3" eventually keeps east 3
touch "$data/stop"
wait "$creator" "$importer"
check "the client creating throughout saw no error, only 201s (requests were held, not refused)" test -s "$data/codes" -a -z "$(grep -v '^201$' "$data/codes")"
background_ok=$(grep -c '^201$' "$data/codes")
check "both regions end with the same head and hash" eventually heads_equal
check "epochs went 1, 2, 3" test "$(psql "$(database 1 west)" -Atc "SELECT string_agg(epoch::text, ',' ORDER BY position) FROM events WHERE event_type = 'EpochStarted'")" = 1,2,3
check "every acknowledged create is there exactly once" test "$(psql "$(database 1 west)" -Atc "SELECT count(*) FROM events WHERE idempotency_key LIKE 'e2e-%'")" = $((30 + background_ok))
imported_files=$(grep -c . "$data/import-codes")
check "remit import ran through both switches: $imported_files file(s), every one exit 0" test "$imported_files" -ge 1 -a -z "$(grep -v '^0$' "$data/import-codes")"
check "and reported every line created or already imported, none refused" test \
  "$(cat "$data"/import-*.out | grep -cE '^line [0-9]+: (created|already imported) ')" = $((imported_files * 1000))
check "every imported line is in both regions exactly once" test \
  "$(psql "$(database 1 west)" -Atc "SELECT count(*) || ' ' || count(DISTINCT idempotency_key) FROM events WHERE idempotency_key LIKE 'imp-%'") $(psql "$(database 0 east)" -Atc "SELECT count(*) FROM events WHERE idempotency_key LIKE 'imp-%'")" \
  = "$((imported_files * 1000)) $((imported_files * 1000)) $((imported_files * 1000))"
curl -s "$east/.well-known/jwks.json" >"$data/jwks-east.json"
keys=(--jwks "$data/jwks-east.json" --jwks "$data/jwks-west.json" --checkpoints "$data/kept.json")
check "the independent verifier accepts east's log and every kept checkpoint" python3 tools/verify-ledger.py "$(database 0 east)" "${keys[@]}"
check "and west's" python3 tools/verify-ledger.py "$(database 1 west)" "${keys[@]}"
verified=$(cli verify --region west "${keys[@]}")
check "remit verify: west's log extends every checkpoint kept across both switches, none cut off" eval \
  'grep -q "; $(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$data/kept.json") kept checkpoints extended\(;\|$\)" <<<"$verified"'
echo "     $verified"
runbooks_in() { cli runbooks --region "$1" | grep -c 'planned-failover.*succeeded'; }
check "both executions are recorded in both regions" test "$(runbooks_in east) $(runbooks_in west)" = "2 2"
execution=$(cli runbooks --region west | head -1 | cut -d' ' -f1)
check "an execution shows its six steps" test "$(cli runbooks "$execution" | grep -cE '^  (preflight|fence|drain|promote|route|reverse) +succeeded')" = 6
check "both failovers are in the audit log" test "$(curl -s -H "$auth" "$router/api/v1/audit?limit=500" | python3 -c "
import json, sys
print(sum(1 for i in json.load(sys.stdin)['items'] if i['action'] == 'failover' and i['outcome'] == 'succeeded'))")" = 2

# The operator API: regions at a glance, failover by request, runbooks.
echo "olga-password-123" | cli users add olga --role operator --password-stdin >/dev/null
echo "carl-password-123" | cli users add carl --role clerk --password-stdin >/dev/null
clerk="Authorization: Bearer $(sign_in carl carl-password-123 | json_field "['accessToken']")"
ops="Authorization: Bearer $(sign_in olga olga-password-123 | json_field "['accessToken']")"
check "GET /api/v1/regions shows both regions, the writer leased, and the routing record" python3 -c "
import json, sys
body = json.loads(sys.argv[1])
regions = {r['region']: r for r in body['regions']}
assert body['routing']['activeRegion'] == 'east' and body['routing']['epoch'] == 3, body['routing']
assert regions['east']['role'] == 'writer' and regions['east']['leaseMillisecondsLeft'] > 0, regions['east']
assert regions['west']['role'] == 'reader' and regions['west']['reachable'], regions['west']
assert regions['west']['lagEvents'] >= 0
" "$(curl -s -H "$ops" "$router/api/v1/regions")"
check "a clerk may not run a failover (403)" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$router/api/v1/admin/failover" -H "$clerk" -H 'Content-Type: application/json' -d '{"target":"west"}')" = 403
check "an unknown target is refused with 422" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$router/api/v1/admin/failover" -H "$ops" -H 'Content-Type: application/json' -d '{"target":"north"}')" = 422
check "force without acceptDataLoss is refused with 422" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$router/api/v1/admin/failover" -H "$ops" -H 'Content-Type: application/json' -d '{"target":"west","force":true}')" = 422
# A running execution (a run on another host, say) blocks a second one, which is told its id.
blocker=$(python3 -c 'import uuid; print(uuid.uuid4())')
psql "$(database 0 east)" -qc "INSERT INTO runbook_executions (id, kind, source_region, target_region, requested_by, state) VALUES ('$blocker', 'planned-failover', 'east', 'west', 'e2e', 'running')"
busy=$(curl -s -w ' %{http_code}' -X POST "$router/api/v1/admin/failover" -H "$ops" -H 'Content-Type: application/json' -d '{"target":"west"}')
check "while one execution runs, a failover request gets 409 naming it" test -n "$(grep "$blocker" <<<"$busy" | grep ' 409$')"
psql "$(database 0 east)" -qc "UPDATE runbook_executions SET state = 'failed', ended_at = now(), detail = 'e2e' WHERE id = '$blocker'"
# Both requests leave together: two threads released by one barrier (two curl processes
# started from the shell can be far apart on a loaded machine, the second after the first ran).
ops_header=$ops python3 - "$router" "$data" <<'PY'
import os, sys, threading, urllib.error, urllib.request
router, data = sys.argv[1], sys.argv[2]
name, value = os.environ["ops_header"].split(": ", 1)
barrier = threading.Barrier(2)
def ask(n):
    request = urllib.request.Request(f"{router}/api/v1/admin/failover", data=b'{"target":"west"}', method="POST",
                                     headers={name: value, "Content-Type": "application/json"})
    barrier.wait()
    try:
        with urllib.request.urlopen(request, timeout=120) as response: code, body = response.status, response.read()
    except urllib.error.HTTPError as refused: code, body = refused.code, refused.read()
    open(f"{data}/failover-{n}", "wb").write(body)
    open(f"{data}/failover-code-{n}", "w").write(f"{code}\n")
threads = [threading.Thread(target=ask, args=(n,)) for n in (1, 2)]
for thread in threads: thread.start()
for thread in threads: thread.join()
PY
codes=$(cat "$data"/failover-code-* | sort | tr '\n' ' ')
check "two concurrent failover requests: one runs (200), the other gets 409 (got: $codes)" test "$codes" = "200 409 "
check "the router follows west after the API's failover" eventually active_is west
api_execution=$(cat "$data"/failover-1 "$data"/failover-2 | python3 -c "
import json, sys
for line in sys.stdin.read().replace('}{', '}\n{').splitlines():
    body = json.loads(line)
    if 'execution' in body: print(body['execution'])")
check "GET /api/v1/admin/runbooks/ID shows the execution's six steps, from either region" test "$(curl -s -H "$ops" "$router/api/v1/admin/runbooks/$api_execution" | python3 -c "
import json, sys
print(sum(1 for s in json.load(sys.stdin)['steps'] if s['outcome'] == 'succeeded'))")" = 6
listed_first=$(curl -s -H "$ops" "$router/api/v1/admin/runbooks?limit=2")
check "GET /api/v1/admin/runbooks lists it first" test "$(curl -s -H "$ops" "$router/api/v1/admin/runbooks?limit=1" | json_field "['items'][0]['id']")" = "$api_execution" || { echo "$listed_first"; echo "execution $api_execution"; false; }
check "creates go on at west" creates_ok d 5

stop_up
check "remit up stops cleanly" test $? -eq 0
up_pid=
finish
