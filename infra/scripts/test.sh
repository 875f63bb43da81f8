#!/usr/bin/env bash
# `npm test`: install what is missing, start Redis and QuestDB when they do not answer, then run
# typecheck, lint, the boundary check and every test against the real services.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
if [[ ! -d node_modules ]]; then
  echo "[test] installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
bash infra/scripts/services-up.sh >/dev/null
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
