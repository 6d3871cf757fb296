#!/usr/bin/env bash
# Installs the node_modules of one npm test suite into a cache folder outside the checkout,
# keyed by the suite's package-lock.json, and links it into the suite's folder. Prints the
# cache folder. Every npm suite (tests/clients-js, tests/interop, tests/oidc-provider) uses it.
#
#   tests/support/npm-install.sh SUITE_DIR NAME
#
# The cache is $GROUNDSWELL_TOOLS_CACHE/NAME-<hash of package-lock.json>/node_modules
# (default ~/.cache/groundswell-tools), installed once with `npm ci`. Needs Node.js >= 20 and
# npm (and the npm registry, the first time).
set -euo pipefail
if [ "$#" -ne 2 ] || [ ! -f "$1/package-lock.json" ]; then
  echo "usage: $0 SUITE_DIR NAME (SUITE_DIR must hold package.json and package-lock.json)" >&2
  exit 2
fi
suite="$(cd "$1" && pwd)"
name="$2"

if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
  echo "$suite needs Node.js >= 20 (found $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

tools="${GROUNDSWELL_TOOLS_CACHE:-$HOME/.cache/groundswell-tools}"
deps="$tools/$name-$(sha256sum "$suite/package-lock.json" | cut -c1-16)"
if [ ! -f "$deps/.installed" ]; then
  echo "installing the node_modules of $suite into $deps" >&2
  mkdir -p "$tools"
  # Install beside, then rename: an interrupted install never looks complete, and two runs at
  # once do not install into the same folder.
  tmp="$(mktemp -d "$deps.tmp.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  cp "$suite/package.json" "$suite/package-lock.json" "$tmp/"
  npm ci --prefix "$tmp" --ignore-scripts --no-audit --no-fund --loglevel=error >&2
  touch "$tmp/.installed"
  if [ -e "$deps" ] && [ ! -f "$deps/.installed" ]; then
    rm -rf "$deps"
  fi
  mv -T "$tmp" "$deps" 2>/dev/null || rm -rf "$tmp" # another run got there first
  trap - EXIT
fi

link="$suite/node_modules"
if [ -e "$link" ] && [ ! -L "$link" ]; then
  echo "replacing $link (a local npm install) by a link to $deps/node_modules" >&2
  rm -rf "$link"
fi
if [ "$(readlink "$link" 2>/dev/null)" != "$deps/node_modules" ]; then
  # Link beside, then rename: a suite starting now never sees a missing link.
  ln -sfn "$deps/node_modules" "$link.tmp.$$" && mv -Tf "$link.tmp.$$" "$link"
fi
echo "$deps"
