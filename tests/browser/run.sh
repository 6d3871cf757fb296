#!/usr/bin/env bash
# Runs the browser suite (node --test): the real groundswell binary's web pages in Debian's
# Chromium, driven by playwright-core. Screenshots go to $GROUNDSWELL_SCREENSHOTS (default
# $GROUNDSWELL_TOOLS_CACHE/screenshots, outside the checkout); the run prints where.
#
#   tests/browser/run.sh
#
# node_modules lives in a cache folder outside the checkout, keyed by package-lock.json's hash
# (tests/support/npm-install.sh); Chromium is installed with apt-get when it is missing
# (tests/support/chromium.sh).
#
# Needs: Node.js >= 20 and npm; the binary (GROUNDSWELL_BIN, default target/debug/groundswell,
# built beforehand, e.g. `cargo build --locked --bin groundswell`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

"$root/tests/support/npm-install.sh" "$here" browser >/dev/null
GROUNDSWELL_CHROMIUM="$("$root/tests/support/chromium.sh")"
export GROUNDSWELL_CHROMIUM

export GROUNDSWELL_BIN="${GROUNDSWELL_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/groundswell}"
if [ ! -x "$GROUNDSWELL_BIN" ]; then
  echo "no groundswell binary at $GROUNDSWELL_BIN: build it first (cargo build --locked --bin groundswell)" >&2
  exit 1
fi
tools="${GROUNDSWELL_TOOLS_CACHE:-$HOME/.cache/groundswell-tools}"
export GROUNDSWELL_SCREENSHOTS="${GROUNDSWELL_SCREENSHOTS:-$tools/screenshots}"
echo "browser tests: screenshots in $GROUNDSWELL_SCREENSHOTS"

cd "$here"
exec node --test --test-concurrency=1 ./*.test.mjs
