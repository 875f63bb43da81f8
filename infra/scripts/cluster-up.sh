#!/usr/bin/env bash
# `npm run cluster:up`: a local Redis Cluster of 6 redis-server processes on 127.0.0.1, ports
# REDIS_CLUSTER_BASE_PORT..+5 (default 7000-7005): 3 masters and 3 replicas, cluster mode, AOF on,
# cluster-node-timeout 2000 ms (a dead master is replaced within a few seconds). Data under
# .data/cluster/<port> (git-ignored), pids in .data/run/cluster-<port>.pid so that cluster-down.sh
# stops these and nothing else. Idempotent: nodes that already answer are kept, a formed cluster is
# not formed again. Prints the node list and the REDIS_CLUSTER_NODES value to use.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly BASE_PORT=${REDIS_CLUSTER_BASE_PORT:-7000}
readonly NODE_TIMEOUT_MS=${REDIS_CLUSTER_NODE_TIMEOUT_MS:-2000}
readonly START_TIMEOUT_S=30
readonly PORTS=($(seq "$BASE_PORT" $((BASE_PORT + 5))))
nodes=()
for p in "${PORTS[@]}"; do nodes+=("127.0.0.1:$p"); done

ensure_command redis-server redis-server
ensure_command redis-cli redis-tools

node_answers() { [[ $(timeout 3 redis-cli -p "$1" ping 2>/dev/null) == PONG ]]; }
cluster_field() { timeout 3 redis-cli -p "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"; }

mkdir -p "$RUN_DIR"
for p in "${PORTS[@]}"; do
  if node_answers "$p"; then
    [[ $(timeout 3 redis-cli -p "$p" info cluster 2>/dev/null | tr -d '\r') == *cluster_enabled:1* ]] ||
      die "a Redis without cluster mode answers on 127.0.0.1:$p; stop it or set REDIS_CLUSTER_BASE_PORT"
    log "cluster node 127.0.0.1:$p already runs"
    continue
  fi
  port_open 127.0.0.1 "$p" && die "something that is not Redis listens on 127.0.0.1:$p; free it or set REDIS_CLUSTER_BASE_PORT"
  dir=$DATA_DIR/cluster/$p
  mkdir -p "$dir"
  # infra/redis.conf first (noeviction, AOF everysec, loopback), then what makes it a cluster node.
  redis-server "$ROOT/infra/redis.conf" \
    --port "$p" \
    --cluster-enabled yes \
    --cluster-config-file nodes.conf \
    --cluster-node-timeout "$NODE_TIMEOUT_MS" \
    --appendonly yes \
    --dir "$dir" \
    --daemonize yes \
    --pidfile "$RUN_DIR/cluster-$p.pid" \
    --logfile "$dir/redis.log" || { tail_file "$dir/redis.log"; die "redis-server on port $p failed to start"; }
done

deadline=$((SECONDS + START_TIMEOUT_S))
for p in "${PORTS[@]}"; do
  until node_answers "$p"; do
    ((SECONDS < deadline)) || { tail_file "$DATA_DIR/cluster/$p/redis.log"; die "cluster node $p did not answer within ${START_TIMEOUT_S}s"; }
    sleep 0.2
  done
done

# Form the cluster once: a node that knows only itself has never joined one.
if [[ $(cluster_field "$BASE_PORT" cluster_known_nodes) == 1 ]]; then
  log "creating the cluster: ${nodes[*]} (3 masters, 1 replica each)"
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >/dev/null ||
    die "redis-cli --cluster create failed (see .data/cluster/*/redis.log)"
fi

deadline=$((SECONDS + START_TIMEOUT_S))
for p in "${PORTS[@]}"; do
  until [[ $(cluster_field "$p" cluster_state) == ok ]]; do
    ((SECONDS < deadline)) || die "node $p: cluster_state is not ok after ${START_TIMEOUT_S}s ($(cluster_field "$p" cluster_state))"
    sleep 0.25
  done
done

log "cluster_state:ok on all 6 nodes"
# One line a node: address, role, and its slots (a master) or its master's address (a replica).
timeout 3 redis-cli -p "$BASE_PORT" cluster nodes | sed 's/myself,//; s/@[0-9]*//' | sort -k2 |
  awk '{ addr[$1] = $2; line[NR] = $0 } END {
    for (i = 1; i <= NR; i++) { split(line[i], f, " ")
      if (f[3] ~ /master/) printf "[services]   %-16s master   slots %s\n", f[2], f[9]
      else printf "[services]   %-16s replica  of %s\n", f[2], addr[f[4]] } }' >&2
log "use it with: REDIS_CLUSTER_NODES=$(
  IFS=,
  echo "${nodes[*]}"
)"
