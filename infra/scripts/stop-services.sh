#!/usr/bin/env bash
# Stops the Redis and QuestDB that start-redis.sh / start-questdb.sh started, and nothing else:
# (and, asked for `cluster`, the nodes cluster-up.sh started): only processes recorded in .data/run/*.pid whose command line is still redis-server / QuestDB.
# A Redis or QuestDB that these scripts did not start (no pidfile) is never touched.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly STOP_TIMEOUT_S=20

# stop_one NAME PIDFILE PATTERN: stops the process in PIDFILE if its command line matches PATTERN.
stop_one() {
  local name=$1 pidfile=$2 pattern=$3 pid cmd
  [[ -e $pidfile ]] || return 0
  pid=$(read_pidfile "$pidfile")
  if [[ -z $pid ]]; then
    log "$name: $pidfile holds no pid; removing it"
    rm -f "$pidfile"
    return 0
  fi
  if ! pid_alive "$pid"; then
    log "$name: pid $pid from $pidfile is not running; removing the stale pidfile"
    rm -f "$pidfile"
    return 0
  fi
  cmd=$(pid_cmdline "$pid")
  # shellcheck disable=SC2053  # $pattern is a glob on purpose
  if [[ $cmd != $pattern ]]; then
    log "$name: pid $pid is now '$cmd', not the $name we started; leaving it alone and removing the stale pidfile"
    rm -f "$pidfile"
    return 0
  fi

  local short=$cmd
  ((${#short} > 100)) && short="${short:0:100}..."
  log "stopping $name (pid $pid: $short)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT_S))
  while pid_alive "$pid" && ((SECONDS < deadline)); do
    sleep 0.25
  done
  if pid_alive "$pid"; then
    log "$name (pid $pid) still running after ${STOP_TIMEOUT_S}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for _ in {1..20}; do pid_alive "$pid" || break; sleep 0.25; done
    pid_alive "$pid" && die "$name (pid $pid) survived SIGKILL"
  fi
  rm -f "$pidfile"
  log "stopped $name (pid $pid)"
  stopped=$((stopped + 1))
}

# Usage: stop-services.sh [redis] [questdb] [cluster]   (no argument: redis and questdb)
want=("$@")
((${#want[@]} > 0)) || want=(redis questdb)
stopped=0
for name in "${want[@]}"; do
  case $name in
    redis) stop_one Redis "$RUN_DIR/redis.pid" '*redis-server*' ;;
    questdb) stop_one QuestDB "$RUN_DIR/questdb.pid" '*io.questdb.ServerMain*' ;;
    cluster)
      for pidfile in "$RUN_DIR"/cluster-*.pid; do
        [[ -e $pidfile ]] || continue
        port=${pidfile##*/cluster-}
        stop_one "Redis Cluster node ${port%.pid}" "$pidfile" '*redis-server*'
      done
      ;;
    *) die "unknown service '$name' (known: redis, questdb, cluster)" ;;
  esac
done
((stopped > 0)) || log "nothing to stop (no Redis or QuestDB started by these scripts is running)"
