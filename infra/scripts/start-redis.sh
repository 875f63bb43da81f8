#!/usr/bin/env bash
# Makes sure a Redis answers at REDIS_URL (default redis://127.0.0.1:6379).
# Uses a Redis that already answers; otherwise, for a loopback host only, starts redis-server with
# infra/redis.conf, data in .data/redis, and records its pid in .data/run/redis.pid so that
# stop-services.sh stops it (and only it) later.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly START_TIMEOUT_S=20
pidfile=$RUN_DIR/redis.pid
redis_dir=$DATA_DIR/redis
redis_log=$redis_dir/redis.log
where="$REDIS_HOST:$REDIS_PORT"

if redis_answers; then
  log "using Redis at $where"
  exit 0
fi

if ! is_local_host "$REDIS_HOST"; then
  die "Redis at $where does not answer (REDIS_URL=$REDIS_URL); start it, or point REDIS_URL at a Redis that runs"
fi
((REDIS_TLS)) && die "REDIS_URL uses rediss:// (TLS) but nothing answers at $where; start-redis.sh only starts a plain-TCP Redis"
[[ -n $REDIS_PASSWORD || -n $REDIS_USER ]] && die "nothing answers at $where, and REDIS_URL carries credentials; start-redis.sh only starts a Redis without ACLs, so drop them from REDIS_URL"

if port_open "$REDIS_HOST" "$REDIS_PORT"; then
  die "something listens on $where but does not answer PING like a Redis without a password; free the port or point REDIS_URL elsewhere"
fi

# A Redis we started earlier that is still alive, but on another port: one pidfile, one Redis.
old_pid=$(read_pidfile "$pidfile")
if [[ -n $old_pid ]] && pid_alive "$old_pid"; then
  if [[ $(pid_cmdline "$old_pid") == *redis-server* ]]; then
    die "a Redis started by these scripts is still running (pid $old_pid: $(pid_cmdline "$old_pid")) but not at $where; run infra/scripts/stop-services.sh first"
  fi
fi
rm -f "$pidfile" # stale

ensure_command redis-server redis-server

mkdir -p "$redis_dir" "$RUN_DIR"
bind_args=()
[[ $REDIS_HOST == ::1 ]] && bind_args=(--bind ::1)

log "starting redis-server on $where (data: $redis_dir, log: $redis_log)"
if ! redis-server "$ROOT/infra/redis.conf" \
  --port "$REDIS_PORT" \
  "${bind_args[@]}" \
  --dir "$redis_dir" \
  --daemonize yes \
  --pidfile "$pidfile" \
  --logfile "$redis_log"; then
  tail_file "$redis_log"
  die "redis-server failed to start"
fi

deadline=$((SECONDS + START_TIMEOUT_S))
until redis_answers; do
  if ((SECONDS >= deadline)); then
    pid=$(read_pidfile "$pidfile")
    if [[ -n $pid ]] && pid_alive "$pid" && [[ $(pid_cmdline "$pid") == *redis-server* ]]; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
    tail_file "$redis_log"
    die "redis-server did not answer PING on $where within ${START_TIMEOUT_S}s"
  fi
  sleep 0.25
done

pid=$(read_pidfile "$pidfile")
log "started Redis at $where (pid ${pid:-unknown}; stop it with infra/scripts/stop-services.sh)"
