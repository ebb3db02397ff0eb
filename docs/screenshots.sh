#!/usr/bin/env bash
# Renders the window with Rewind itself at the two sizes it must fit, 1280x800 and
# 1024x640: docs/screenshot-1280x800.png and docs/screenshot-1024x640.png. A fresh demo
# database, one replay from a past checkpoint (a branch, paused at the demo's approval
# interrupt), then the window's --screenshot mode, which fails rather than save a PNG of
# another size than --window-size. Needs no display (offscreen Qt).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export REWIND_DATA_DIR="$work" REWIND_DEMO_TOKEN_DELAY=0 QT_QPA_PLATFORM=offscreen
db="$work/demo.sqlite"
python -m desktop --screenshot "$work/seed.png" >/dev/null 2>&1   # seeds the demo database
step2=$(python -m desktop history "$db" --thread demo-calculator |
  python3 -c 'import json,sys; print(next(d["checkpoint_id"] for d in map(json.loads, sys.stdin) if d["checkpoint_ns"] == "" and d["step"] == 2))')
python -m desktop replay "$db" --graph demo --thread demo-calculator --checkpoint "$step2" >/dev/null
for size in 1280x800 1024x640; do
  python -m desktop "$db" --graph demo --thread demo-calculator \
    --screenshot "docs/screenshot-$size.png" --window-size "$size" 2>/dev/null
  echo "wrote docs/screenshot-$size.png"
done
