"""The fault matrix's schedule: every fault of the issue, once, in order, the soak last, and
the sizes of the full and the quick run."""

from __future__ import annotations

import pytest

from bench.faults.injectors import faults
from bench.faults.schedule import FAULTS, FULL, QUICK, SOAK, plan

pytestmark = pytest.mark.unit


def test_the_full_run_has_every_fault_once_then_a_ten_thousand_message_soak() -> None:
    phases = plan(FULL)
    assert [p.name for p in phases] == [*FAULTS, SOAK]
    assert phases[-1].messages == 10_000
    assert phases[-1].lead == phases[-1].messages  # the soak injects nothing
    for p in phases[:-1]:
        assert 0 < p.lead < p.messages  # load before and after each fault


def test_the_quick_run_is_smaller_in_every_phase() -> None:
    for quick, full in zip(plan(QUICK), plan(FULL), strict=True):
        assert quick.name == full.name
        assert quick.messages < full.messages


def test_only_picks_phases_by_part_of_their_name() -> None:
    names = [p.name for p in plan(QUICK, ("kafka", "SOAK"))]
    assert names == ["Kafka broker restart", "Kafka paused while Meta delivers", SOAK]


def test_every_phase_has_an_injector() -> None:
    assert set(faults(hold=1.0)) == {*FAULTS, SOAK}
    assert faults(hold=1.0)["webhook delivered 3 times"].copies == 3
