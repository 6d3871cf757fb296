#!/usr/bin/env bash
# Runs the masto.js client suite (node --test) against the real groundswell binary.
#
#   tests/clients-js/run.sh
#
# node_modules lives in a cache folder outside the checkout, keyed by package-lock.json's hash
# (tests/support/npm-install.sh, shared by every npm suite).
#
# Needs: Node.js >= 20 and npm; the binary (GROUNDSWELL_BIN, default target/debug/groundswell,
# built beforehand, e.g. `cargo build --locked --bin groundswell`); a PostgreSQL server that
# user `postgres` reaches without a password on 127.0.0.1:5432 (GROUNDSWELL_TEST_POSTGRES_URL
# points elsewhere): each PostgreSQL test creates and drops its own database.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

"$root/tests/support/npm-install.sh" "$here" masto >/dev/null

export GROUNDSWELL_BIN="${GROUNDSWELL_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/groundswell}"
if [ ! -x "$GROUNDSWELL_BIN" ]; then
  echo "no groundswell binary at $GROUNDSWELL_BIN: build it first (cargo build --locked --bin groundswell)" >&2
  exit 1
fi

cd "$here"
exec node --test ./*.test.mjs
