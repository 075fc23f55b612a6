"""A number's throughput tier over HTTP on a real database (PostgreSQL and SQLite): a viewer
reads it, an admin sets it (the pacer books at it from then on), null goes back to the
setting; another tenant's number is 404 for reading and writing and stays unchanged; a tier
outside 1…1000 is 422."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_kit.crypto import Keyring, SecretBox
from bancone_kit.db import create_engine, session_factory
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.messaging.retry import RetryPolicy
from bancone_kit.testing.tokens import TokenSigner, bearer
from bancone_notifier.adapters.pacer import DatabasePacer
from bancone_notifier.deps import NotifierDeps
from bancone_notifier.domain.pacing_slots import PacingLimits
from bancone_notifier.entrypoints.http import build_http_app
from bancone_notifier.handlers import handle_channel_changed
from bancone_notifier.settings import NotifierSettings
from services.notifier.tests.support import EventFactory, FakeClock, FakeGraphApi, new_keyring

pytestmark = pytest.mark.service

DEFAULT_TIER = 80.0


@pytest.fixture(params=["postgres_url", "sqlite_url"])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(request.param))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade_database(database_url, "bancone_notifier.migrations")
    eng = create_engine(database_url)
    yield eng
    await eng.dispose()


@dataclass
class Api:
    http: httpx.AsyncClient
    signer: TokenSigner
    shop: EventFactory
    rival: EventFactory
    deps: NotifierDeps

    def path(self, tenant: EventFactory, number: EventFactory | None = None) -> str:
        tail = f"/{number.phone_number_id}" if number is not None else ""
        return f"/v1/tenants/{tenant.tenant_id}/pacing{tail}"

    def as_(self, tenant: EventFactory, role: str) -> dict[str, str]:
        return bearer(self.signer.operator(tenant.tenant_id, role))


@pytest.fixture
async def api(engine: AsyncEngine) -> AsyncIterator[Api]:
    keyring = new_keyring()
    shop = EventFactory(keyring=keyring, tenant_id=f"s-{uuid.uuid4().hex[:10]}")
    rival = EventFactory(keyring=keyring, tenant_id=f"r-{uuid.uuid4().hex[:10]}")
    deps = NotifierDeps(
        sessions=session_factory(engine),
        graph=FakeGraphApi(),
        channel_box=SecretBox(Keyring.parse(keyring)),
        send_retry=RetryPolicy(attempts=1, initial_delay=0.0, max_delay=0.0),
        pacing_tier_per_second=DEFAULT_TIER,
    )
    for tenant in (shop, rival):
        await handle_channel_changed(tenant.channel(), deps)
    signer = TokenSigner()
    app = signer.install(build_http_app(NotifierSettings(), []), "notifier")
    app.state.deps = deps
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://notifier") as http:
        yield Api(http, signer, shop, rival, deps)


async def test_a_viewer_reads_the_default_and_an_admin_sets_the_numbers_tier(api: Api) -> None:
    viewer, admin = api.as_(api.shop, "viewer"), api.as_(api.shop, "admin")
    number = api.path(api.shop, api.shop)

    before = await api.http.get(number, headers=viewer)
    assert before.status_code == 200, before.text
    assert before.json() == {
        "phone_number_id": api.shop.phone_number_id,
        "tier_per_second": DEFAULT_TIER,
        "own_tier": None,
        "default_tier": DEFAULT_TIER,
    }
    assert (
        await api.http.put(number, json={"tier_per_second": 20}, headers=viewer)
    ).status_code == 403

    changed = await api.http.put(number, json={"tier_per_second": 20}, headers=admin)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["tier_per_second"], changed.json()["own_tier"]) == (20, 20)
    listed = await api.http.get(api.path(api.shop), headers=viewer)
    assert listed.json()["items"] == [changed.json()], "only the shop's own number is listed"

    # the pacer books at the number's tier from its next booking on
    given: list[float | None] = []

    def limits(tier: float | None) -> PacingLimits:
        given.append(tier)
        return PacingLimits(rate_per_second=tier or DEFAULT_TIER)

    pacer = DatabasePacer(api.deps.sessions, limits, clock=FakeClock())
    await pacer.acquire(api.shop.phone_number_id, "393330000001", "reply")
    assert 20.0 in given, given  # (the pair check asks for the limits with None)
    given.clear()

    back = await api.http.put(number, json={"tier_per_second": None}, headers=admin)
    assert (back.json()["tier_per_second"], back.json()["own_tier"]) == (DEFAULT_TIER, None)
    await pacer.acquire(api.shop.phone_number_id, "393330000002", "reply")
    assert given
    assert set(given) == {None}, "null goes back to the setting"


async def test_another_tenants_number_is_404_and_stays_as_it_was(api: Api) -> None:
    admin = api.as_(api.shop, "admin")
    theirs = api.path(api.shop, api.rival)  # the rival's number under the shop's tenant

    assert (await api.http.get(theirs, headers=admin)).status_code == 404
    refused = await api.http.put(theirs, json={"tier_per_second": 1000}, headers=admin)
    assert refused.status_code == 404
    unknown = api.path(api.shop) + "/999999999999"
    assert (
        await api.http.put(unknown, json={"tier_per_second": 80}, headers=admin)
    ).status_code == 404

    rivals = await api.http.get(
        api.path(api.rival, api.rival), headers=api.as_(api.rival, "viewer")
    )
    assert rivals.status_code == 200
    assert rivals.json()["own_tier"] is None
    foreign = await api.http.get(api.path(api.rival, api.rival), headers=admin)
    assert foreign.status_code == 404, "the shop's token does not open the rival's tenant"


@pytest.mark.parametrize("tier", [0, -5, 1001, 80.5, "fast"])
async def test_a_tier_outside_1_to_1000_is_refused(api: Api, tier: object) -> None:
    number = api.path(api.shop, api.shop)
    response = await api.http.put(
        number, json={"tier_per_second": tier}, headers=api.as_(api.shop, "admin")
    )
    assert response.status_code == 422
    current = await api.http.get(number, headers=api.as_(api.shop, "viewer"))
    assert current.json()["own_tier"] is None


@pytest.mark.parametrize("tier", [1, 80, 1000])
async def test_metas_tiers_and_any_whole_rate_up_to_1000_are_accepted(api: Api, tier: int) -> None:
    response = await api.http.put(
        api.path(api.shop, api.shop),
        json={"tier_per_second": tier},
        headers=api.as_(api.shop, "admin"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["own_tier"] == tier
