#!/usr/bin/env bash
# Makes sure Redis and QuestDB answer (starting local ones when needed), then prints the
# endpoints on stdout, one VAR=value line each (progress messages go to stderr). With
# REDIS_CLUSTER_NODES set, Redis is that cluster: it must be up (npm run cluster:up), nothing else starts.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$here/lib.sh"

if [[ -n ${REDIS_CLUSTER_NODES:-} ]]; then
  # The services use the cluster, not REDIS_URL: no standalone Redis is started. A node must answer
  # with cluster_state:ok; the local 6-node cluster is started by `npm run cluster:up`.
  ensure_command redis-cli redis-tools
  IFS=, read -r -a cluster_nodes <<<"$REDIS_CLUSTER_NODES"
  ok=
  for node in "${cluster_nodes[@]}"; do
    split_host_port REDIS_CLUSTER_NODES "$node"
    if [[ $(timeout 3 redis-cli -h "$SPLIT_HOST" -p "$SPLIT_PORT" cluster info 2>/dev/null | tr -d '\r') == *cluster_state:ok* ]]; then
      ok=$node
      break
    fi
  done
  [[ -n $ok ]] || die "REDIS_CLUSTER_NODES=$REDIS_CLUSTER_NODES: no node answers with cluster_state:ok; start the local cluster with npm run cluster:up (or npm run demo -- --cluster)"
  log "using the Redis Cluster at $REDIS_CLUSTER_NODES (state ok at $ok)"
else
  "$here/start-redis.sh"
fi
"$here/start-questdb.sh"

if [[ -n ${REDIS_CLUSTER_NODES:-} ]]; then printf 'REDIS_CLUSTER_NODES=%s\n' "$REDIS_CLUSTER_NODES"; else printf 'REDIS_URL=%s\n' "$REDIS_URL"; fi
printf 'QUESTDB_HTTP=%s\n' "$QUESTDB_HTTP"
printf 'QUESTDB_PG=%s\n' "$QUESTDB_PG"
