#!/usr/bin/env bash
# Runs the integration test binary several times in a row (every scenario on SQLite and on
# PostgreSQL) and fails if any run fails or the process dies of a signal — the crash at exit
# of a thread still inside libpq showed up only once in a few runs. Run on demand:
#
#   tests/stress.sh            10 runs of the whole integration binary
#   tests/stress.sh 3 sso::    3 runs of the tests whose name contains `sso::`
#
# Needs what tests/run.sh needs (PostgreSQL on 127.0.0.1:5432, Node.js for the test provider).
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
shift || true

GROUNDSWELL_TEST_OIDC_PROVIDER="$(tests/oidc-provider/install.sh)"
export GROUNDSWELL_TEST_OIDC_PROVIDER
bin="$(cargo test --locked --test integration --no-run 2>&1 \
  | sed -n 's/.*Executable .*(\(.*integration-[0-9a-f]*\)).*/\1/p' | tail -n 1)"
if [ ! -x "$bin" ]; then
  echo "error: cannot find the integration test binary (cargo test --no-run printed none)" >&2
  exit 1
fi

log="$(mktemp -d)"
failed=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  set +e
  "$bin" "$@" >"$log/run-$i.txt" 2>&1
  rc=$?
  set -e
  took=$(( $(date +%s) - start ))
  summary="$(grep -E '^test result:' "$log/run-$i.txt" | tail -n 1)"
  if [ "$rc" -gt 128 ]; then
    echo "run $i/$runs: CRASHED with signal $((rc - 128)) after ${took}s (${summary:-no summary}); output: $log/run-$i.txt"
    failed=$((failed + 1))
  elif [ "$rc" -ne 0 ]; then
    echo "run $i/$runs: FAILED (exit $rc) after ${took}s: ${summary:-no summary}; output: $log/run-$i.txt"
    grep -E '^    [a-z_:]+$|^test .* FAILED' "$log/run-$i.txt" | head -n 20 || true
    failed=$((failed + 1))
  else
    echo "run $i/$runs: ok after ${took}s: $summary"
  fi
done
echo "$((runs - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
