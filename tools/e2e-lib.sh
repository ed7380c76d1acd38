# Shared by the end-to-end scripts in tools/e2e/: sourced, not run (tools/test runs only
# tools/e2e/*.sh). A script sets remit, then either calls new_stack or sets data, out,
# postgres_port, node_port and router_port itself, and uses these to drive one `remit up` and
# count its checks.

passed=0
failed=0
up_pid=

check() {
  local name=$1
  shift
  if "$@"; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    failed=$((failed + 1))
  fi
}

start_up() {
  "$remit" up --data-dir "$data" --postgres-port "$postgres_port" --node-port "$node_port" --router-port "$router_port" \
    --second-router-port "$router2_port" "$@" \
    >>"$out" 2>&1 &
  up_pid=$!
}

# Ready within 90 s (the router answers and the summary is printed), while remit up is alive.
wait_ready() {
  for _ in $(seq 1 180); do
    curl -sf "http://127.0.0.1:$router_port/readyz" >/dev/null && grep -q "remit is up" "$out" && return 0
    kill -0 "$up_pid" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}

# SIGTERM, then the exit status of remit up (124 if it did not exit within 60 s).
stop_up() {
  kill -TERM "$up_pid"
  for _ in $(seq 1 120); do
    if ! kill -0 "$up_pid" 2>/dev/null; then
      wait "$up_pid"
      return $?
    fi
    sleep 0.5
  done
  return 124
}

# The last line tools/test reads, and the exit status.
finish() {
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
}

# A fresh data directory under /tmp (named after $1) and free ports for one stack; on exit,
# whatever happens, remit up is stopped, the clusters too, and the directory removed.
new_stack() {
  data=$(mktemp -d "/tmp/$1.XXXXXX")
  chmod 755 "$data"
  postgres_port=$(free_port_pair)
  node_port=$(free_port_pair)
  router_port=$(free_port_pair)
  router2_port=$((router_port + 1))
  router="http://127.0.0.1:$router_port"
  router2="http://127.0.0.1:$router2_port"
  east="http://127.0.0.1:$node_port"
  west="http://127.0.0.1:$((node_port + 1))"
  out="$data/up.out"
  trap remove_stack EXIT
}

remove_stack() {
  [[ -n $up_pid ]] && kill -TERM "$up_pid" 2>/dev/null && sleep 3
  "$remit" clusters stop --data-dir "$data" --postgres-port "$postgres_port" >/dev/null 2>&1
  rm -rf "$data"
}

# The URL of region $2's database (the cluster at postgres_port + $1), and a query on it.
database() { sed -e "s/{port}/$((postgres_port + $1))/" -e "s/{database}/remit/" "$data/regions/$2/database-url"; }
sql() { psql "$(database "$1" "$2")" -Atc "$3"; }

# A query on east's and on west's database (a script whose regions are elsewhere redefines these).
sql_east() { sql 0 east "$1"; }
sql_west() { sql 1 west "$1"; }

# True when east and west have the same head position and hash.
heads_equal() {
  test "$(sql_east 'SELECT head_position, encode(head_hash, $$hex$$) FROM region_state')" = \
       "$(sql_west 'SELECT head_position, encode(head_hash, $$hex$$) FROM region_state')"
}

# A node's /readyz figures: its role, and the writer's lease left in milliseconds.
role_of() { curl -sf -m 5 "$1/readyz" | json_field "['role']" 2>/dev/null; }
role_is() { test "$(role_of "$1")" = "$2"; }
lease_left() { curl -sf -m 5 "$1/readyz" | json_field "['leaseMillisecondsLeft']" 2>/dev/null; }

# curl arguments → the HTTP status only.
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

json_field() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }

# Runs a check until it passes, for up to 10 s.
eventually() {
  for _ in $(seq 1 40); do "$@" && return 0; sleep 0.25; done
  return 1
}

# user password [base URL] → the token response body.
sign_in() {
  curl -s -X POST "${3:-$router}/api/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$2\"}"
}

# The first admin's access token.
admin_token() { sign_in admin "$(cat "$data/admin-password")" | json_field "['accessToken']"; }

# Adds the checkpoints BASE lists (its first 500) to the array kept in FILE; prints how many FILE holds.
keep_checkpoints() {
  curl -s -m 10 -H "$auth" "$1/api/v1/ledger/checkpoints?limit=500" | python3 -c '
import json, sys
try:
    kept = json.load(open(sys.argv[1]))
except OSError:
    kept = []
seen = {(c["epoch"], c["position"]) for c in kept}
kept += [c for c in json.load(sys.stdin)["items"] if (c["epoch"], c["position"]) not in seen]
json.dump(kept, open(sys.argv[1], "w"))
print(len(kept))' "$2"
}

# FILE REGION EPOCH → how many kept checkpoints REGION signed in EPOCH.
kept_count() { python3 -c 'import json, sys; print(sum(1 for c in json.load(open(sys.argv[1])) if c["region"] == sys.argv[2] and c["epoch"] == int(sys.argv[3])))' "$@"; }

# A remit command against this stack's data directory and clusters.
cli() { "$remit" "$@" --data-dir "$data" --postgres-port "$postgres_port"; }

# A client that creates throughout a drill: `client BASE N &` creates through BASE until
# $data/stop exists, each create with its own Idempotency-Key ($client_prefix-N-I), retried with
# the same key until acknowledged; one line per attempt in $data/attempts-N: I, status, time.
# Uses $auth.
client_prefix=drill
remittance_body='{"senderName":"Alice","senderBank":"First Bank","senderAccount":"111","receiverName":"Bob","receiverBank":"Second Bank","receiverAccount":"222","amount":100,"currency":"EUR"}'
client() {
  local base=$1 i=0 code
  while [[ ! -e "$data/stop" ]]; do
    i=$((i + 1))
    while [[ ! -e "$data/stop" ]]; do
      code=$(curl -s -o /dev/null -m 10 -w '%{http_code}' -X POST "$base/api/v1/remittances" -H "$auth" \
        -H 'Content-Type: application/json' -H "Idempotency-Key: $client_prefix-$2-$i" -d "$remittance_body")
      echo "$i $code $(date +%s.%N)" >>"$data/attempts-$2"
      [[ $code = 201 || $code = 200 ]] && break
      sleep 0.05
    done
  done
}

# The time of client ${2:-1}'s first acknowledgement after time $1.
acknowledged_after() { awk -v t="$1" '($2 == 201 || $2 == 200) && $3 > t' "$data/attempts-${2:-1}" | head -1 | cut -d' ' -f3; }

# Seconds from $1 to client ${2:-1}'s first acknowledgement after it (waits up to 60 s for one).
resumed() {
  local at=
  for _ in $(seq 1 600); do at=$(acknowledged_after "$1" "${2:-1}"); [[ -n $at ]] && break; sleep 0.1; done
  [[ -n $at ]] && python3 -c "print(round($at - $1, 2))"
}

# The longest time between two of client ${3:-1}'s acknowledgements from time $1 to time $2.
longest_gap() {
  awk -v t="$1" -v u="${2:-9999999999}" '($2 == 201 || $2 == 200) && $3 > t && $3 < u {print $3}' "$data/attempts-${3:-1}" \
    | python3 -c "import sys; t=[float(x) for x in sys.stdin]; print(round(max(b - a for a, b in zip(t, t[1:])), 2) if len(t) > 1 else 'n/a')"
}

# Client N's attempts after time $1 (and before $2) that were not acknowledged.
errors_between() { awk -v t="$1" -v u="${3:-9999999999}" '$3 > t && $3 < u && $2 != 201 && $2 != 200' "$data/attempts-$2" | wc -l; }

# Every key the clients had acknowledged, one per line.
acknowledged_keys() {
  for file in "$data"/attempts-*; do
    awk -v k="$client_prefix-${file##*-}" '$2 == 201 || $2 == 200 {print k "-" $1}' "$file"
  done | sort -u
}

# The accounting after a drill: the acknowledged keys that are neither exactly once in the
# writer's log nor, absent from it, exactly once in the old writer's quarantine (none, when
# nothing was lost or doubled). A key in both was committed by the old writer but not
# acknowledged by it (the answer was lost), then created again by a retry. $1 and $2 are
# commands that run a query on the writer's and on the old writer's database.
unaccounted_keys() {
  "$1" "SELECT idempotency_key FROM events WHERE idempotency_key LIKE '$client_prefix-%'" >"$data/keys-in-log" &&
    "$2" "SELECT idempotency_key FROM quarantined_events WHERE idempotency_key LIKE '$client_prefix-%'" >"$data/keys-in-quarantine" &&
    acknowledged_keys >"$data/keys-acknowledged" || { echo "(the keys could not be read)"; return; }
  python3 - "$data/keys-in-log" "$data/keys-in-quarantine" "$data/keys-acknowledged" <<'PYTHON' || echo "(the accounting failed)"
import collections, sys
log, quarantine = (collections.Counter(open(path).read().split()) for path in sys.argv[1:3])
for key in open(sys.argv[3]).read().split():
    if not (log[key] == 1 or (log[key] == 0 and quarantine[key] == 1)):
        print(key)
PYTHON
}
