#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser tests (tests/browser), installing
# it with apt-get when it is missing (CI runs as root; elsewhere through sudo if there is
# one). Prints the path of the browser.
#
#   tests/support/chromium.sh
#
# Playwright's own browser download does not work here; playwright-core drives this one.
set -euo pipefail
browser="${GROUNDSWELL_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$browser" ]; then
  echo "installing chromium (apt-get) for the browser tests" >&2
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "$browser is missing and this user cannot install it: run \`apt-get install -y chromium\` as root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # A stale package list cannot find the current chromium: refresh it first.
  "${as_root[@]}" apt-get update -qq >&2
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium >&2
fi
if [ ! -x "$browser" ]; then
  echo "chromium was installed but $browser is not there" >&2
  exit 1
fi
echo "$browser"
