#!/usr/bin/env bash
# Makes sure Redis and QuestDB answer (starting local ones when needed), then prints the
# endpoints on stdout, one VAR=value line each (progress messages go to stderr).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$here/lib.sh"

"$here/start-redis.sh"
"$here/start-questdb.sh"

printf 'REDIS_URL=%s\n' "$REDIS_URL"
printf 'QUESTDB_HTTP=%s\n' "$QUESTDB_HTTP"
printf 'QUESTDB_PG=%s\n' "$QUESTDB_PG"
