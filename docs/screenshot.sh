#!/usr/bin/env bash
# Renders docs/screenshot.png with Rewind itself: a fresh demo database, one replay
# from a past checkpoint (a branch, paused at the demo's approval interrupt), then the
# window's --screenshot mode. Needs no display (offscreen Qt).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export REWIND_DATA_DIR="$work" REWIND_DEMO_TOKEN_DELAY=0 QT_QPA_PLATFORM=offscreen
db="$work/demo.sqlite"
rewind --screenshot "$work/seed.png" >/dev/null 2>&1   # seeds the demo database
step2=$(rewind history "$db" --thread demo-calculator |
  python3 -c 'import json,sys; print(next(d["checkpoint_id"] for d in map(json.loads, sys.stdin) if d["checkpoint_ns"] == "" and d["step"] == 2))')
rewind replay "$db" --graph demo --thread demo-calculator --checkpoint "$step2" >/dev/null
rewind "$db" --graph demo --thread demo-calculator --screenshot docs/screenshot.png 2>/dev/null
echo "wrote docs/screenshot.png"
