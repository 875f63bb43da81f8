#!/usr/bin/env bash
# `npm test`: install what is missing, start Redis and QuestDB when they do not answer, build the
# dashboard, then run typecheck, lint, the boundary check and every test against the real services.
# Browser tests need Debian's chromium (/usr/bin/chromium): installed here with apt when missing
# and running as root; otherwise they are skipped with a message.
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
bash infra/scripts/services-up.sh >/dev/null
echo "[test] building the dashboard"
npm run --silent build:web >/dev/null
echo "[test] typecheck, lint, boundaries"
npm run --silent check
mkdir -p test-results
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@" || status=$?
# One plain closing line: "N passed, N failed, N skipped".
node -e '
  const r = require("./test-results/vitest.json");
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' 2>/dev/null || true
exit "$status"
