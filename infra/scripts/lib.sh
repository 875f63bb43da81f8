# shellcheck shell=bash
# Shared helpers for the infra/scripts/*.sh service scripts. Source it, do not run it:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Environment (same names and defaults as packages/contracts/src/config.ts):
#   REDIS_URL     redis://[user:password@]host[:port][/db]   default redis://127.0.0.1:6379
#   QUESTDB_HTTP  host:port of QuestDB's HTTP (REST/ILP) API  default 127.0.0.1:9000
#   QUESTDB_PG    host:port of QuestDB's PostgreSQL wire port default 127.0.0.1:8812
#
# The parsed values below are plain shell variables on purpose: they are NOT exported, so they
# never reach the app's environment (config.ts rejects unknown QUESTDB_* variables) nor QuestDB's.
# shellcheck disable=SC2034  # variables are used by the scripts that source this file

if [[ -n ${QS_SERVICES_LIB_LOADED:-} ]]; then
  return 0
fi
QS_SERVICES_LIB_LOADED=1

log() {
  printf '[services] %s\n' "$*" >&2
}

die() {
  printf '[services] ERROR: %s\n' "$*" >&2
  exit 1
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DATA_DIR=$ROOT/.data
RUN_DIR=$DATA_DIR/run
CACHE_DIR=$ROOT/.cache

# --- endpoints -----------------------------------------------------------------------------

# split_host_port NAME VALUE: sets SPLIT_HOST / SPLIT_PORT. Splits on the last ':' like
# config.ts does, and also accepts a bracketed IPv6 host ("[::1]:8812").
split_host_port() {
  local name=$1 value=$2
  SPLIT_HOST=${value%:*}
  SPLIT_PORT=${value##*:}
  if [[ $value != *:* || -z $SPLIT_HOST || ! $SPLIT_PORT =~ ^[0-9]+$ ]] || ((10#$SPLIT_PORT < 1 || 10#$SPLIT_PORT > 65535)); then
    die "$name: expected host:port, got '$value'"
  fi
  SPLIT_PORT=$((10#$SPLIT_PORT))
  SPLIT_HOST=${SPLIT_HOST#[}
  SPLIT_HOST=${SPLIT_HOST%]}
}

# url_host HOST: the host as it must appear in a URL (IPv6 literals get brackets).
url_host() {
  if [[ $1 == *:* ]]; then printf '[%s]' "$1"; else printf '%s' "$1"; fi
}

# is_local_host HOST: true for the loopback names we are willing to start services on.
is_local_host() {
  case $1 in
    127.0.0.1 | localhost | ::1) return 0 ;;
    *) return 1 ;;
  esac
}

REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
QUESTDB_HTTP=${QUESTDB_HTTP:-127.0.0.1:9000}
QUESTDB_PG=${QUESTDB_PG:-127.0.0.1:8812}

# redis[s]://[userinfo@]host[:port][/db][?query]; host may be a bracketed IPv6 literal.
# Credentials are taken literally (no percent-decoding).
qs_redis_url_re='^(rediss?)://(([^@/]*)@)?(\[[^]/]+\]|[^]:/?#[]*)(:([0-9]*))?([/?#].*)?$'
if [[ ! $REDIS_URL =~ $qs_redis_url_re ]]; then
  die "REDIS_URL: expected redis://[user:password@]host[:port][/db], got '$REDIS_URL'"
fi
REDIS_TLS=0
[[ ${BASH_REMATCH[1]} == rediss ]] && REDIS_TLS=1
qs_userinfo=${BASH_REMATCH[3]}
REDIS_HOST=${BASH_REMATCH[4]}
REDIS_PORT=${BASH_REMATCH[6]:-6379}
REDIS_HOST=${REDIS_HOST#[}
REDIS_HOST=${REDIS_HOST%]}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}
REDIS_USER=
REDIS_PASSWORD=
if [[ $qs_userinfo == *:* ]]; then
  REDIS_USER=${qs_userinfo%%:*}
  REDIS_PASSWORD=${qs_userinfo#*:}
else
  REDIS_USER=$qs_userinfo
fi
unset qs_userinfo qs_redis_url_re
if ((10#$REDIS_PORT < 1 || 10#$REDIS_PORT > 65535)); then
  die "REDIS_URL: invalid port in '$REDIS_URL'"
fi
REDIS_PORT=$((10#$REDIS_PORT))

split_host_port QUESTDB_HTTP "$QUESTDB_HTTP"
QUESTDB_HTTP_HOST=$SPLIT_HOST
QUESTDB_HTTP_PORT=$SPLIT_PORT
QUESTDB_HTTP_URL="http://$(url_host "$QUESTDB_HTTP_HOST"):$QUESTDB_HTTP_PORT"
split_host_port QUESTDB_PG "$QUESTDB_PG"
QUESTDB_PG_HOST=$SPLIT_HOST
QUESTDB_PG_PORT=$SPLIT_PORT
unset SPLIT_HOST SPLIT_PORT

# --- probes ----------------------------------------------------------------------------------

# port_open HOST PORT [TIMEOUT_SECONDS]: true if a TCP connection succeeds.
port_open() {
  # shellcheck disable=SC2016  # expanded by the inner bash
  timeout "${3:-1}" bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# redis_answers: true if the Redis at REDIS_URL answers PING with PONG (authenticating if
# REDIS_URL carries credentials).
redis_answers() {
  if command -v redis-cli >/dev/null 2>&1; then
    local -a args=(-h "$REDIS_HOST" -p "$REDIS_PORT")
    [[ -n $REDIS_USER ]] && args+=(--user "$REDIS_USER")
    ((REDIS_TLS)) && args+=(--tls)
    local -a auth=()
    [[ -n $REDIS_PASSWORD ]] && auth=(env "REDISCLI_AUTH=$REDIS_PASSWORD")
    local out
    out=$("${auth[@]}" timeout 3 redis-cli "${args[@]}" ping 2>/dev/null) || return 1
    [[ $out == PONG ]]
  else
    ((REDIS_TLS)) && return 1 # no TLS over /dev/tcp
    # shellcheck disable=SC2016  # expanded by the inner bash
    LC_ALL=C timeout 3 bash -c '
      exec 3<>"/dev/tcp/$1/$2" || exit 1
      if [[ -n $3 ]]; then
        if [[ -n $4 ]]; then
          printf "*3\r\n\$4\r\nAUTH\r\n\$%d\r\n%s\r\n\$%d\r\n%s\r\n" "${#4}" "$4" "${#3}" "$3" >&3
        else
          printf "*2\r\n\$4\r\nAUTH\r\n\$%d\r\n%s\r\n" "${#3}" "$3" >&3
        fi
        # Like redis-cli, carry on whatever AUTH says: the PING below decides.
        IFS= read -r line <&3 || exit 1
      fi
      printf "PING\r\n" >&3
      IFS= read -r line <&3 || exit 1
      [[ $line == +PONG* ]]
    ' _ "$REDIS_HOST" "$REDIS_PORT" "$REDIS_PASSWORD" "$REDIS_USER" 2>/dev/null
  fi
}

# questdb_answers: true if QuestDB's HTTP /ping returns 204, a SELECT 1 through /exec succeeds,
# and the PostgreSQL wire port accepts connections.
questdb_answers() {
  command -v curl >/dev/null 2>&1 || return 1
  local code
  code=$(curl -s --noproxy '*' --max-time 2 -o /dev/null -w '%{http_code}' "$QUESTDB_HTTP_URL/ping" 2>/dev/null) || return 1
  [[ $code == 204 ]] || return 1
  curl -fsS --noproxy '*' --max-time 5 --get --data-urlencode 'query=SELECT 1' "$QUESTDB_HTTP_URL/exec" >/dev/null 2>&1 || return 1
  port_open "$QUESTDB_PG_HOST" "$QUESTDB_PG_PORT"
}

# --- processes and packages ------------------------------------------------------------------

# pid_alive PID: true if PID is a running (non-zombie) process.
pid_alive() {
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $state != Z* ]]
}

# pid_cmdline PID: the process's command line, arguments separated by single spaces
# (redis-server pads its rewritten process title, hence the squeezing).
pid_cmdline() {
  local cmd=
  if [[ -r /proc/$1/cmdline ]]; then
    cmd=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || true
  else
    cmd=$(ps -o args= -p "$1" 2>/dev/null) || true
  fi
  cmd=$(tr -s ' ' <<<"$cmd")
  printf '%s' "${cmd% }"
}

# read_pidfile FILE: prints the pid stored in FILE (empty if missing or malformed).
read_pidfile() {
  local pid=
  if [[ -f $1 ]]; then read -r pid <"$1" 2>/dev/null || true; fi
  [[ $pid =~ ^[0-9]+$ ]] && printf '%s' "$pid"
  return 0
}

# tail_file FILE [LINES]: prints the last lines of FILE to stderr, framed, if it exists.
tail_file() {
  local file=$1 lines=${2:-40}
  if [[ -s $file ]]; then
    printf '[services] ---- last %s lines of %s ----\n' "$lines" "$file" >&2
    tail -n "$lines" "$file" >&2 || true
    printf '[services] ----\n' >&2
  else
    printf '[services] (%s is missing or empty)\n' "$file" >&2
  fi
}

# ensure_command CMD APT_PACKAGE: makes CMD available. Installs APT_PACKAGE with apt-get when
# running as root, otherwise dies printing the command to run.
ensure_command() {
  local cmd=$1 pkg=$2
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if [[ $(id -u) -ne 0 ]]; then
    die "'$cmd' is not installed. Install it with: sudo apt-get install -y $pkg"
  fi
  command -v apt-get >/dev/null 2>&1 || die "'$cmd' is not installed and apt-get is not available; install package '$pkg' by hand"
  log "'$cmd' not found; installing package '$pkg' with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq "$pkg" || die "apt-get install -y $pkg failed"
  hash -r
  command -v "$cmd" >/dev/null 2>&1 || die "installed '$pkg' but '$cmd' is still not on PATH"
}
