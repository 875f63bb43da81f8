#!/usr/bin/env bash
# `npm run stack`: install dependencies when missing, then run scripts/stack.ts in the foreground.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
if [[ ! -d node_modules ]]; then
  echo "[stack] installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
exec node --import tsx scripts/stack.ts "$@"
