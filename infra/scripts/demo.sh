#!/usr/bin/env bash
# `npm run demo [scenario]`: install what is missing, build the dashboard, then scripts/demo.ts
# (stack up, smoke load test, summary, dashboard left running until Ctrl-C).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
if [[ ! -d node_modules ]]; then
  echo "[demo] installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
if [[ -d web && ! -f web/dist/index.html ]]; then
  echo "[demo] building the dashboard (npm run build:web)"
  npm run --silent build:web
fi
exec node --import tsx scripts/demo.ts "$@"
