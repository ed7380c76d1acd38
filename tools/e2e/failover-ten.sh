#!/usr/bin/env bash
# Ten planned failovers and failbacks in a row, then a forced one, on a real `remit up`, through
# the real router, while a client creates remittances throughout (each with its own idempotency
# key, retried with the same key on error): this is `remit bench failover`, with its figures
# checked for correctness only (never for speed). Afterwards: no client error in the planned
# runs, every acknowledged create once in both regions (or, for the forced run, in a log or in
# the quarantine), epochs 1 to 12 in both logs, identical heads, and logs the verifier accepts.
# Usage: tools/e2e/failover-ten.sh [path-to-remit]. Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/lib.sh
source tools/e2e-lib.sh
remit=${1:-.build/debug/remit}

new_stack remit-e2e-ten

# A field of the bench's JSON line for `bench` ($1).
figure() { grep "\"bench\":\"$1\"" "$data/bench.out" | json_field "['$2']"; }

# With a 2 s write lease (the default is 5 s): the routers grant it, the forced failover waits it out.
start_up --lease-milliseconds 2000
check "remit up --lease-milliseconds 2000 starts" wait_ready
check "both routers say they grant 2 s" eval 'test "$(curl -s "$router/router/regions" | json_field "[\"leaseMilliseconds\"]")" = 2000 -a "$(curl -s "$router2/router/regions" | json_field "[\"leaseMilliseconds\"]")" = 2000'

"$remit" bench failover --data-dir "$data" --postgres-port "$postgres_port" --router-url "$router" --router-url "$router2" \
  --lease-milliseconds 2000 --failovers 10 --forced-failovers 1 --rate 200 --settle-seconds 1 >"$data/bench.out" 2>&1
check "remit bench failover runs 10 planned failovers and a forced one" test $? -eq 0
sed 's/^/     /' "$data/bench.out"
check "ten planned failovers ran" test "$(figure failover failovers)" = 10
check "no client saw an error (no 5xx, no timeout) during the planned failovers" test "$(figure failover clientErrors)" = 0
check "every create acknowledged then is in both regions exactly once" test "$(figure failover lost)" = 0
check "creates were acknowledged throughout" test "$(figure failover acknowledged)" -gt 1000
check "the forced failover's new writer took a create" test "$(figure forced-failover firstWriteMissing)" = 0
check "every create acknowledged around the forced failover is in a log or in quarantine" test "$(figure forced-failover lost)" = 0
epochs='1,2,3,4,5,6,7,8,9,10,11,12'
for pair in "0 east" "1 west"; do
  set -- $pair
  check "$2's log opened epochs 1 to 12, in order" \
    test "$(sql "$1" "$2" "SELECT string_agg(epoch::text, ',' ORDER BY position) FROM events WHERE event_type = 'EpochStarted'")" = "$epochs"
done
check "both regions end with the same head and hash" eventually heads_equal
check "one writer, one reader" test "$(sql 0 east 'SELECT role FROM region_state')$(sql 1 west 'SELECT role FROM region_state')" = "readerwriter"
check "each event of the log is once in it: no idempotency key twice" \
  test "$(sql 1 west 'SELECT count(*) - count(DISTINCT idempotency_key) FROM events WHERE idempotency_key IS NOT NULL')" = 0
check "the independent verifier accepts east's log" python3 tools/verify-ledger.py "$(database 0 east)"
check "and west's" python3 tools/verify-ledger.py "$(database 1 west)"
check "remit verify: east's log, epochs, quarantine and views hold" cli verify --region east
check "remit verify: west's too" cli verify --region west

stop_up
check "remit up stops cleanly" test $? -eq 0
up_pid=
finish
