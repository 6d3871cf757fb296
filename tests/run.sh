#!/usr/bin/env bash
# Runs every Groundswell test. This is the README's test command and what CI calls.
#
#   tests/run.sh            all tests
#   tests/run.sh config::   only Rust tests whose name contains `config::` (skips client suites)
#
# 1. Rust unit and integration tests (`cargo test`), every database test on SQLite and PostgreSQL.
# 2. Client-library suites: real Mastodon clients (Python Mastodon.py, npm masto) against the
#    real binary, Mastodon.py also signing in through corporate SSO.
# The SSO tests run a real OpenID Provider (tests/oidc-provider, npm oidc-provider) on Node.js.
#    Their virtualenv lives in a cache folder outside the checkout, keyed by the requirements
#    file's hash ($GROUNDSWELL_TOOLS_CACHE, default ~/.cache/groundswell-tools).
# 3. Browser: every web page in a real browser (Debian's Chromium, installed with apt-get when
#    missing by tests/support/chromium.sh, driven by npm playwright-core; tests/browser).
#    Screenshots go to $GROUNDSWELL_TOOLS_CACHE/screenshots (printed).
# 4. Interop: the binary federating with a small Fedify app, an independent ActivityPub
#    implementation from npm (tests/interop; node_modules cached the same way).
# 5. Docker files: the image's sources build (exactly what the Dockerfile copies) and the
#    compose file's departments allow each other (tests/docker, pytest in the clients' venv).
#
# The video and audio tests need Debian's ffmpeg (ffmpeg, ffprobe): installed with apt-get when
# missing by tests/support/ffmpeg.sh.
#
# Needs: the Rust toolchain and a PostgreSQL server on 127.0.0.1:5432 that user `postgres`
# can reach without a password (tests create and drop their own databases). If that server is
# installed but stopped, it is started. GROUNDSWELL_TEST_POSTGRES_URL points elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${GROUNDSWELL_TEST_POSTGRES_URL:-}" ] && command -v pg_isready >/dev/null 2>&1; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "PostgreSQL is not running on 127.0.0.1:5432; starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
fi

# libpq would otherwise try GSSAPI encryption first and load Kerberos, whose library
# destructors race the test binaries' exit ("k5_mutex_lock: Assertion `r == 0' failed" after
# every test had passed). The department's own connections do not need it either.
export PGGSSENCMODE="${PGGSSENCMODE:-disable}"
# Likewise TLS: the local server offers it, so libpq would encrypt every loopback connection
# with OpenSSL, whose exit-time cleanup then races the pool threads still holding connections
# (the integration binary died with SIGSEGV at exit once, after all 315 tests had passed).
export PGSSLMODE="${PGSSLMODE:-disable}"

# The test OpenID Provider (npm oidc-provider) for the SSO tests: node_modules cached outside
# the checkout like the client suites'; the Rust and Python SSO tests start it.
GROUNDSWELL_TEST_OIDC_PROVIDER="$(tests/oidc-provider/install.sh)"
export GROUNDSWELL_TEST_OIDC_PROVIDER

# ffmpeg and ffprobe for the video and audio tests (an optional runtime dependency).
tests/support/ffmpeg.sh >/dev/null

cargo test --locked -- "$@"

if [ "$#" -gt 0 ]; then
  exit 0
fi

echo "== client libraries (Mastodon.py)"
tools="${GROUNDSWELL_TOOLS_CACHE:-$HOME/.cache/groundswell-tools}"
req=tests/clients/requirements.txt
venv="$tools/venv-$(sha256sum "$req" | cut -c1-16)"
if [ ! -x "$venv/bin/pytest" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
fi
# The binary `cargo test` built for the integration tests: the same features (dev-dependencies
# unify features of shared crates), so nothing is compiled twice. A separate `cargo build`
# would rebuild actix and friends with other features.
export GROUNDSWELL_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/groundswell"
(cd tests/clients && "$venv/bin/python" -m pytest -q -p no:cacheprovider)

echo "== Docker files (the image's sources build; the compose file's departments federate)"
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests/docker

echo "== client libraries (masto.js)"
tests/clients-js/run.sh

echo "== browser (Chromium)"
tests/browser/run.sh

echo "== interop (Fedify)"
tests/interop/run.sh
