#!/usr/bin/env bash
# Installs the test OpenID Provider's node_modules (oidc-provider, jose) into the tools cache
# outside the checkout (tests/support/npm-install.sh, shared by every npm suite) and links it
# here as tests/oidc-provider/node_modules, so `node tests/oidc-provider/server.mjs` finds it.
# Prints the cache folder. tests/run.sh calls it; the Rust SSO tests call it themselves when
# GROUNDSWELL_TEST_OIDC_PROVIDER is unset.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec "$here/../support/npm-install.sh" "$here" oidc-provider
