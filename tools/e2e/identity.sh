#!/usr/bin/env bash
# Identity and the audit trail survive failover, end to end on a real `remit up`, through the
# router: a user made through the API signs in everywhere after a failover; a disable and a
# new password take effect in every region; a refresh token issued in east is redeemed in west
# after a failover, and reusing it revokes its sign-in; a reader refuses identity writes; after
# ten failovers with user changes between them both regions hold the same audit trail, which
# the router shows whole and the verifier accepts.
# Usage: tools/e2e/identity.sh [path-to-remit]. Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/lib.sh
source tools/e2e-lib.sh
remit=${1:-.build/debug/remit}

new_stack remit-e2e-identity
audit_stream=00000000-0000-0000-0000-000000000002

post() { curl -s -o /dev/null -w '%{http_code}' -X POST "$1" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -d "${2:-{\}}"; }
active_is() { test "$(curl -sf "$router/readyz" | json_field "['active']" 2>/dev/null)" = "$1"; }
failover_to() { cli failover --to "$1" >/dev/null 2>&1 && eventually active_is "$1"; }
signs_in() {  # user password base → 200 or the status
  status -X POST "$3/api/v1/auth/token" -H 'Content-Type: application/json' -d "{\"username\":\"$1\",\"password\":\"$2\"}"
}
everywhere() {  # user password → the sign-in status through the router, at east, at west
  echo "$(signs_in "$1" "$2" "$router") $(signs_in "$1" "$2" "$east") $(signs_in "$1" "$2" "$west")"
}
refresh() { curl -s -X POST "$router/api/v1/auth/refresh" -H 'Content-Type: application/json' -d "{\"refreshToken\":\"$1\"}"; }
trail() { sql "$1" "$2" "SELECT count(*) || ' ' || coalesce((SELECT encode(hash, 'hex') FROM events WHERE stream_id = '$audit_stream' ORDER BY position DESC LIMIT 1), '') FROM events WHERE stream_id = '$audit_stream'"; }
is() { test "$("${@:2}")" = "$1"; }  # expected command… → whether the command prints it
listed() { cli users list | grep -c $'\t'"$1"$'\t'; }
trails_equal() { heads_equal && test "$(trail 0 east)" = "$(trail 1 west)"; }

start_up
check "remit up starts" wait_ready
admin=$(admin_token)
# Sign-ins are throttled per address (2 a second, 20 at once): wait for replication, then try once.
check "west has caught up" eventually heads_equal
check "the first admin signs in at west too (from the log)" is 200 signs_in admin "$(cat "$data/admin-password")" "$west"

check "carol is made through the router (201)" test "$(post "$router/api/v1/users" '{"name":"carol","roles":["clerk"],"password":"carol-password-1"}')" = 201
check "west refuses an identity write with 409 not-writer" test "$(curl -s -X POST "$west/api/v1/users" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
  -d '{"name":"dora","roles":["clerk"],"password":"dora-password-12"}' | json_field "['type']")" = urn:remit:problem:not-writer
check "and changes nothing (dora is nowhere)" test "$(sql 0 east "SELECT count(*) FROM users WHERE name = 'dora'")$(sql 1 west "SELECT count(*) FROM users WHERE name = 'dora'")" = 00
check "the log holds no password hash" test "$(sql 0 east "SELECT count(*) FROM events WHERE position(convert_to('\$2', 'UTF8') IN payload) > 0")" = 0
carol_tokens=$(sign_in carol carol-password-1)
carol_refresh=$(json_field "['refreshToken']" <<<"$carol_tokens")

check "planned failover to west" failover_to west
eventually heads_equal
check "carol signs in through the router and at each node" is "200 200 200" everywhere carol carol-password-1
rotated=$(refresh "$carol_refresh")
check "her refresh token from east is redeemed at west, through the router" test -n "$(json_field "['refreshToken']" <<<"$rotated" 2>/dev/null)"
check "using it again revokes her sign-in (401 refresh-token-reused)" test "$(refresh "$carol_refresh" | json_field "['type']")" = urn:remit:problem:refresh-token-reused
check "and its successor with it" test "$(refresh "$(json_field "['refreshToken']" <<<"$rotated")" | json_field "['status']")" = 401

check "carol is disabled through the router (at west)" test "$(post "$router/api/v1/users/carol/disable")" = 200
check "planned failback to east" failover_to east
eventually heads_equal
check "carol is refused everywhere" is "401 401 401" everywhere carol carol-password-1

echo "erin-password-123" | cli users add erin --role auditor --password-stdin >/dev/null
check "remit users add acts on the writer; both regions list erin" eventually is 2 listed erin
erin_refresh=$(sign_in erin erin-password-123 | json_field "['refreshToken']")
echo "erin-password-456" | cli users passwd erin --password-stdin >/dev/null
eventually heads_equal
check "after a new password the old one is refused everywhere" is "401 401 401" everywhere erin erin-password-123
check "the new one works everywhere" test "$(everywhere erin erin-password-456)" = "200 200 200"
check "and her older refresh token is refused" test "$(refresh "$erin_refresh" | json_field "['status']")" = 401

# Ten failovers, a user made between each.
ok=0
for round in $(seq 1 10); do
  target=$([[ $((round % 2)) -eq 1 ]] && echo west || echo east)
  failover_to "$target" && ok=$((ok + 1))
  admin=$(admin_token)
  [[ $(post "$router/api/v1/users" "{\"name\":\"user$round\",\"roles\":[\"clerk\"],\"password\":\"password-of-user$round\"}") == 201 ]] || echo "     user$round not made"
done
check "ten more failovers ran" test "$ok" = 10
check "both regions hold the same audit trail (count and last hash)" eventually trails_equal
check "every user made is in both regions" test "$(sql 0 east "SELECT count(*) FROM users WHERE name LIKE 'user%'") $(sql 1 west "SELECT count(*) FROM users WHERE name LIKE 'user%'")" = "10 10"
audit=$(curl -s -H "Authorization: Bearer $admin" "$router/api/v1/audit?limit=500")
check "the router's audit trail shows the whole history: 12 users added, 12 failovers" test "$(python3 -c "
import json, sys
items = json.load(sys.stdin)['items']
print(sum(1 for i in items if i['action'] == 'user.add' and i['outcome'] == 'succeeded'), sum(1 for i in items if i['action'] == 'failover' and i['outcome'] == 'succeeded'))" <<<"$audit")" = "12 12"
check "in log order, the same positions as the log" test "$(python3 -c "
import json, sys
positions = [i['position'] for i in json.load(sys.stdin)['items']]
print(positions == sorted(positions) and len(positions) == len(set(positions)))" <<<"$audit")" = True
check "the independent verifier accepts east's log" python3 tools/verify-ledger.py "$(database 0 east)"
check "and west's" python3 tools/verify-ledger.py "$(database 1 west)"

stop_up
up_pid=
finish
