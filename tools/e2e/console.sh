#!/usr/bin/env bash
# The web console end to end: a real `remit up`, a real browser (headless Chromium through
# Selenium, tools/e2e/console.py). Set REMIT_SCREENSHOTS=DIR to keep a screenshot of each page.
# Usage: tools/e2e/console.sh [path-to-remit]. Last line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
source tools/lib.sh
source tools/e2e-lib.sh
remit=${1:-.build/debug/remit}

new_stack remit-e2e-console

start_up
check "remit up starts" wait_ready
python3 tools/e2e/console.py "$router" "$(cat "$data/admin-password")" ${REMIT_SCREENSHOTS:-} | tee "$data/console.out"
passed=$((passed + $(grep -c '^ok ' "$data/console.out")))
failed=$((failed + $(grep -c '^FAIL ' "$data/console.out")))
tail -1 "$data/console.out" | grep -q ' passed, ' || { echo "FAIL the browser test ran to its end"; failed=$((failed + 1)); }

stop_up
up_pid=
finish
