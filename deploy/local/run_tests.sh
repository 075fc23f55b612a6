#!/usr/bin/env bash
# Run pytest tier by tier on infrastructure started here, and stop it again whatever happens.
#
#   deploy/local/run_tests.sh [TIER...]     # tiers: unit service e2e (default: all three)
#
# Starts Apache Kafka (fresh data) and PostgreSQL with infra.sh, exports .bancone/infra.env,
# runs `uv run pytest -m <tier>` for each tier (a tier without tests is reported, not failed),
# prints a per-tier and a total count, then `infra.sh down` (also on failure or Ctrl-C).
# Extra pytest options: PYTEST_ARGS="-x -vv".
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO" || exit 1
STATE="${BANCONE_STATE_DIR:-$REPO/.bancone}"
TIERS=("$@")
((${#TIERS[@]})) || TIERS=(unit service e2e)
REPORTS="$STATE/reports"

cleanup() {
  echo "==> infra down: stopping the Kafka and PostgreSQL this run started"
  bash "$HERE/infra.sh" down
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "==> infra up: Apache Kafka (KRaft, fresh data) + throwaway PostgreSQL, topics created"
BANCONE_KAFKA_FRESH=1 bash "$HERE/infra.sh" up all || exit 1
set -a
# shellcheck disable=SC1091
. "$STATE/infra.env" || exit 1
set +a

rm -rf "$REPORTS" && mkdir -p "$REPORTS"
failed=()
for tier in "${TIERS[@]}"; do
  echo "==> pytest -m $tier"
  t0=$SECONDS
  # shellcheck disable=SC2086
  uv run --frozen pytest -m "$tier" --junitxml="$REPORTS/$tier.xml" ${PYTEST_ARGS:-}
  rc=$?
  case $rc in
    0) echo "==> $tier: passed in $((SECONDS - t0))s" ;;
    5) echo "==> $tier: no tests in this tier yet"; rm -f "$REPORTS/$tier.xml" ;;
    *) echo "==> $tier: FAILED (pytest exit $rc) in $((SECONDS - t0))s"; failed+=("$tier") ;;
  esac
done

python3 - "$REPORTS" "${TIERS[@]}" <<'PY'
import sys, pathlib, xml.etree.ElementTree as ET
reports, tiers = pathlib.Path(sys.argv[1]), sys.argv[2:]
totals = dict.fromkeys(("passed", "failed", "skipped"), 0)
print("==> summary")
for tier in tiers:
    path = reports / f"{tier}.xml"
    counts = dict.fromkeys(totals, 0)
    if path.exists():
        for suite in ET.parse(path).getroot().iter("testsuite"):
            bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skipped = int(suite.get("skipped", 0))
            counts["failed"] += bad
            counts["skipped"] += skipped
            counts["passed"] += int(suite.get("tests", 0)) - bad - skipped
    for key in totals:
        totals[key] += counts[key]
    print(f"    {tier:8} {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
total = f"total: {totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped"
print(total)
(reports / "total.txt").write_text(total + "\n")
PY

if ((${#failed[@]})); then
  echo "==> FAILED tiers: ${failed[*]}"
  exit 1
fi
