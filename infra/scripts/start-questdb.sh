#!/usr/bin/env bash
# Makes sure a QuestDB answers at QUESTDB_HTTP (default 127.0.0.1:9000) and QUESTDB_PG
# (default 127.0.0.1:8812). Uses a QuestDB that already answers; otherwise, for loopback hosts
# only, runs the org.questdb:questdb jar from Maven Central (cached in .cache/questdb) on the
# newest suitable JDK, data in .data/questdb, pid in .data/run/questdb.pid so that
# stop-services.sh stops it (and only it) later.
#
# QUESTDB_VERSION overrides the pinned version below. Do not keep it exported in the shell that
# runs the services: config.ts rejects unknown QUESTDB_* variables.
set -euo pipefail

# shellcheck source=lib.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Newest org.questdb:questdb that Maven Central serves here (9.4+/10.x are not served).
QUESTDB_VERSION=${QUESTDB_VERSION:-9.3.4}
# QuestDB stores what the collector captured; on a machine it shares with the observed services it
# yields the CPU to them (nice 10) and catches up when they are idle.
QUESTDB_NICE=${QUESTDB_NICE:-10}
readonly START_TIMEOUT_S=90
readonly PREFERRED_JAVA=25

pidfile=$RUN_DIR/questdb.pid
qdb_root=$DATA_DIR/questdb
qdb_stdout=$qdb_root/stdout.log
jar_dir=$CACHE_DIR/questdb
jar=$jar_dir/questdb-$QUESTDB_VERSION.jar
where="http $QUESTDB_HTTP_HOST:$QUESTDB_HTTP_PORT, pg $QUESTDB_PG_HOST:$QUESTDB_PG_PORT"

ensure_command curl curl

# --jar-only: make sure the jar is cached and print its path; start nothing (the tests' private
# QuestDB uses it even when a QuestDB already answers here).
jar_only=false
[[ ${1:-} == --jar-only ]] && jar_only=true

if ! $jar_only && questdb_answers; then
  log "using QuestDB at $where"
  exit 0
fi

if ! $jar_only; then

for host in "$QUESTDB_HTTP_HOST" "$QUESTDB_PG_HOST"; do
  is_local_host "$host" || die "QuestDB at $where does not answer; start it, or point QUESTDB_HTTP/QUESTDB_PG at a QuestDB that runs"
  [[ $host == ::1 ]] && die "QuestDB does not answer at $where; start-questdb.sh binds IPv4 only, use 127.0.0.1 instead of ::1"
done
# QuestDB wants an IP address to bind to.
bind_http_host=$QUESTDB_HTTP_HOST
bind_pg_host=$QUESTDB_PG_HOST
[[ $bind_http_host == localhost ]] && bind_http_host=127.0.0.1
[[ $bind_pg_host == localhost ]] && bind_pg_host=127.0.0.1

for hp in "$QUESTDB_HTTP_HOST:$QUESTDB_HTTP_PORT" "$QUESTDB_PG_HOST:$QUESTDB_PG_PORT"; do
  if port_open "${hp%:*}" "${hp##*:}"; then
    die "QuestDB does not answer at $where, but something already listens on $hp (another service, or a QuestDB still starting); free the port or point QUESTDB_HTTP/QUESTDB_PG elsewhere"
  fi
done

old_pid=$(read_pidfile "$pidfile")
if [[ -n $old_pid ]] && pid_alive "$old_pid" && [[ $(pid_cmdline "$old_pid") == *io.questdb* ]]; then
  die "a QuestDB started by these scripts is still running (pid $old_pid) but does not answer at $where; run infra/scripts/stop-services.sh first"
fi
rm -f "$pidfile" # stale
fi

# --- the jar -----------------------------------------------------------------------------------

[[ $QUESTDB_VERSION =~ ^[0-9]+(\.[0-9]+)*$ ]] || die "QUESTDB_VERSION must look like 9.3.4, got '$QUESTDB_VERSION'"
ensure_command unzip unzip

# is_zip FILE: non-empty and starts with the zip local-file-header magic "PK\3\4".
is_zip() {
  [[ -s $1 ]] && [[ $(od -An -tx1 -N4 "$1" | tr -d ' \n') == 504b0304 ]]
}

# strip_ansi: copies stdin to stderr without colour escapes (Debian's Maven emits them even with -B).
strip_ansi() {
  sed -u 's/\x1b\[[0-9;]*m//g' >&2
}

download_jar() {
  ensure_command mvn maven
  local tmp=$jar_dir/.download.$$
  rm -rf "$tmp"
  mkdir -p "$tmp"
  log "downloading org.questdb:questdb:$QUESTDB_VERSION with Maven into $jar_dir"
  # Run Maven in an empty directory so that no pom.xml around us gets involved.
  if ! (cd "$tmp" && mvn -B -q dependency:copy \
    -Dartifact="org.questdb:questdb:$QUESTDB_VERSION" \
    -DoutputDirectory="$tmp" -Dtransitive=false 2>&1 | strip_ansi); then
    log "mvn dependency:copy failed; trying mvn dependency:get"
    local m2=${HOME}/.m2/repository/org/questdb/questdb/$QUESTDB_VERSION/questdb-$QUESTDB_VERSION.jar
    if ! (cd "$tmp" && mvn -B -q dependency:get \
      -Dartifact="org.questdb:questdb:$QUESTDB_VERSION" -Dtransitive=false 2>&1 | strip_ansi) || [[ ! -f $m2 ]]; then
      rm -rf "$tmp"
      die "could not download org.questdb:questdb:$QUESTDB_VERSION from Maven Central (is that version published? is the network up?)"
    fi
    cp "$m2" "$tmp/"
  fi
  local got=$tmp/questdb-$QUESTDB_VERSION.jar
  if ! is_zip "$got" || ! unzip -tqq "$got" >/dev/null 2>&1; then
    rm -rf "$tmp"
    die "downloaded $got is not a valid jar"
  fi
  mv -f "$got" "$jar"
  rm -rf "$tmp"
}

mkdir -p "$jar_dir"
if [[ -f $jar ]] && ! is_zip "$jar"; then
  log "cached $jar is not a zip; downloading it again"
  rm -f "$jar"
fi
[[ -f $jar ]] || download_jar
if $jar_only; then
  printf '%s\n' "$jar"
  exit 0
fi

# Class-file major version of the server's main class: 61 = Java 17, 69 = Java 25.
class_major=$(od -An -tu1 -j6 -N2 < <(unzip -p "$jar" io/questdb/ServerMain.class 2>/dev/null) | awk '{ print $1 * 256 + $2 }')
if [[ ! $class_major =~ ^[0-9]+$ ]] || ((class_major < 45)); then
  die "cannot read io/questdb/ServerMain.class from $jar; delete it and retry"
fi
required_java=$((class_major - 44))

# --- the JDK -----------------------------------------------------------------------------------

# java_major JAVA: prints the major version of that java binary (8 for "1.8.0_x"), or fails.
java_major() {
  local out line version
  out=$("$1" -version 2>&1) || return 1
  line=$(grep -m1 -E 'version "' <<<"$out") || return 1
  version=${line#*version \"}
  version=${version%%\"*}
  [[ $version == 1.* ]] && version=${version#1.}
  version=${version%%[!0-9]*}
  [[ -n $version ]] || return 1
  printf '%s' "$version"
}

candidates=()
[[ -n ${JAVA_HOME:-} ]] && candidates+=("$JAVA_HOME/bin/java")
for j in /usr/lib/jvm/*/bin/java; do candidates+=("$j"); done
if command -v java >/dev/null 2>&1; then candidates+=("$(command -v java)"); fi

java_bin=
java_ver=0
found=()
declare -A seen=()
for j in "${candidates[@]}"; do
  [[ -x $j ]] || continue
  real=$(readlink -f "$j")
  [[ -n ${seen[$real]:-} ]] && continue
  seen[$real]=1
  v=$(java_major "$j") || continue
  found+=("$j (Java $v)")
  # The first candidate wins ties, so JAVA_HOME is preferred among equally new JDKs.
  if ((v >= required_java && v > java_ver)); then
    java_bin=$j
    java_ver=$v
  fi
done
if [[ -z $java_bin ]]; then
  want=$((required_java > PREFERRED_JAVA ? required_java : PREFERRED_JAVA))
  found_list=$(IFS=,; printf '%s' "${found[*]:-no java at all}")
  die "QuestDB $QUESTDB_VERSION needs Java >= $required_java (Java $PREFERRED_JAVA+ preferred); found: ${found_list//,/, }. Install Temurin $want: /usr/lib/jvm/temurin-$want-jdk-amd64 expected (or set JAVA_HOME)"
fi
if ((java_ver < PREFERRED_JAVA)); then
  log "note: using Java $java_ver; Java $PREFERRED_JAVA (e.g. Temurin at /usr/lib/jvm/temurin-$PREFERRED_JAVA-jdk-amd64) is preferred"
fi

# --- start -------------------------------------------------------------------------------------

mkdir -p "$qdb_root/tmp" "$qdb_root/conf" "$RUN_DIR"
# Our settings, sized for a small shared machine and measured (see the file's comments).
cp "$ROOT/infra/questdb/server.conf" "$qdb_root/conf/server.conf"
cp "$ROOT/infra/questdb/log.conf" "$qdb_root/conf/log.conf"

# QuestDB maps every column file of every partition it touches: the kernel's default limit of
# 65,530 mappings per process ran out after an afternoon of test runs into one QuestDB here
# (65,498 mappings; then "could not mmap column" errno 12 and a suspended job_events table).
# QuestDB recommends 1,048,576 (notes/questdb-k6-facts.md). A sysctl: root only.
readonly MAX_MAP_COUNT=1048576
map_count=$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo "$MAX_MAP_COUNT")
if ((map_count < MAX_MAP_COUNT)); then
  if [[ $(id -u) -eq 0 ]] && echo "$MAX_MAP_COUNT" >/proc/sys/vm/max_map_count 2>/dev/null; then
    log "raised vm.max_map_count from $map_count to $MAX_MAP_COUNT (QuestDB maps each column file)"
  else
    log "warning: vm.max_map_count is $map_count; QuestDB recommends $MAX_MAP_COUNT (sudo sysctl -w vm.max_map_count=$MAX_MAP_COUNT), or a long-lived QuestDB may fail with 'could not mmap'"
  fi
fi

jvm_flags=(
  -Xms256m -Xmx2g -XX:+UseParallelGC
  "-XX:ErrorFile=$qdb_root/hs_err_pid%p.log"
  "-Djava.io.tmpdir=$qdb_root/tmp"
)
((java_ver >= 24)) && jvm_flags+=(--sun-misc-unsafe-memory-access=allow)
jvm_flags+=(
  --enable-native-access=io.questdb
  --add-opens=java.base/java.lang=io.questdb
  --add-opens=java.base/java.lang.reflect=io.questdb
  --add-opens=java.base/java.nio=io.questdb
  --add-opens=java.base/java.time.zone=io.questdb
  --add-exports=java.base/jdk.internal.vm=io.questdb
  -p "$jar" -m io.questdb/io.questdb.ServerMain -d "$qdb_root"
)

# setsid: own session, so a Ctrl-C in the terminal that ran us does not reach QuestDB. Started
# from a non-interactive script we are not a process-group leader, so setsid execs in place and
# $! is the java pid (checked below).
#
# On a kernel with autogroup scheduling (most desktops and this CI machine:
# /proc/sys/kernel/sched_autogroup_enabled = 1) CPU is shared between sessions before nice values
# count, so plain nice would not make QuestDB yield: its session's own nice must be set too. That
# is done from inside the new session (/proc/self/autogroup, before exec'ing java): written from
# here instead, it raced with setsid and could nice the caller's session — the benchmark or the
# tests — instead of QuestDB's.
[[ $QUESTDB_NICE =~ ^[0-9]+$ ]] && ((QUESTDB_NICE <= 19)) || die "QUESTDB_NICE must be 0..19, got '$QUESTDB_NICE'"
# shellcheck disable=SC2016 # $1 and $@ belong to the inner shell
in_session=(bash -c '[[ -w /proc/self/autogroup ]] && printf "%s\n" "$1" >/proc/self/autogroup 2>/dev/null; shift; exec "$@"' questdb-launch "$QUESTDB_NICE")
launcher=(nohup)
command -v setsid >/dev/null 2>&1 && launcher=(setsid "${in_session[@]}" nohup)
launcher+=(nice -n "$QUESTDB_NICE")

log "starting QuestDB $QUESTDB_VERSION with $java_bin (Java $java_ver) on $where (data: $qdb_root)"
{
  printf '\n[services] %s starting QuestDB %s with %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$QUESTDB_VERSION" "$java_bin"
} >>"$qdb_stdout"
"${launcher[@]}" env \
  QDB_TELEMETRY_ENABLED=false \
  "QDB_HTTP_NET_BIND_TO=$bind_http_host:$QUESTDB_HTTP_PORT" \
  "QDB_PG_NET_BIND_TO=$bind_pg_host:$QUESTDB_PG_PORT" \
  QDB_LINE_TCP_ENABLED=false \
  QDB_HTTP_MIN_ENABLED=false \
  "$java_bin" "${jvm_flags[@]}" </dev/null >>"$qdb_stdout" 2>&1 &
pid=$!
printf '%s\n' "$pid" >"$pidfile"

show_logs() {
  tail_file "$qdb_stdout" 60
  local f latest=
  for f in "$qdb_root"/log/*; do
    [[ -f $f ]] || continue
    if [[ -z $latest || $f -nt $latest ]]; then latest=$f; fi
  done
  if [[ -n $latest ]]; then tail_file "$latest" 60; fi
}

fail() {
  printf '\n' >&2
  if pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in {1..40}; do pid_alive "$pid" || break; sleep 0.25; done
    if pid_alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$pidfile"
  show_logs
  die "$*"
}

printf '[services] waiting for QuestDB ' >&2
ticks=0
until questdb_answers; do
  pid_alive "$pid" || fail "QuestDB (pid $pid) exited during startup"
  ((ticks >= START_TIMEOUT_S * 4)) && fail "QuestDB did not answer at $where within ${START_TIMEOUT_S}s"
  sleep 0.25
  ticks=$((ticks + 1))
  ((ticks % 4 == 0)) && printf '.' >&2
done
printf ' up after ~%ss\n' "$((ticks / 4))" >&2

if [[ $(pid_cmdline "$pid") != *io.questdb.ServerMain* ]]; then
  log "warning: pid $pid is not the QuestDB java process ($(pid_cmdline "$pid")); stop-services.sh may not find it"
fi
log "started QuestDB at $where (pid $pid; stop it with infra/scripts/stop-services.sh)"
