#!/usr/bin/env bash
# `remit up` end to end: starts the two-region stack on a fresh data directory, checks both
# regions and the router, stops it with SIGTERM and checks that nothing of ours is left,
# starts it again on the same data, and survives a SIGKILL of `remit up` itself.
# Usage: tools/e2e/up.sh [path-to-remit]. Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/lib.sh
source tools/e2e-lib.sh
remit=${1:-.build/debug/remit}

new_stack remit-e2e

servers_of_ours() { pgrep -f -- "-D $data/regions" >/dev/null; }
children_of() { pgrep -f -- "--parent-pid $1" >/dev/null; }
no_servers_left() { ! servers_of_ours; }
no_children_left() { ! children_of "$1"; }
claimed_at() {
  local url
  url=$(sed -e "s/{port}/$postgres_port/" -e "s/{database}/remit/" "$data/regions/east/database-url")
  psql "$url" -Atc "SELECT claimed_at FROM region_state"
}

# Bad input: a one-line reason and a non-zero exit, nothing started.
output=$("$remit" up --data-dir "$data/bad" --regions East,west 2>&1)
check "an invalid region name is refused with a reason" test $? -ne 0 -a -n "$(grep -i 'not a region name' <<<"$output")"
check "and nothing was created for it" test ! -e "$data/bad/regions"

start_up
check "remit up brings the stack up on a fresh data directory" wait_ready
check "it printed where everything is" grep -q "remit is up" "$data/up.out"
check "east's node is ready as the writer" test "$(curl -sf "$east/readyz" | json_field "['role']")" = writer
check "west's node is ready as a reader" test "$(curl -sf "$west/readyz" | json_field "['role']")" = reader
check "the router names east active" test "$(curl -sf "$router/readyz" | json_field "['active']")" = east
api_type=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$router/api/v1/nothing-yet")
check "the router proxies /api to the active region (its problem+json 404)" test "$api_type" = "404 application/problem+json"
# The API needs a token: the first admin's, whose password remit up wrote.
token=$(admin_token)
auth="Authorization: Bearer $token"
check "the first admin signs in through the router" test -n "$token"
create_status=$(curl -s -o "$data/created.json" -w '%{http_code}' -X POST "$router/api/v1/remittances" \
  -H 'Content-Type: application/json' -H 'Idempotency-Key: e2e-1' -H "$auth" \
  -d '{"senderName":"Alice","senderBank":"First Bank","senderAccount":"111","receiverName":"Bob","receiverBank":"Second Bank","receiverAccount":"222","amount":12345,"currency":"EUR"}')
check "a create through the router is acknowledged (201)" test "$create_status" = 201
created_id=$(json_field "['id']" <"$data/created.json")
check "and reads back through the router" test "$(curl -sf -H "$auth" "$router/api/v1/remittances/$created_id" | json_field "['amount']")" = 12345
database_url=$(sed -e "s/{port}/$postgres_port/" -e "s/{database}/remit/" "$data/regions/east/database-url")
check "the independent verifier accepts east's log" python3 tools/verify-ledger.py "$database_url"
west_has_it() { test "$(curl -sf -H "$auth" "$west/api/v1/remittances/$created_id" | json_field "['amount']" 2>/dev/null)" = 12345; }
check "the create is replicated to west and readable there" eventually west_has_it
check "west's reads say how far behind it is" test "$(curl -s -o /dev/null -w '%header{x-remit-lag-events}' -H "$auth" "$west/api/v1/ledger/head")" = 0
west_url=$(sed -e "s/{port}/$((postgres_port + 1))/" -e "s/{database}/remit/" "$data/regions/west/database-url")
check "the independent verifier accepts west's replicated log" python3 tools/verify-ledger.py "$west_url"
check "west's log is east's, hash for hash" test "$(psql "$west_url" -Atc 'SELECT encode(head_hash, $$hex$$), head_position FROM region_state')" = "$(psql "$database_url" -Atc 'SELECT encode(head_hash, $$hex$$), head_position FROM region_state')"
check "the replication key sits in a 0600 file" test "$(stat -c %a "$data/replication-key")" = 600
check "and no process's command line shows it" eval '! pgrep -af remit | grep -qF "$(cat "$data/replication-key")"'
# /metrics on every process, behind the scrape token remit up wrote (0600, never on a command line).
# grep reads each scrape to its end (no -q): one that stops early makes curl fail (pipefail).
metrics_auth="Authorization: Bearer $(cat "$data/metrics-token")"
check "the metrics token sits in a 0600 file" test "$(stat -c %a "$data/metrics-token")" = 600
check "and no process's command line shows it" eval '! pgrep -af remit | grep -qF "$(cat "$data/metrics-token")"'
for target in "$router" "$router2" "$east" "$west"; do
  check "an anonymous scrape of $target/metrics is refused (401)" test "$(curl -s -o /dev/null -w '%{http_code}' "$target/metrics")" = 401
  check "a scrape with the token gets Prometheus's text" eval 'curl -sf -H "$metrics_auth" "$target/metrics" | grep "^remit_http_requests_total{" >/dev/null'
  scrape="$data/scrape-${target##*:}.txt"
  curl -sf -H "$metrics_auth" "$target/metrics" >"$scrape"
  check "and promtool finds nothing to lint in it" promtool check metrics <"$scrape"
done
# tools/observability: the Grafana dashboard names only metrics these scrapes hold; the
# scrape config (pointed at this stack's token) and the alert rules pass promtool.
check "every metric the Grafana dashboard draws is in these real scrapes" \
  python3 tools/observability/check-dashboard.py tools/observability/grafana-dashboard.json "$data"/scrape-*.txt
sed "s|credentials_file: .*|credentials_file: $data/metrics-token|" tools/observability/prometheus.yml >"$data/prometheus.yml"
cp tools/observability/alerts.yml "$data/alerts.yml"
check "promtool check config accepts the Prometheus scrape config" promtool check config "$data/prometheus.yml"
check "promtool check rules accepts the alert rules" promtool check rules tools/observability/alerts.yml
check "and promtool test rules passes their tests" promtool test rules tools/observability/alerts.test.yml
check "east's scrape says it is the writer" eval \
  'curl -sf -H "$metrics_auth" "$east/metrics" | grep -x "remit_region_role{role=\"writer\"} 1.0" >/dev/null'
check "the router's scrape counts the create it sent to east" eval \
  'curl -sf -H "$metrics_auth" "$router/metrics" | grep "^remit_router_forwarded_total{region=\"east\",outcome=\"2xx\"}" >/dev/null'
check "the router does not forward the replication channel" test "$(curl -s -o /dev/null -w '%{http_code}' "$router/replication/v1/segments?after=0")" = 404
second=$("$remit" up --data-dir "$data" --postgres-port "$postgres_port" --node-port "$node_port" --router-port "$router_port" 2>&1)
check "a second remit up on the same data directory is refused" grep -q "already using" <<<"$second"
check "the first one keeps running" curl -sf "$router/readyz" -o /dev/null
first_claim=$(claimed_at)

first_pid=$up_pid
stop_up
check "SIGTERM stops remit up cleanly (exit 0)" test $? -eq 0
check "no PostgreSQL server of ours is left" no_servers_left
check "no node or router is left" no_children_left "$first_pid"
check "no postmaster.pid is left behind" test ! -e "$data/regions/east/pgdata/postmaster.pid" -a ! -e "$data/regions/west/pgdata/postmaster.pid"

start_up --log-format json --access-log
check "remit up starts again on the same data directory" wait_ready
check "it reused the clusters and their data" test "$(claimed_at)" = "$first_claim"
check "the acknowledged create is still there (and the token still works)" test "$(curl -sf -H "$auth" "$router/api/v1/remittances/$created_id" | json_field "['id']")" = "$created_id"
# --log-format json reaches every process: their lines since this start are JSON objects.
json_log() { tail -1 "$data/logs/$1.log" | python3 -c "import json,sys; o=json.load(sys.stdin); sys.exit(0 if $2 else 1)"; }
check "with --log-format json, east's node logs JSON lines naming its region and node" \
  json_log node-east "o['region'] == 'east' and o['node'] and o['level'] and o['time'].endswith('Z')"
check "and so does the router" json_log router "o['logger'] == 'remit.router' and o['message']"
# One transfer followed by its W3C trace id: the router's log, the node's log, the event.
trace_id=4bf92f3577b34da6a3ce929d0e0e4736
traced_status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$router/api/v1/remittances" -H "$auth" -H 'Content-Type: application/json' \
  -H "traceparent: 00-$trace_id-00f067aa0ba902b7-01" \
  -d '{"senderName":"Tracy","senderBank":"First Bank","senderAccount":"111","receiverName":"Bob","receiverBank":"Second Bank","receiverAccount":"222","amount":777,"currency":"EUR"}')
check "a create sent with a traceparent is acknowledged" test "$traced_status" = 201
traced_in() { grep "\"trace_id\":\"$trace_id\"" "$data/logs/$1.log" | grep -q '"message":"answered"'; }
check "its trace id is on the router's access line" eventually traced_in router
check "and on east's node's" eventually traced_in node-east
check "and in the metadata of the event it wrote" test "$(psql "$database_url" -Atc \
  "SELECT count(*) FROM events WHERE position('\"traceID\":\"$trace_id\"' in convert_from(metadata, 'UTF8')) > 0")" = 1

killed_pid=$up_pid
kill -KILL "$killed_pid"
wait "$killed_pid" 2>/dev/null
check "after SIGKILL of remit up, its nodes and router exit by themselves" eventually no_children_left "$killed_pid"
start_up
check "the next remit up takes over the clusters left running" wait_ready
check "and still has the same data" test "$(claimed_at)" = "$first_claim"
last_pid=$up_pid
stop_up
check "it stops cleanly too" test $? -eq 0
up_pid=
check "nothing of ours is left at the end" no_servers_left
check "no child of the last run is left" no_children_left "$last_pid"

# Secrets: the clusters' passwords appear in no log and in nothing remit up printed.
password=$(sed -E 's|^postgresql://[^:]+:([^@]+)@.*|\1|' "$data/regions/east/database-url")
replication_key=$(cat "$data/replication-key")
password_leaked() { grep -rqF -e "$password" -e "$replication_key" "$data/up.out" "$data/logs" "$data"/regions/*/postgres.log; }
check "the cluster password sits in a 0600 database-url file" test -n "$password" -a "$(stat -c %a "$data/regions/east/database-url")" = 600
check "it and the replication key appear in no log and nothing remit up printed" eval '! password_leaked'

finish
