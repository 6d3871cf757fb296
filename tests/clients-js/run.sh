#!/usr/bin/env bash
# Runs the masto.js client suite (node --test) against the real groundswell binary.
#
#   tests/clients-js/run.sh
#
# node_modules lives in a cache folder outside the checkout, keyed by package-lock.json's hash:
# $GROUNDSWELL_TOOLS_CACHE/node-<hash>/node_modules (default ~/.cache/groundswell-tools),
# installed once with `npm ci` and linked here as tests/clients-js/node_modules.
#
# Needs: Node.js >= 20 and npm; the binary (GROUNDSWELL_BIN, default target/debug/groundswell,
# built beforehand, e.g. `cargo build --locked --bin groundswell`); a PostgreSQL server that
# user `postgres` reaches without a password on 127.0.0.1:5432 (GROUNDSWELL_TEST_POSTGRES_URL
# points elsewhere): each PostgreSQL test creates and drops its own database.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  echo "tests/clients-js needs Node.js >= 20 (found $(node --version))" >&2
  exit 1
fi

tools="${GROUNDSWELL_TOOLS_CACHE:-$HOME/.cache/groundswell-tools}"
deps="$tools/node-$(sha256sum "$here/package-lock.json" | cut -c1-16)"
if [ ! -f "$deps/.installed" ]; then
  echo "installing the masto.js suite's node_modules into $deps"
  mkdir -p "$tools"
  # Install beside, then rename: an interrupted install never looks complete, and two runs at
  # once do not install into the same folder.
  tmp="$(mktemp -d "$deps.tmp.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  cp "$here/package.json" "$here/package-lock.json" "$tmp/"
  npm ci --prefix "$tmp" --ignore-scripts --no-audit --no-fund --loglevel=error
  touch "$tmp/.installed"
  if [ -e "$deps" ] && [ ! -f "$deps/.installed" ]; then
    rm -rf "$deps"
  fi
  mv -T "$tmp" "$deps" 2>/dev/null || rm -rf "$tmp" # another run got there first
  trap - EXIT
fi

link="$here/node_modules"
if [ -e "$link" ] && [ ! -L "$link" ]; then
  echo "replacing $link (a local npm install) by a link to $deps/node_modules"
  rm -rf "$link"
fi
if [ "$(readlink "$link" 2>/dev/null)" != "$deps/node_modules" ]; then
  ln -sfn "$deps/node_modules" "$link"
fi

export GROUNDSWELL_BIN="${GROUNDSWELL_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/groundswell}"
if [ ! -x "$GROUNDSWELL_BIN" ]; then
  echo "no groundswell binary at $GROUNDSWELL_BIN: build it first (cargo build --locked --bin groundswell)" >&2
  exit 1
fi

cd "$here"
exec node --test ./*.test.mjs
