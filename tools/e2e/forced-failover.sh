#!/usr/bin/env bash
# The write lease and forced failover end to end on a real `remit up`: with the router paused a
# writer stops accepting appends within its lease; with east's PostgreSQL killed (SIGKILL) under
# load while west lags behind, `remit failover --to west --force` opens epoch 2 in west; east,
# restarted, rejoins as a reader with its divergent tail in quarantine; every acknowledged create
# is in west's log or in east's quarantine; `remit reconcile` resubmits and dismisses. Checkpoints
# kept before and during the loss window, and signed by west after it, verify in both regions.
# Usage: tools/e2e/forced-failover.sh [path-to-remit]. Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/lib.sh
source tools/e2e-lib.sh
remit=${1:-.build/debug/remit}

new_stack remit-e2e-forced

body='{"senderName":"Alice","senderBank":"First Bank","senderAccount":"111","receiverName":"Bob","receiverBank":"Second Bank","receiverAccount":"222","amount":100,"currency":"EUR"}'
create_at() {  # base-url key → HTTP status
  curl -s -o /dev/null -m 10 -w '%{http_code}' -X POST "$1/api/v1/remittances" -H "$auth" -H 'Content-Type: application/json' \
    -H "Idempotency-Key: forced-$2" -d "$body"
}
leased() { test "$(lease_left "$east")" -gt 3000 2>/dev/null; }
created() { test "$(create_at "$router" "$1")" = 201; }

start_up --checkpoint-milliseconds 1000
check "remit up starts" wait_ready
token=$(admin_token)
auth="Authorization: Bearer $token"
router_pids=$(pgrep -f -- "router --port ($router_port|$router2_port)")

# 1. The lease: renewed by the routers, and a writer cut off from them stops by itself.
check "the routers keep east's write lease renewed" eventually leased
kill -STOP $router_pids
sleep 6
check "with both routers paused, east's lease runs out" test "$(lease_left "$east")" = 0
check "and a create sent straight to east (bypassing the router) is refused: 409 not-writer" test "$(create_at "$east" direct-1)" = 409
check "nothing was written" test "$(sql 0 east "SELECT count(*) FROM events WHERE idempotency_key = 'forced-direct-1'")" = 0
kill -CONT $router_pids
check "the routers resume renewing and creates go on" eventually created after-pause

# 2. West stops applying while east keeps acknowledging creates: a session holds west's region
# row, so the apply waits; east's PostgreSQL is killed; then the waiting apply and the holding
# session are terminated. East has a tail west never got.
codes="$data/codes"
i=0
while [[ $i -lt 20 ]]; do i=$((i + 1)); echo "$i $(create_at "$router" "a-$i")" >>"$codes"; done
check "west has everything so far" eventually heads_equal
curl -s "$east/.well-known/jwks.json" >"$data/jwks-east.json"
check "east signs checkpoints of its log; an auditor keeps them" eventually test "$(keep_checkpoints "$router" "$data/kept.json")" -gt 0
PGAPPNAME=e2e-holder psql "$(database 1 west)" -c "BEGIN; SELECT 1 FROM region_state FOR UPDATE; SELECT pg_sleep(600);" >/dev/null 2>&1 &
holder=$!
sleep 1
user_made=$(curl -s -o /dev/null -m 10 -w '%{http_code}' -X POST "$router/api/v1/users" -H "$auth" -H 'Content-Type: application/json' \
  -d '{"name":"lisa","roles":["clerk"],"password":"lisa-password-123"}')
check "a user made at east in the loss window is acknowledged (201)" test "$user_made" = 201
while [[ $i -lt 40 ]]; do i=$((i + 1)); echo "$i $(create_at "$router" "a-$i")" >>"$codes"; done
tail_end=$(sql 0 east "SELECT position FROM events WHERE idempotency_key = 'forced-a-40'")
signed_tail() { keep_checkpoints "$east" "$data/kept.json" >/dev/null; python3 -c 'import json, sys; sys.exit(0 if max(c["position"] for c in json.load(open(sys.argv[1]))) >= int(sys.argv[2]) else 1)' "$data/kept.json" "$tail_end"; }
check "east signs a checkpoint of the tail west has not got, and it is kept" eventually signed_tail
east_pg=$(head -1 "$data/regions/east/pgdata/postmaster.pid")
# East is lost for good (remit up would start its PostgreSQL again otherwise).
touch "$data/regions/east/no-restart"
kill -KILL "$east_pg"
killed_at=$(date +%s.%N)
sql 1 west "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = 'remit'" >/dev/null
sql 1 west "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'e2e-holder'" >/dev/null
wait "$holder" 2>/dev/null
check "every create before the kill was acknowledged" test "$(grep -c ' 201$' "$codes")" = 40
check "west is behind east's last acknowledged create" test "$(sql 1 west "SELECT count(*) FROM events WHERE idempotency_key = 'forced-a-40'")" = 0

# The router's alarms: the writer's death raises the writer alarm and "failover advised".
advised() { curl -s "$router/router/alarms" | python3 -c "import json,sys; sys.exit(0 if json.load(sys.stdin)['failoverAdvised'] else 1)"; }
advised_at=
for _ in $(seq 1 150); do
  if advised; then advised_at=$(date +%s.%N); break; fi
  sleep 0.1
done
check "the router advises failover once east is gone" test -n "$advised_at"
[[ -n $advised_at ]] && echo "     writer death to failover advised: $(python3 -c "print(round($advised_at - $killed_at, 1))") s"
check "and says why: no region answers as the writer" eval \
  'curl -s "$router/router/alarms" | grep -q "no region answers as the writer"'
check "GET /api/v1/regions at west says failover advised too" test "$(curl -s -H "$auth" "$west/api/v1/regions" | json_field "['failoverAdvised']")" = True

# 3. Forced failover to west.
refused=$(cli failover --to west --force 2>&1)
check "--force without --accept-data-loss is refused with a reason" test $? -ne 0 -a -n "$(grep 'accept-data-loss' <<<"$refused")"
steps=$(cli failover --to west --force --accept-data-loss --router "$router" --router "$router2" 2>&1)
check "remit failover --to west --force succeeds" test $? -eq 0
echo "$steps" | sed 's/^/     /'
check "it reports the loss window" grep -q 'loss window' <<<"$steps"
check "it waited out east's lease (east's database did not answer)" grep -q 'waited .* ms for its lease' <<<"$steps"
first_ok=
for _ in $(seq 1 100); do
  if [[ $(create_at "$router" b-1) = 201 ]]; then first_ok=$(date +%s.%N); break; fi
  sleep 0.1
done
check "creates resume at west through the router" test -n "$first_ok"
[[ -n $first_ok ]] && echo "     writer death to first write in west: $(python3 -c "print(round($first_ok - $killed_at, 1))") s"
check "west is the writer at epoch 2" test "$(sql 1 west 'SELECT role, epoch FROM region_state')" = "writer|2"
check "with a writer again, the alarm clears and failover is no longer advised" eventually eval '! advised'
check "the alarm's firing and clearing are in the router's list of changes" eval \
  'curl -s "$router/router/alarms" | python3 -c "import json,sys; c=[(x[\"name\"],x[\"state\"]) for x in json.load(sys.stdin)[\"changes\"]]; sys.exit(0 if (\"writer-unreachable\",\"firing\") in c and (\"writer-unreachable\",\"ok\") in c else 1)"'
check "and GET /api/v1/regions passes them on for the Regions page" eval \
  'curl -s -H "$auth" "$west/api/v1/regions" | python3 -c "import json,sys; c=[(x[\"name\"],x[\"state\"]) for x in json.load(sys.stdin)[\"alarmChanges\"]]; sys.exit(0 if (\"writer-unreachable\",\"firing\") in c else 1)"'

# 4. East comes back and rejoins as a reader; its tail goes to quarantine.
"$remit" clusters start --data-dir "$data" --regions east --postgres-port "$postgres_port" >/dev/null 2>&1
check "east's PostgreSQL restarts" test $? -eq 0
check "east rejoins as a reader" eventually role_is "$east" reader
quarantined=$(sql 0 east "SELECT count(*) FROM quarantined_events")
check "east's divergent tail is in quarantine ($quarantined events)" test "$quarantined" -gt 0
check "both regions end with the same head and hash" eventually heads_equal
missing=$(for key in $(awk '$2 == 201 {print "forced-a-" $1}' "$codes"); do
  found=$(sql 1 west "SELECT (SELECT count(*) FROM events WHERE idempotency_key = '$key') + 0")
  quarantined_key=$(sql 0 east "SELECT count(*) FROM quarantined_events WHERE idempotency_key = '$key'")
  [[ $((found + quarantined_key)) -eq 1 ]] || echo "$key"
done)
check "every acknowledged create is in west's log or east's quarantine, exactly once" test -z "$missing"
# An entry of the audit stream naming an action, in region $1 $2's log.
audited() { test "$(sql "$1" "$2" "SELECT count(*) FROM events WHERE stream_id = '00000000-0000-0000-0000-000000000002' AND convert_from(payload, 'UTF8') LIKE '%\"action\":\"$3%'")" -ge 1; }
check "the rejoin, recorded at east, reaches the writer's audit trail" eventually audited 1 west rejoin
check "the writer alarm's firing and clearing, sent by the router, are in the writer's audit trail" eventually eval \
  'audited 1 west alarm.firing && audited 1 west alarm.resolved'

# 5. Reconcile.
listed=$(cli reconcile list)
check "remit reconcile list shows the quarantined remittances" test "$(grep -c 'undecided' <<<"$listed")" -gt 0
# Remittances only (identity changes and audit entries of the lost tail have ids ffffffff-…).
first=$(grep undecided <<<"$listed" | grep -v '^ffffffff' | head -1 | cut -d' ' -f1)
second=$(grep undecided <<<"$listed" | grep -v '^ffffffff' | sed -n 2p | cut -d' ' -f1)
check "resubmitting one re-creates it in west" grep -q 're-created at position' <<<"$(cli reconcile resubmit "$first")"
key=$(sql 0 east "SELECT idempotency_key FROM quarantined_events WHERE stream_id = '$first'")
check "it is in west's log once, with its idempotency key" test "$(sql 1 west "SELECT count(*) FROM events WHERE idempotency_key = '$key'")" = 1
again=$(cli reconcile resubmit "$first" 2>&1)
check "a second resubmit of the same one is refused" test $? -ne 0 -a -n "$(grep 'already' <<<"$again")"
if [[ -n $second ]]; then
  check "dismissing another records the reason" grep -q dismissed <<<"$(cli reconcile dismiss "$second" --reason 'customer cancelled by phone')"
fi
check "dismiss without a reason is refused" test "$(cli reconcile dismiss "$first" >/dev/null 2>&1; echo $?)" -ne 0
check "decisions are audited in the writer's trail" eventually audited 1 west reconcile-
lisa_signs_in() { test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$router/api/v1/auth/token" -H 'Content-Type: application/json' \
  -d '{"username":"lisa","password":"lisa-password-123"}')" = "$1"; }
lisa=$(grep 'user lisa added' <<<"$listed" | cut -d' ' -f1)
check "the user made in the lost tail is in quarantine, listed with what it did" test -n "$lisa"
check "until reconciled, lisa can not sign in" lisa_signs_in 401
check "resubmitting it appends it again at west" grep -q 're-created at position' <<<"$(cli reconcile resubmit "$lisa")"
check "then lisa signs in through the router" lisa_signs_in 200
check "after reconciling, both regions again hold the same log" eventually heads_equal
curl -s "$west/.well-known/jwks.json" >"$data/jwks-west.json"
west_signs() { keep_checkpoints "$router" "$data/kept.json" >/dev/null; test "$(kept_count "$data/kept.json" west 2)" -gt 0; }
check "west, the writer of epoch 2, signs checkpoints with its own key" eventually west_signs
echo "     kept: $(kept_count "$data/kept.json" east 1) checkpoints of east (epoch 1), $(kept_count "$data/kept.json" west 2) of west (epoch 2)"
keys=(--jwks "$data/jwks-east.json" --jwks "$data/jwks-west.json" --checkpoints "$data/kept.json")
for region in east west; do
  index=$([[ $region = east ]] && echo 0 || echo 1)
  verified=$(cli verify --region "$region" "${keys[@]}")
  check "remit verify: $region's log, epochs, quarantine, views and every kept checkpoint hold" test $? -eq 0
  echo "     $verified"
  check "the checkpoints of east's lost tail are reported cut off by the forced failover, not as tampering" grep -q 'cut off by a forced failover' <<<"$verified"
  python_verified=$(python3 tools/verify-ledger.py "$(database "$index" "$region")" "${keys[@]}")
  check "the independent verifier accepts $region's log and the kept checkpoints" test $? -eq 0
  echo "     $python_verified"
done

# 6. An export, verified with no database: the files alone, the keys and the kept checkpoints.
exported=$(cli export --region west --to "$data/export")
check "remit export writes west's log as signed segments" test $? -eq 0
echo "     $exported"
offline=$(cli verify --segments "$data/export" "${keys[@]}")
# The lost tail's checkpoints are cut off, or past the export's end (west's log may stop short of them).
check "remit verify --segments: the export verifies offline, manifest signed, kept checkpoints held, cut off or past its end" eval \
  'grep -q "manifest signed by" <<<"$offline" && grep -qE "cut off by a forced failover|outside the export" <<<"$offline"'
echo "     $offline"
segment=$(ls "$data/export"/segment-*.rseg | head -1)
python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[-3] ^= 1; open(p, "wb").write(b)' "$segment"
flipped=$(cli verify --segments "$data/export" "${keys[@]}")
check "one flipped byte in a segment: exit 1, naming the file" test $? -eq 1 -a -n "$(grep "$(basename "$segment")" <<<"$flipped")"
echo "     $flipped"
check "an export into a directory that is not empty is refused" test "$(cli export --region west --to "$data/export" >/dev/null 2>&1; echo $?)" = 1
execution=$(cli runbooks --region west | grep forced-failover | head -1 | cut -d' ' -f1)
check "the forced failover is a runbook execution with its steps" test "$(cli runbooks "$execution" --region west | grep -cE '^  (preflight|stop-writes|fence-or-wait|promote|route) +succeeded')" = 5

stop_up
check "remit up stops cleanly" test $? -eq 0
up_pid=
finish
