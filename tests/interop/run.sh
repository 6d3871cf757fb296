#!/usr/bin/env bash
# Runs the Fedify interop test (node --test): a real groundswell binary federating with a
# small Fedify app (fedify-actor.mjs), an independent ActivityPub implementation from npm.
#
#   tests/interop/run.sh
#
# node_modules lives in a cache folder outside the checkout, keyed by package-lock.json's hash:
# $GROUNDSWELL_TOOLS_CACHE/node-<hash>/node_modules (default ~/.cache/groundswell-tools),
# installed once with `npm ci` and linked here as tests/interop/node_modules.
#
# Needs: Node.js >= 20 and npm (Fedify declares Node >= 22 but runs on 20, which is what the
# README asks for; npm ci only warns about the engine) and the binary (GROUNDSWELL_BIN, default
# target/debug/groundswell, built beforehand, e.g. `cargo build --locked --bin groundswell`).
# Groundswell runs on a fresh SQLite file: this test is about the wire, not the database.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  echo "tests/interop needs Node.js >= 20 (found $(node --version))" >&2
  exit 1
fi

tools="${GROUNDSWELL_TOOLS_CACHE:-$HOME/.cache/groundswell-tools}"
deps="$tools/node-$(sha256sum "$here/package-lock.json" | cut -c1-16)"
if [ ! -f "$deps/.installed" ]; then
  echo "installing the interop test's node_modules into $deps"
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
