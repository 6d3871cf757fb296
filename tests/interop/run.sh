#!/usr/bin/env bash
# Runs the Fedify interop test (node --test): a real groundswell binary federating with a
# small Fedify app (fedify-actor.mjs), an independent ActivityPub implementation from npm.
#
#   tests/interop/run.sh
#
# node_modules lives in a cache folder outside the checkout, keyed by package-lock.json's hash
# (tests/support/npm-install.sh, shared by every npm suite).
#
# Needs: Node.js >= 20 and npm (Fedify declares Node >= 22 but runs on 20, which is what the
# README asks for; npm ci only warns about the engine) and the binary (GROUNDSWELL_BIN, default
# target/debug/groundswell, built beforehand, e.g. `cargo build --locked --bin groundswell`).
# Groundswell runs on a fresh SQLite file: this test is about the wire, not the database.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

"$root/tests/support/npm-install.sh" "$here" fedify >/dev/null

export GROUNDSWELL_BIN="${GROUNDSWELL_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/groundswell}"
if [ ! -x "$GROUNDSWELL_BIN" ]; then
  echo "no groundswell binary at $GROUNDSWELL_BIN: build it first (cargo build --locked --bin groundswell)" >&2
  exit 1
fi

cd "$here"
exec node --test ./*.test.mjs
