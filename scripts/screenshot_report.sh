#!/usr/bin/env bash
# Render a report folder's index.html to a PNG with headless Chromium.
# usage: scripts/screenshot_report.sh REPORT_DIR [OUT.png] [WIDTHxHEIGHT]
set -euo pipefail
if [[ $# -lt 1 || $# -gt 3 ]]; then
    echo "usage: $0 REPORT_DIR [OUT.png] [WIDTH,HEIGHT (default 1280,2400)]" >&2
    exit 2
fi
dir=$(cd "$1" && pwd)
index="$dir/index.html"
out=${2:-"$dir/screenshot.png"}
size=${3:-1280,2400}
[[ -f "$index" ]] || { echo "no index.html in $dir" >&2; exit 1; }
browser=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
[[ -n "$browser" ]] || { echo "chromium not found (apt-get install -y chromium)" >&2; exit 1; }
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$profile" --screenshot="$out" \
    --window-size="$size" "file://$index" >/dev/null 2>&1
[[ -s "$out" ]] || { echo "no screenshot written to $out" >&2; exit 1; }
echo "$out"
