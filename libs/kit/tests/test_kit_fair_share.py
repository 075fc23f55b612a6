"""The fair scheduler: tenants take turns, a key's items stay in order and never run twice."""

from __future__ import annotations

import pytest

from bancone_kit.messaging.fair_share import FairScheduler

pytestmark = pytest.mark.unit


def drain_order(scheduler: FairScheduler[str]) -> list[str]:
    """Run every batch to completion one at a time, in the order the scheduler picks."""
    order = []
    while (picked := scheduler.next_batch(fold=False)) is not None:
        key, batch = picked
        order.extend(batch)
        scheduler.finish(key)
    return order


def test_a_quiet_tenant_is_served_in_the_first_round_behind_a_flood() -> None:
    scheduler: FairScheduler[str] = FairScheduler()
    for n in range(1000):
        scheduler.push("a", f"a:{n % 50}", f"a{n}")
    scheduler.push("b", "b:1", "b0")
    order = drain_order(scheduler)
    assert order.index("b0") == 1, "b is the second tenant of the rotation"
    assert len(order) == 1001


def test_tenants_alternate_while_both_have_work() -> None:
    scheduler: FairScheduler[str] = FairScheduler()
    for n in range(3):
        scheduler.push("a", f"a:{n}", f"a{n}")
        scheduler.push("b", f"b:{n}", f"b{n}")
    assert drain_order(scheduler) == ["a0", "b0", "a1", "b1", "a2", "b2"]


def test_a_key_keeps_its_order_and_is_not_ready_while_running() -> None:
    scheduler: FairScheduler[str] = FairScheduler()
    scheduler.push("a", "a:1", "first")
    scheduler.push("a", "a:1", "second")
    picked = scheduler.next_batch(fold=False)
    assert picked == ("a:1", ["first"])
    assert scheduler.next_batch(fold=False) is None, "the key's second item waits for the first"
    scheduler.push("a", "a:1", "third")
    assert scheduler.next_batch(fold=False) is None
    scheduler.finish("a:1")
    assert scheduler.next_batch(fold=False) == ("a:1", ["second"])
    scheduler.finish("a:1")
    assert scheduler.next_batch(fold=False) == ("a:1", ["third"])
    scheduler.finish("a:1")
    assert scheduler.queued("a:1") == 0
    assert len(scheduler) == 0


def test_fold_takes_every_item_queued_for_the_key_at_pickup() -> None:
    scheduler: FairScheduler[str] = FairScheduler()
    scheduler.push("a", "a:1", "m1")
    assert scheduler.next_batch(fold=True) == ("a:1", ["m1"])
    scheduler.push("a", "a:1", "m2")
    scheduler.push("a", "a:1", "m3")
    assert scheduler.queued("a:1") == 3, "the running item counts until finished"
    scheduler.finish("a:1")
    assert scheduler.next_batch(fold=True) == ("a:1", ["m2", "m3"])


def test_concurrent_slots_go_round_robin_over_tenants() -> None:
    scheduler: FairScheduler[str] = FairScheduler()
    for n in range(10):
        scheduler.push("a", f"a:{n}", f"a{n}")
    for n in range(2):
        scheduler.push("b", f"b:{n}", f"b{n}")
    scheduler.push("c", "c:0", "c0")
    first_four = [scheduler.next_batch(fold=False) for _ in range(4)]
    assert [p[1][0] for p in first_four if p] == ["a0", "b0", "c0", "a1"]


def test_a_tenant_whose_keys_are_all_running_leaves_the_rotation() -> None:
    scheduler: FairScheduler[str] = FairScheduler()
    scheduler.push("a", "a:1", "a0")
    scheduler.push("a", "a:1", "a1")
    assert scheduler.next_batch(fold=False) == ("a:1", ["a0"])
    scheduler.push("b", "b:1", "b0")
    assert scheduler.next_batch(fold=False) == ("b:1", ["b0"])
    assert scheduler.next_batch(fold=False) is None


def test_keys_of_one_tenant_take_turns() -> None:
    scheduler: FairScheduler[str] = FairScheduler()
    for n in range(2):
        scheduler.push("a", "a:x", f"x{n}")
        scheduler.push("a", "a:y", f"y{n}")
    assert drain_order(scheduler) == ["x0", "y0", "x1", "y1"]
