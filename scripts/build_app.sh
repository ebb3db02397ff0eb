#!/usr/bin/env bash
# Build the one-folder app with PyInstaller (build.spec) and prove the frozen build
# starts: `rewind threads` on a real database and `rewind --screenshot` offscreen.
#   bash scripts/build_app.sh            # build into dist/rewind and check it
# Needs the build extra: pip install -e '.[build]'
set -euo pipefail
cd "$(dirname "$0")/.."

python -m PyInstaller --noconfirm --clean --log-level WARN build.spec
app="dist/rewind/rewind"
[ -x "$app" ] || { echo "build_app: $app was not built" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}" REWIND_DATA_DIR="$work/data"
export HOME="$work" XDG_CONFIG_HOME="$work/config"

# The demo database is written by the frozen app itself (runs the built-in agent).
"$app" run "$work/demo.sqlite" --graph demo --thread frozen --input "What does the Team plan cost?" \
  --stream-mode updates > "$work/run.jsonl"
"$app" threads "$work/demo.sqlite" > "$work/threads.json"
grep -q '"frozen"' "$work/threads.json" || { echo "build_app: threads did not list the run" >&2; exit 1; }
"$app" "$work/demo.sqlite" --thread frozen --screenshot "$work/frozen.png"
[ -s "$work/frozen.png" ] || { echo "build_app: no screenshot" >&2; exit 1; }
cp "$work/frozen.png" dist/frozen-screenshot.png
echo "build_app: dist/rewind works (threads, run, screenshot: dist/frozen-screenshot.png)"
