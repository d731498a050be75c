#!/usr/bin/env bash
# Renders docs/dashboard.png from a real run (hack/render-dashboard.ts). Needs headless Chromium:
# installed here from Debian's packages when missing (as root), which is the only install step.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update && apt-get install -y chromium
  else
    echo "chromium is missing: sudo apt-get install -y chromium (or your system's package)" >&2
    exit 1
  fi
fi
exec node_modules/.bin/node hack/render-dashboard.ts "$@"
