#!/usr/bin/env bash
# Alias of stop-services.sh: stops only the Redis/QuestDB that our start scripts started.
set -euo pipefail

exec "$(dirname "${BASH_SOURCE[0]}")/stop-services.sh" "$@"
