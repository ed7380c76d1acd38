#!/usr/bin/env bash
# Sign-in end to end on a real `remit up`: the first admin and its password file, tokens
# through the router and at either region, `remit users` and `remit keys` from the command
# line, disabling a user, the audit log, and no secret in any log.
# Usage: tools/e2e/auth.sh [path-to-remit]. Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/lib.sh
source tools/e2e-lib.sh
remit=${1:-.build/debug/remit}

new_stack remit-e2e-auth

kid_of() { python3 -c "import base64, json, sys; h = sys.argv[1].split('.')[0]; print(json.loads(base64.urlsafe_b64decode(h + '=' * (-len(h) % 4)))['kid'])" "$1"; }

start_up
check "remit up starts" wait_ready
admin_password=$(cat "$data/admin-password")
check "the first admin's password is in admin-password, mode 0600" test -n "$admin_password" -a "$(stat -c %a "$data/admin-password")" = 600
check "remit up printed it once" test "$(grep -cF -- "$admin_password" "$out")" = 1
admin=$(sign_in admin "$admin_password" | json_field "['accessToken']")
check "admin signs in through the router" test -n "$admin"
check "no token: 401 with a Bearer challenge" test "$(curl -s -o /dev/null -w '%{http_code} %header{www-authenticate}' "$router/api/v1/dashboard")" = '401 Bearer realm="remit"'
check "a wrong password: 401" test "$(status -X POST "$router/api/v1/auth/token" -H 'Content-Type: application/json' -d '{"username":"admin","password":"not-the-password"}')" = 401
check "the router serves the JWKS of the active region" test "$(curl -s "$router/.well-known/jwks.json" | json_field "['keys'][0]['alg']")" = ES256
check "east's token works at west too (west trusts east's published keys)" test "$(status -H "Authorization: Bearer $admin" "$west/api/v1/ledger/head")" = 200

echo "carol-password-123" | cli users add carol --role clerk --password-stdin >/dev/null
carol_everywhere() { test "$(cli users list | grep -c $'\tcarol\tclerk\tenabled')" = 2; }
check "remit users add makes a clerk at the writer; replication brings it to west" eventually carol_everywhere
carol_tokens=$(sign_in carol carol-password-123)
carol=$(json_field "['accessToken']" <<<"$carol_tokens")
carol_refresh=$(json_field "['refreshToken']" <<<"$carol_tokens")
check "carol signs in with the password given on stdin" test -n "$carol"
check "carol may create a remittance" test "$(status -X POST "$router/api/v1/remittances" -H "Authorization: Bearer $carol" -H 'Content-Type: application/json' \
  -d '{"senderName":"Alice","senderBank":"First Bank","senderAccount":"111","receiverName":"Bob","receiverBank":"Second Bank","receiverAccount":"222","amount":100,"currency":"EUR"}')" = 201
check "carol may not list users (403)" test "$(status -H "Authorization: Bearer $carol" "$router/api/v1/users")" = 403
refused=$(cli users add dave --role boss 2>&1)
check "an unknown role is refused with a reason and a non-zero exit" test $? -ne 0 -a -n "$(grep -i 'role' <<<"$refused")"
refused=$(cli users add carol --role clerk 2>&1)
check "adding carol twice is refused" test $? -ne 0 -a -n "$(grep 'already exists' <<<"$refused")"
refused=$(cli users disable admin 2>&1)
check "the last admin can not be disabled" test $? -ne 0 -a -n "$(grep 'last enabled admin' <<<"$refused")"

old_kid=$(kid_of "$admin")
cli keys rotate >/dev/null
check "remit keys rotate succeeds" test $? -eq 0
sleep 6
check "a token signed before the rotation still works" test "$(status -H "Authorization: Bearer $admin" "$router/api/v1/users")" = 200
new_admin=$(sign_in admin "$admin_password" | json_field "['accessToken']")
check "new tokens are signed with the new key" test -n "$new_admin" -a "$(kid_of "$new_admin")" != "$old_kid"
check "and work at both regions" test "$(status -H "Authorization: Bearer $new_admin" "$east/api/v1/users")$(status -H "Authorization: Bearer $new_admin" "$west/api/v1/ledger/head")" = 200200

cli users disable carol >/dev/null
check "a disabled user can not sign in" test "$(status -X POST "$router/api/v1/auth/token" -H 'Content-Type: application/json' -d '{"username":"carol","password":"carol-password-123"}')" = 401
check "nor refresh" test "$(status -X POST "$router/api/v1/auth/refresh" -H 'Content-Type: application/json' -d "{\"refreshToken\":\"$carol_refresh\"}")" = 401
audit=$(curl -s -H "Authorization: Bearer $new_admin" "$router/api/v1/audit?limit=500")
check "the audit log names who added and disabled carol, from the CLI" test "$(python3 -c "
import json, sys
items = json.load(sys.stdin)['items']
print(sorted({(i['action'], i['target'], i['source']) for i in items if i['actor'].startswith('cli:') and i['target'] == 'carol'}))" <<<"$audit")" = "[('user.add', 'carol', 'cli'), ('user.disable', 'carol', 'cli')]"

secrets_leaked() {
  grep -rqF -e "$admin_password" -e carol-password-123 -e "$admin" -e "$carol" -e "$carol_refresh" "$data/logs" "$data"/regions/*/postgres.log
}
check "no password or token appears in any log" eval '! secrets_leaked'

stop_up
check "remit up stops cleanly" test $? -eq 0
start_up
check "and starts again" wait_ready
check "without making a new admin (the password file is unchanged)" test "$(cat "$data/admin-password")" = "$admin_password"
check "the admin still signs in" test -n "$(sign_in admin "$admin_password" | json_field "['accessToken']")"
stop_up
up_pid=
finish
