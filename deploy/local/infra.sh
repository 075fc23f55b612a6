#!/usr/bin/env bash
# Bring Bancone's local infrastructure up or down and record where it is.
#
#   deploy/local/infra.sh up [all|kafka|postgres]   # default all
#   deploy/local/infra.sh down
#
# `up` starts Apache Kafka (deploy/local/kafka.sh), creates every contract topic, starts the
# throwaway PostgreSQL (deploy/local/postgres.sh), and writes .bancone/infra.env:
#   KAFKA_BOOTSTRAP_SERVERS=host:port
#   BANCONE_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:PORT/postgres
# Source it (`set -a; . .bancone/infra.env; set +a`) so tests and services find both.
# BANCONE_ALLOW_TANSU=1 (never for tests): without Java, fall back to the in-memory
# tansu broker (deploy/local/tansu.sh) instead of failing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
STATE="${BANCONE_STATE_DIR:-$REPO/.bancone}"
ENV_FILE="$STATE/infra.env"

say() { echo "[infra] $*" >&2; }

kafka_up() {
  local bootstrap flavour
  if [[ -z "${KAFKA_BOOTSTRAP_SERVERS:-}" && "${BANCONE_ALLOW_TANSU:-0}" == 1 ]] \
    && ! { command -v java && command -v mvn; } >/dev/null 2>&1; then
    say "java/mvn missing: falling back to tansu, an IN-MEMORY, NON-DURABLE broker (make run only)."
    say "install openjdk-17-jre-headless and maven to run on Apache Kafka instead."
    bootstrap="$(bash "$HERE/tansu.sh" start)"
    flavour=tansu-memory
  else
    say "Kafka: deploy/local/kafka.sh start"
    bootstrap="$(bash "$HERE/kafka.sh" start)"
    flavour=apache-kafka
  fi
  say "Kafka topics: deploy/local/create_topics.py"
  (cd "$REPO" && uv run --frozen python deploy/local/create_topics.py --bootstrap "$bootstrap")
  {
    echo "KAFKA_BOOTSTRAP_SERVERS=$bootstrap"
    echo "BANCONE_KAFKA_FLAVOUR=$flavour"
  } >>"$ENV_FILE.tmp"
}

postgres_up() {
  say "PostgreSQL: deploy/local/postgres.sh start"
  echo "BANCONE_TEST_POSTGRES_URL=$(bash "$HERE/postgres.sh" start)" >>"$ENV_FILE.tmp"
}

up() {
  local what="${1:-all}" t0=$SECONDS
  mkdir -p "$STATE"
  : >"$ENV_FILE.tmp"
  case "$what" in
    all) kafka_up; postgres_up ;;
    kafka) kafka_up ;;
    postgres) postgres_up ;;
    *) echo "usage: $0 up [all|kafka|postgres]" >&2; exit 2 ;;
  esac
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  say "up in $((SECONDS - t0))s; wrote $ENV_FILE:"
  sed 's/^/    /' "$ENV_FILE" >&2
}

down() {
  # Stop what the scripts started, whatever the caller's environment points at.
  say "stopping local Kafka, tansu and PostgreSQL (whichever run)"
  env -u KAFKA_BOOTSTRAP_SERVERS bash "$HERE/kafka.sh" stop || true
  bash "$HERE/tansu.sh" stop || true
  env -u BANCONE_TEST_POSTGRES_URL bash "$HERE/postgres.sh" stop || true
  rm -f "$ENV_FILE" "$ENV_FILE.tmp"
}

case "${1:-}" in
  up) up "${2:-all}" ;;
  down) down ;;
  *) echo "usage: $0 {up [all|kafka|postgres]|down}" >&2; exit 2 ;;
esac
