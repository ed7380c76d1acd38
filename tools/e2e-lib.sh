# Shared by the end-to-end scripts in tools/e2e/: sourced, not run (tools/test runs only
# tools/e2e/*.sh). A script sets remit, data, out, postgres_port, node_port and router_port,
# then uses these to drive one `remit up` and count its checks.

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
