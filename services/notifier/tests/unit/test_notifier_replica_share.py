"""Each replica's share of a tier: the shares of the live replicas add up to the tier, a join
never raises anyone's share (so a replica that has not yet heard of it stays within bounds), a
newcomer waits until the others have made room, and a replica cut off from the roster stops."""

from __future__ import annotations

import itertools

import pytest

from bancone_notifier.domain.replica_share import (
    NEVER,
    ReplicaShare,
    RosterTiming,
    share_of,
)

pytestmark = pytest.mark.unit

TIMING = RosterTiming(heartbeat_seconds=1.0)


@pytest.mark.parametrize("cap", [1, 2, 7, 29, 30, 80, 1000])
def test_the_shares_of_the_live_replicas_add_up_to_the_tier(cap: int) -> None:
    for replicas in range(1, 7):
        shares = [share_of(cap, replicas, ordinal) for ordinal in range(replicas)]
        assert sum(shares) == cap
        assert max(shares) - min(shares) <= 1


@pytest.mark.parametrize("cap", [1, 5, 29, 80])
def test_a_join_lowers_or_keeps_every_share_so_any_mix_of_old_and_new_views_fits(
    cap: int,
) -> None:
    """While some replicas still count the roster before a join and others after it, the
    shares in use together never pass the cap (the newcomer itself is not sending yet)."""
    for before in range(1, 5):
        for newcomer_at in range(before + 1):  # where the newcomer's id sorts
            old = [share_of(cap, before, ordinal) for ordinal in range(before)]
            new = [
                share_of(cap, before + 1, ordinal + (ordinal >= newcomer_at))
                for ordinal in range(before)
            ]
            assert all(n <= o for n, o in zip(new, old, strict=True))
            for mix in itertools.product(*zip(old, new, strict=True)):
                assert sum(mix) <= cap


def test_a_replica_alone_sends_at_once_and_takes_the_whole_tier() -> None:
    share = ReplicaShare("b", TIMING)
    assert share.share(80, 100.0) == 0, "no heartbeat yet"
    share.beaten(100.0, ["b"])
    assert share.ready_at(100.0) == 100.0
    assert share.share(80, 100.0) == 80


def test_a_newcomer_beside_others_waits_until_they_made_room_then_takes_its_part() -> None:
    share = ReplicaShare("b", TIMING)
    share.beaten(100.0, ["a", "b", "c"])
    assert share.ready_at(100.5) == 100.0 + TIMING.join_delay
    assert share.share(80, 100.5) == 0
    share.beaten(101.0, ["a", "b", "c"])
    share.beaten(102.0, ["a", "b", "c"])
    assert share.share(80, 103.0) == 27, "ordinal 1 of 3: ceil(79 / 3)"
    share.beaten(103.0, ["b", "c"])  # `a` left: its share is freed at once
    assert share.share(80, 103.0) == 40


def test_a_replica_whose_heartbeats_fail_stops_before_the_others_take_its_share() -> None:
    share = ReplicaShare("a", TIMING)
    for at in (100.0, 101.0, 102.0, 103.0):
        share.beaten(at, ["a", "b"])
    assert share.share(80, 105.9) == 40
    assert share.ready_at(106.1) == NEVER, "3 s without a beat: fenced"
    assert TIMING.fence_after < TIMING.expiry, "fenced before the others drop its row"
    share.beaten(110.0, ["a", "b"])
    assert share.share(80, 110.0) == 0, "back beside others: waits as a newcomer"
    assert share.share(80, 110.0 + TIMING.join_delay) == 40


def test_a_heartbeat_must_be_positive_and_the_ordinal_one_of_the_replicas() -> None:
    with pytest.raises(ValueError, match="heartbeat"):
        RosterTiming(heartbeat_seconds=0)
    with pytest.raises(ValueError, match="ordinal"):
        share_of(80, 2, 2)
    assert share_of(1, 2, 1) == 0, "more replicas than the tier's sends: the later ones hold"
