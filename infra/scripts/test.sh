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
npm run --silent check
npx vitest run "$@"
