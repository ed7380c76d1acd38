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

# True when east and west have the same head position and hash.
heads_equal() {
  test "$(sql 0 east 'SELECT head_position, encode(head_hash, $$hex$$) FROM region_state')" = \
       "$(sql 1 west 'SELECT head_position, encode(head_hash, $$hex$$) FROM region_state')"
}

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

# A remit command against this stack's data directory and clusters.
cli() { "$remit" "$@" --data-dir "$data" --postgres-port "$postgres_port"; }
