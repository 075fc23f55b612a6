#!/usr/bin/env bash
# Throwaway PostgreSQL for Bancone's tests: a fresh cluster from Debian's binaries in a temp
# directory, trust auth on 127.0.0.1 only, a free port, fsync off. Not for data you want to keep.
#
#   deploy/local/postgres.sh start    # prints an admin URL postgresql://postgres@127.0.0.1:PORT/postgres
#   deploy/local/postgres.sh stop     # stops the server and deletes the cluster
#   deploy/local/postgres.sh status   # exit 0 and the URL when running, 3 when not
#
# BANCONE_TEST_POSTGRES_URL set -> that server is used, nothing is started or stopped.
# BANCONE_POSTGRES_DIR          -> state dir (default <repo>/.bancone/postgres) holding the
#                                  `url`, `port` and `datadir` files; the cluster itself lives
#                                  in a temp dir owned by the `postgres` user (it refuses root).
# Progress goes to stderr; stdout carries only the URL.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
STATE="${BANCONE_POSTGRES_DIR:-$REPO/.bancone/postgres}"

say() { echo "[postgres] $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

find_bin() {
  local d
  d="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1 || true)"
  [[ -n "$d" && -x "$d/initdb" ]] && echo "$d"
}

ensure_bin() {
  local bin
  bin="$(find_bin || true)"
  if [[ -z "$bin" ]]; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
      say "PostgreSQL binaries missing: apt-get install -y postgresql (one-off, ~1 min)"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
      bin="$(find_bin || true)"
    fi
    [[ -n "$bin" ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin:
        install them (Debian/Ubuntu: apt-get install -y postgresql)
        or set BANCONE_TEST_POSTGRES_URL to a server you run."
  fi
  echo "$bin"
}

# PostgreSQL refuses to run as root: as root, run its tools as the `postgres` system user.
as_pg() {
  if [[ "$(id -u)" == 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

running() {
  [[ -f "$STATE/datadir" && -f "$STATE/bin" ]] || return 1
  local data bin
  data="$(cat "$STATE/datadir")"
  bin="$(cat "$STATE/bin")"
  [[ -d "$data" ]] && as_pg "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1
}

start() {
  if [[ -n "${BANCONE_TEST_POSTGRES_URL:-}" ]]; then
    say "using BANCONE_TEST_POSTGRES_URL (nothing started)"
    echo "$BANCONE_TEST_POSTGRES_URL"
    return
  fi
  if running; then
    say "already running ($(cat "$STATE/datadir"))"
    cat "$STATE/url"
    return
  fi
  cleanup_stale
  local t0=$SECONDS bin data port
  bin="$(ensure_bin)"
  if [[ "$(id -u)" == 0 ]] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
  mkdir -p "$STATE"
  data="$(mktemp -d "${TMPDIR:-/tmp}/bancone-pg.XXXXXX")"
  chmod 700 "$data"
  [[ "$(id -u)" == 0 ]] && chown postgres: "$data"
  echo "$data" >"$STATE/tmpdir"
  echo "$data/db" >"$STATE/datadir"
  echo "$bin" >"$STATE/bin"
  port="$(free_port)"

  say "initdb $("$bin/postgres" --version | awk '{print $3}') in $data"
  as_pg "$bin/initdb" -D "$data/db" -U postgres -A trust -E UTF8 --locale=C --no-sync \
    >"$STATE/initdb.log" 2>&1 || { cat "$STATE/initdb.log" >&2; die "initdb failed"; }
  as_pg tee -a "$data/db/postgresql.conf" >/dev/null <<EOF
# deploy/local/postgres.sh: throwaway test cluster, speed over durability.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$data'
max_connections = 200
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
logging_collector = off
EOF
  as_pg tee "$data/db/pg_hba.conf" >/dev/null <<'EOF'
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust
host    all       all   127.0.0.1/32   trust
EOF
  say "starting on 127.0.0.1:$port"
  # 9>&-: the server must not inherit (and hold) the start/stop lock.
  as_pg "$bin/pg_ctl" -D "$data/db" -l "$data/server.log" -w -t 60 start >/dev/null 9>&- \
    || { tail -n 30 "$data/server.log" >&2; die "pg_ctl start failed"; }
  local deadline=$((SECONDS + 60))
  until "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; do
    ((SECONDS > deadline)) && die "server did not accept connections within 60s"
    sleep 0.2
  done
  echo "$port" >"$STATE/port"
  echo "postgresql://postgres@127.0.0.1:$port/postgres" >"$STATE/url"
  say "ready in $((SECONDS - t0))s (logs: $data/server.log)"
  cat "$STATE/url"
}

# A recorded cluster that is not running (crash, reboot): delete it.
cleanup_stale() {
  [[ -f "$STATE/tmpdir" ]] && rm -rf "$(cat "$STATE/tmpdir")"
  rm -f "$STATE/datadir" "$STATE/tmpdir" "$STATE/url" "$STATE/port"
}

stop() {
  if [[ -n "${BANCONE_TEST_POSTGRES_URL:-}" && ! -f "$STATE/datadir" ]]; then
    say "external server (BANCONE_TEST_POSTGRES_URL): nothing to stop"
    return
  fi
  if running; then
    say "stopping and deleting $(cat "$STATE/tmpdir" 2>/dev/null || cat "$STATE/datadir")"
    as_pg "$(cat "$STATE/bin")/pg_ctl" -D "$(cat "$STATE/datadir")" -m fast -w -t 60 stop \
      >/dev/null || say "pg_ctl stop failed"
  else
    say "not running"
  fi
  cleanup_stale
}

status() {
  if [[ -n "${BANCONE_TEST_POSTGRES_URL:-}" ]]; then
    echo "$BANCONE_TEST_POSTGRES_URL"
    return 0
  fi
  if running; then
    say "running ($(cat "$STATE/datadir"))"
    cat "$STATE/url"
    return 0
  fi
  say "not running"
  return 3
}

# One start/stop at a time per state dir: concurrent callers (two pytest sessions, make run and
# a test run) queue here instead of formatting or deleting each other's data.
locked() {
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  flock -w 300 9 || die "another start/stop holds $STATE/.lock"
  "$@"
}

case "${1:-}" in
  start) locked start ;;
  stop) locked stop ;;
  status) status ;;
  *) echo "usage: $0 {start|stop|status}" >&2; exit 2 ;;
esac
