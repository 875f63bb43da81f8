#!/usr/bin/env bash
# `npm test`: install what is missing, start Redis and QuestDB when they do not answer, build the
# dashboard, then run typecheck, lint, the boundary check and every test against the real services.
# Browser tests need Debian's chromium (/usr/bin/chromium): installed here with apt when missing
# and running as root; otherwise they are skipped with a message.
# A Redis or QuestDB that services-up.sh starts for this run is stopped when the script exits
# (whatever the outcome); one that was already running before is left alone.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
if [[ ! -d node_modules ]]; then
  echo "[test] installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
if [[ ! -x /usr/bin/chromium ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "[test] installing chromium for the browser tests (apt-get install chromium)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "[test] could not install chromium: browser tests will be skipped"
  else
    echo "[test] /usr/bin/chromium missing: browser tests will be skipped (sudo apt-get install -y chromium)"
  fi
fi
# Ownership is the pidfile start-redis.sh / start-questdb.sh write (.data/run/<name>.pid): a pid
# there after services-up.sh that was not there before means this run started that service.
pid_of() { cat ".data/run/$1.pid" 2>/dev/null || true; }
declare -A pid_before=()
for name in redis questdb; do pid_before[$name]=$(pid_of "$name"); done
started=()
# stop_started: stops what this run started, once (called before the closing line, and on any exit).
stop_started() {
  ((${#started[@]} > 0)) || return 0
  local names=("${started[@]}")
  started=()
  echo "[test] stopping what this run started: ${names[*]}"
  bash infra/scripts/stop-services.sh "${names[@]}" || echo "[test] could not stop ${names[*]}; run npm run services:down"
}
trap stop_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
up_status=0
# The tests bound times (a row visible in SQL within 2 s), not throughput: a QuestDB started for
# them runs at normal priority, not yielding to them as it does under `npm run stack` (nice 10).
QUESTDB_NICE=0 bash infra/scripts/services-up.sh >/dev/null || up_status=$?
# Recorded even when services-up.sh failed half-way (Redis started, QuestDB did not).
for name in redis questdb; do
  pid=$(pid_of "$name")
  if [[ -n $pid && $pid != "${pid_before[$name]}" ]]; then started+=("$name"); fi
done
((up_status == 0)) || exit "$up_status"
echo "[test] building the dashboard"
npm run --silent build:web >/dev/null
echo "[test] typecheck, lint, boundaries"
npm run --silent check
mkdir -p test-results
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@" || status=$?
stop_started
# One plain closing line: "N passed, N failed, N skipped".
node -e '
  const r = require("./test-results/vitest.json");
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' 2>/dev/null || true
exit "$status"
