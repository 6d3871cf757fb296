#!/usr/bin/env bash
# Runs every Groundswell test. This is the README's test command and what CI calls.
#
#   tests/run.sh            all tests
#   tests/run.sh config::   only tests whose name contains `config::` (passed to cargo test)
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

cargo test --locked -- "$@"
