#!/usr/bin/env bash
# `make run`: Kafka plus the five Bancone services as separate processes, in the foreground.
# Ctrl-C (or any service exiting) stops every service and the broker.
#
# Services use their SQLite defaults (.bancone/data/<service>.sqlite), migrated on start, and
# listen on their default ports (gateway 8080, catalog 8081, ingest 8082, agent 8083,
# notifier 8084). Without Java the broker is tansu: in memory only, idempotence switched off.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO" || exit 1
SERVICES=(gateway catalog ingest agent notifier)
pids=()

# shellcheck disable=SC2317  # called by trap
stop_all() {
  trap - EXIT INT TERM
  echo "==> stopping services: ${SERVICES[*]}"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "==> infra down"
  bash "$HERE/infra.sh" down
}
trap stop_all EXIT
trap 'echo "==> interrupted"; exit 130' INT TERM

echo "==> infra up: Kafka only (services use SQLite by default)"
BANCONE_ALLOW_TANSU=1 bash "$HERE/infra.sh" up kafka || exit 1
set -a
# shellcheck disable=SC1091
. "$REPO/.bancone/infra.env"
set +a
if [[ "${BANCONE_KAFKA_FLAVOUR:-}" == tansu-memory ]]; then
  echo "==> WARNING: tansu broker: events are kept in memory only; idempotent producers off"
  for svc in "${SERVICES[@]}"; do export "BANCONE_${svc^^}_KAFKA_IDEMPOTENCE=false"; done
fi
mkdir -p .bancone/data

for svc in "${SERVICES[@]}"; do
  echo "==> starting bancone-$svc serve --migrate"
  uv run --frozen "bancone-$svc" serve --migrate &
  pids+=($!)
done
echo "==> running; Ctrl-C stops everything"
wait -n "${pids[@]}"
rc=$?
echo "==> a service exited (status $rc); stopping everything"
exit "$rc"
