#!/usr/bin/env bash
# Installs the test OpenID Provider's node_modules (oidc-provider, jose) into a cache folder
# outside the checkout, keyed by package-lock.json's hash:
#   $GROUNDSWELL_TOOLS_CACHE/oidc-provider-<hash>/node_modules (default ~/.cache/groundswell-tools)
# and links it here as tests/oidc-provider/node_modules, so `node tests/oidc-provider/server.mjs`
# finds it. Prints the cache folder. tests/run.sh calls it; the Rust SSO tests call it
# themselves when GROUNDSWELL_TEST_OIDC_PROVIDER is unset.
#
# Needs: Node.js >= 20 and npm (and the npm registry, once).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
  echo "tests/oidc-provider needs Node.js >= 20 (found $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

tools="${GROUNDSWELL_TOOLS_CACHE:-$HOME/.cache/groundswell-tools}"
deps="$tools/oidc-provider-$(sha256sum "$here/package-lock.json" | cut -c1-16)"
if [ ! -f "$deps/.installed" ]; then
  echo "installing the test OpenID Provider's node_modules into $deps" >&2
  mkdir -p "$tools"
  # Install beside, then rename: an interrupted install never looks complete, and two runs at
  # once do not install into the same folder.
  tmp="$(mktemp -d "$deps.tmp.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  cp "$here/package.json" "$here/package-lock.json" "$tmp/"
  npm ci --prefix "$tmp" --ignore-scripts --no-audit --no-fund --loglevel=error >&2
  touch "$tmp/.installed"
  if [ -e "$deps" ] && [ ! -f "$deps/.installed" ]; then
    rm -rf "$deps"
  fi
  mv -T "$tmp" "$deps" 2>/dev/null || rm -rf "$tmp" # another run got there first
  trap - EXIT
fi

link="$here/node_modules"
if [ -e "$link" ] && [ ! -L "$link" ]; then
  rm -rf "$link"
fi
if [ "$(readlink "$link" 2>/dev/null)" != "$deps/node_modules" ]; then
  ln -sfn "$deps/node_modules" "$link.tmp.$$" && mv -Tf "$link.tmp.$$" "$link"
fi
echo "$deps"
