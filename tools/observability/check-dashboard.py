#!/usr/bin/env python3
"""Checks that every metric a dashboard's queries name is in real scrapes: a Grafana panel over
a name no process exports draws nothing, silently.
Usage: check-dashboard.py DASHBOARD.json SCRAPE.txt [SCRAPE.txt ...]; exits non-zero naming each missing one."""
import json
import re
import sys

dashboard = json.load(open(sys.argv[1]))
exported = set()
for path in sys.argv[2:]:
    for line in open(path):
        if line and not line.startswith("#"):
            exported.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))

missing = []
for panel in dashboard["panels"]:
    for target in panel.get("targets", []):
        # Strings (label values, regexes) are not names; names are ours or the process's.
        expression = re.sub(r'"[^"]*"', '""', target["expr"])
        for name in re.findall(r"\b((?:remit|process)_[a-zA-Z0-9_:]*)", expression):
            if name not in exported:
                missing.append(f'{panel["title"]}: {name}')
for entry in missing:
    print("missing from every scrape: " + entry)
if missing:
    sys.exit(1)
print(f"ok   every metric of {len(dashboard['panels'])} panels is in a real scrape")
