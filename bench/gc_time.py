"""Time each service spent in Python's garbage collector, from its `/metrics`
(`bancone_gc_pause_seconds`, kit `gc_pauses`): read before and after a run, the difference is
the collector's share of that run, beside the CPU seconds read from /proc."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bancone_devstack.launcher.services import AGENT, CATALOG, GATEWAY, INGEST, NOTIFIER
from bancone_devstack.ports import offset_port

SERVICES = (GATEWAY, CATALOG, INGEST, AGENT, NOTIFIER)

GcTotals = dict[str, tuple[float, float, float]]
"""Per service: seconds in all collections, seconds in full (generation 2) ones, full ones."""


async def gc_totals(client: httpx.AsyncClient, port_offset: int) -> GcTotals:
    """Each reachable service's collector totals so far (a service that does not answer is
    left out rather than failing the bench)."""
    totals: GcTotals = {}
    for service in SERVICES:
        url = f"http://127.0.0.1:{offset_port(service.default_port, port_offset)}/metrics"
        try:
            text = (await client.get(url, timeout=5.0)).text
        except httpx.HTTPError:
            continue
        seconds = full_seconds = full_count = 0.0
        for family in text_string_to_metric_families(text):
            if family.name != "bancone_gc_pause_seconds":
                continue
            for sample in family.samples:
                full = sample.labels.get("generation") == "2"
                if sample.name.endswith("_sum"):
                    seconds += sample.value
                    full_seconds += sample.value if full else 0.0
                elif sample.name.endswith("_count") and full:
                    full_count += sample.value
        totals[service.name] = (seconds, full_seconds, full_count)
    return totals


def gc_spent(before: GcTotals, after: GcTotals) -> GcTotals:
    return {
        name: tuple(a - b for a, b in zip(after[name], before[name], strict=True))  # type: ignore[misc]
        for name in after
        if name in before
    }
