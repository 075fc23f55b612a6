"""The order desk as a dialog: cart state, references to lines, fingerprints of the summary,
what a confirmation tap places (once, with the quoted prices), and the wording in it/en/es.

The catalog is the spec's stand-in (`support/orders_api.py`) called in process; the products
come from the demo shop through the offline assistant, as in a real conversation."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bancone_agent.domain import ContentKind, OfflineAssistant, Product, Reply, ToolError, Turn
from bancone_agent.domain.assistant import Variant
from bancone_agent.domain.cart import CANCEL_ID, CART_TTL, Cart, CartLine, Fulfilment, Quote
from bancone_agent.domain.cart import fingerprint as fingerprint_of
from bancone_agent.domain.cart_tools import ORDER_TOOL_NAMES, CartSession
from bancone_agent.domain.config import TOOL_NAMES
from bancone_agent.domain.guard import GroundingSources, check_grounding
from bancone_agent.domain.memory import Memory
from bancone_agent.domain.order_phrases import ORDER_PHRASES
from bancone_agent.domain.order_port import NewOrder, OrderView
from bancone_agent.domain.order_reading import CartAction, fulfilment_in, read_order_request
from bancone_agent.domain.ordering import OrderDesk
from bancone_agent.domain.recall import remember_turn
from bancone_agent.domain.tools import TurnTools
from bancone_contracts.events.outbound import INTERACTIVE_BODY_MAX
from services.agent.tests.support.memory_shop import MemoryShopTools, demo_shop
from services.agent.tests.support.orders_api import Item, OrdersStandIn

pytestmark = pytest.mark.unit

TENANT = "enoteca"
CUSTOMER = "393330001122"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Chat:
    """One customer's conversation: each message through the desk, else the assistant."""

    shop: MemoryShopTools
    api: OrdersStandIn
    customer: str = CUSTOMER
    language: str = "it"
    clock: Clock = field(default_factory=Clock)
    memory: Memory = field(default_factory=Memory)
    sent: int = 0
    last: Reply | None = None

    async def say(
        self,
        text: str | None,
        *,
        button: str | None = None,
        kind: ContentKind = ContentKind.TEXT,
        items: tuple[tuple[str, int], ...] = (),
        wamid: str | None = None,
    ) -> Reply:
        self.sent += 1
        turn = Turn(
            tenant_id=TENANT,
            conversation_id="conv-1",
            text=text,
            kind=kind,
            shop_name="Enoteca Prova",
            default_language=self.language,
            memory=self.memory,
            customer_id=self.customer,
            phone_number_id="pn-1",
            message_id=wamid or f"wamid.{self.customer}.{self.sent}",
            button_id=button,
            order_items=items,
        )
        reply = await OrderDesk(self.clock).respond(turn, self.api.tools(TENANT))
        if reply is None:
            reply = await OfflineAssistant().respond(turn, self.shop)
        assert reply is not None
        self.memory = remember_turn(turn, reply, self.clock())
        self.last = reply
        return reply

    async def tap(self, reply: Reply, which: int = 0, *, wamid: str | None = None) -> Reply:
        button = reply.buttons[which]
        return await self.say(
            button.title, button=button.id, kind=ContentKind.INTERACTIVE, wamid=wamid
        )

    @property
    def cart(self) -> Cart:
        assert self.memory.cart is not None
        return self.memory.cart


@pytest.fixture
def shop() -> MemoryShopTools:
    return demo_shop()


@pytest.fixture
def api(shop: MemoryShopTools) -> OrdersStandIn:
    """The catalog's order API over the demo shop's products (same SKUs and prices)."""
    stand_in = OrdersStandIn()
    for p in shop.products:
        stand_in.stock(TENANT, Item(p.sku, p.name, p.price, p.stock, product_id=p.id))
    return stand_in


@pytest.fixture
def chat(shop: MemoryShopTools, api: OrdersStandIn) -> Chat:
    return Chat(shop, api)


def barolo_sku(shop: MemoryShopTools) -> str:
    return next(p.sku for p in shop.products if p.name.startswith("Barolo DOCG 2019"))


async def to_summary(chat: Chat) -> Reply:
    await chat.say("Avete il Barolo?")
    await chat.say("ne prendo due")
    await chat.say("ritiro")
    return await chat.say("Giulia Rossi")


async def test_the_scripted_sale_from_question_to_pay_link(chat: Chat, api: OrdersStandIn) -> None:
    listed = await chat.say("Avete il Barolo?")
    assert "Barolo DOCG 2019" in listed.text
    added = await chat.say("ne prendo due")
    assert "2 x *Barolo DOCG 2019" in added.text
    assert "€ 84,00" in added.text  # 2 x 42,00, from the catalog quote
    assert "ritiro" in added.text
    assert not added.buttons
    asked = await chat.say("ritiro")
    assert asked.text == ORDER_PHRASES["it"].ask_name
    summary = await chat.say("Giulia Rossi")
    assert "Totale: *€ 84,00*" in summary.text
    assert "Giulia Rossi" in summary.text
    assert [b.id for b in summary.buttons] == [
        f"order:confirm:{chat.cart.fingerprint}",
        CANCEL_ID,
    ]
    assert api.placements == []  # nothing is placed before the tap

    assert summary.run is not None
    assert [c.name for c in summary.run.tool_calls] == ["quote_cart"]
    placed = await chat.tap(summary, wamid="wamid.TAP1")
    assert placed.run is not None
    assert placed.run.assistant == "orders"
    assert [(c.name, c.arguments["idempotency_key"]) for c in placed.run.tool_calls] == [
        ("place_order", "wamid.TAP1")
    ]
    assert "A-1042" in placed.text
    assert "€ 84,00" in placed.text
    assert "http://pay.example/payments/pay/pl_A-1042" in placed.text
    held = datetime.fromisoformat(api.orders[TENANT][0]["reserved_until"])
    rome = held.astimezone(ZoneInfo("Europe/Rome")).strftime("%d/%m %H:%M")
    assert f"Teniamo i prodotti da parte fino al {rome}." in placed.text
    assert len(api.placements) == 1
    body = api.placements[0]
    assert body["idempotency_key"] == "wamid.TAP1"
    assert body["lines"] == [
        {"sku": body["lines"][0]["sku"], "quantity": 2, "expected_unit_price": Decimal("42.00")}
    ]
    assert chat.cart.empty
    assert chat.cart.placed is not None


async def test_a_second_tap_on_the_same_summary_places_nothing_more(
    chat: Chat, api: OrdersStandIn
) -> None:
    summary = await to_summary(chat)
    await chat.tap(summary)
    again = await chat.tap(summary)
    assert "A-1042" in again.text
    assert "già" in again.text
    assert len(api.placements) == 1
    assert len(api.orders[TENANT]) == 1


async def test_the_same_tap_recomputed_returns_the_same_order(
    chat: Chat, api: OrdersStandIn
) -> None:
    """A turn computed twice (crash before commit) sends the same idempotency key: the
    catalog returns the order it placed, not a second one."""
    summary = await to_summary(chat)
    before = chat.memory
    first = await chat.tap(summary, wamid="wamid.SAME")
    chat.memory = before
    second = await chat.tap(summary, wamid="wamid.SAME")
    assert first.text == second.text
    assert len(api.orders[TENANT]) == 1
    assert len(api.placements) == 2


async def test_a_tap_on_a_summary_the_cart_has_moved_past_places_nothing(
    chat: Chat, api: OrdersStandIn
) -> None:
    old = await to_summary(chat)
    changed = await chat.say("mettine 3")
    assert "3 x" in changed.text
    assert changed.buttons
    assert changed.buttons[0].id != old.buttons[0].id
    stale = await chat.tap(old)
    assert stale.text.startswith(ORDER_PHRASES["it"].stale)
    assert api.placements == []
    assert stale.buttons
    assert stale.buttons[0].id == f"order:confirm:{chat.cart.fingerprint}"


async def test_a_price_change_before_the_tap_shows_the_new_cart_with_fresh_buttons(
    chat: Chat, api: OrdersStandIn, shop: MemoryShopTools
) -> None:
    summary = await to_summary(chat)
    sku = chat.cart.lines[0].sku
    api.items[TENANT][sku].price = Decimal("45.00")
    answer = await chat.tap(summary)
    assert answer.text.startswith(ORDER_PHRASES["it"].price_changed)
    assert "€ 90,00" in answer.text
    assert api.orders.get(TENANT, []) == []
    assert answer.buttons[0].id != summary.buttons[0].id
    placed = await chat.tap(answer)
    assert "€ 90,00" in placed.text
    assert len(api.orders[TENANT]) == 1


async def test_sold_out_before_the_tap_tells_and_offers_no_confirmation(
    chat: Chat, api: OrdersStandIn
) -> None:
    summary = await to_summary(chat)
    api.items[TENANT][chat.cart.lines[0].sku].stock = 1
    answer = await chat.tap(summary)
    assert answer.text.startswith(ORDER_PHRASES["it"].sold_out)
    assert "ne restano solo 1" in answer.text
    assert not answer.buttons
    assert api.orders.get(TENANT, []) == []


async def test_cancel_empties_the_cart(chat: Chat, api: OrdersStandIn) -> None:
    summary = await to_summary(chat)
    answer = await chat.tap(summary, 1)
    assert answer.text == ORDER_PHRASES["it"].cancelled
    assert chat.cart.empty
    assert api.placements == []
    late = await chat.tap(summary)
    assert late.text == ORDER_PHRASES["it"].nothing_to_confirm
    assert api.placements == []


async def test_an_expired_cart_places_nothing(chat: Chat, api: OrdersStandIn) -> None:
    summary = await to_summary(chat)
    chat.clock.now += CART_TTL + timedelta(minutes=1)
    answer = await chat.tap(summary)
    assert answer.text == ORDER_PHRASES["it"].nothing_to_confirm
    assert api.placements == []


async def test_delivery_asks_for_the_address_one_question_at_a_time(chat: Chat) -> None:
    await chat.say("Avete il Barolo?")
    await chat.say("lo prendo")
    assert chat.cart.lines[0].quantity == 1
    assert (await chat.say("consegna a domicilio")).text == ORDER_PHRASES["it"].ask_name
    assert (await chat.say("Giulia Rossi")).text == ORDER_PHRASES["it"].ask_address
    summary = await chat.say("Via Roma 1, Torino")
    assert "Consegna a Via Roma 1, Torino" in summary.text
    assert summary.buttons
    assert chat.cart.method is Fulfilment.DELIVERY


async def test_english_add_the_red_one_then_view_and_remove(
    shop: MemoryShopTools, api: OrdersStandIn
) -> None:
    chat = Chat(shop, api, language="en")
    listed = await chat.say("red wine under 20 euros")
    assert listed.products_cited
    first = listed.products_cited[0]
    added = await chat.say("add 2 x the first one")
    assert f"2 x *{first.name}*" in added.text
    assert "pick it up" in added.text
    shown = await chat.say("show my cart")
    assert "Your cart:" in shown.text
    assert first.name in shown.text
    removed = await chat.say("remove it")
    assert ORDER_PHRASES["en"].removed in removed.text
    assert chat.cart.empty


async def test_spanish_quiero_dos(shop: MemoryShopTools, api: OrdersStandIn) -> None:
    chat = Chat(shop, api, language="es")
    await chat.say("¿Tenéis Barolo?")
    added = await chat.say("quiero dos")
    assert "2 x *Barolo DOCG 2019" in added.text
    assert "recogerlo" in added.text


async def test_a_wish_naming_something_new_is_a_search_not_an_order(chat: Chat) -> None:
    await chat.say("Avete il Barolo?")
    answer = await chat.say("vorrei un vino bianco")
    assert answer.cart is None
    assert chat.memory.cart is None


@pytest.mark.parametrize("text", ["ne prendo due del primo", "add two of the first",
                                  "me llevo dos del primero", "2 x il primo"])  # fmt: skip
async def test_an_ordinal_picks_the_item_among_several(chat: Chat, text: str) -> None:
    listed = await chat.say("vini rossi sotto 30 euro")
    assert len(listed.products_cited) > 1
    await chat.say(text)
    assert chat.cart.lines == (CartLine(sku=listed.products_cited[0].sku, quantity=2),)


async def test_two_items_shown_and_no_reference_asks_which(
    chat: Chat, shop: MemoryShopTools
) -> None:
    listed = await chat.say("vini rossi sotto 30 euro")
    assert len(listed.products_cited) > 1
    answer = await chat.say("ne prendo due")
    assert answer.text.startswith(ORDER_PHRASES["it"].which_item)
    assert chat.memory.cart is None


async def test_a_whatsapp_cart_becomes_the_cart_and_unknown_skus_are_named(
    chat: Chat, shop: MemoryShopTools
) -> None:
    sku = shop.products[0].sku
    answer = await chat.say(None, kind=ContentKind.ORDER, items=((sku, 2), ("NOPE-1", 1), (sku, 1)))
    assert "NOPE-1" in answer.text
    assert "3 x" in answer.text
    assert chat.cart.lines == (CartLine(sku=sku, quantity=3),)
    assert ORDER_PHRASES["it"].ask_method in answer.text


async def test_where_is_my_order_finds_only_the_customers_own(
    shop: MemoryShopTools, api: OrdersStandIn
) -> None:
    giulia = Chat(shop, api)
    await giulia.tap(await to_summary(giulia))
    api.orders[TENANT][0].update(status="shipped", tracking_code="TRK-99")
    latest = await giulia.say("dov'è il mio ordine?")
    assert "A-1042" in latest.text
    assert "spedito" in latest.text
    assert "TRK-99" in latest.text
    named = await giulia.say("dov'è il mio ordine A-1042?")
    assert "A-1042" in named.text

    other = Chat(shop, api, customer="447700900123", language="en")
    answer = await other.say("where is my order A-1042?")
    assert answer.text == ORDER_PHRASES["en"].order_not_found
    assert (await other.say("where is my order?")).text == ORDER_PHRASES["en"].no_orders
    spanish = Chat(shop, api, customer="34600111222", language="es")
    assert (await spanish.say("¿dónde está mi pedido?")).text == ORDER_PHRASES["es"].no_orders


@pytest.mark.parametrize(
    ("text", "action", "quantity"),
    [
        ("ne prendo due", CartAction.ADD, 2),
        ("lo prendo", CartAction.ADD, None),
        ("add the red one", CartAction.ADD, None),
        ("quiero dos", CartAction.ADD, 2),
        ("2 x il primo", CartAction.ADD, 2),
        ("I'll take three of the second", CartAction.ADD, 3),
        ("togli il Barolo", CartAction.REMOVE, None),
        ("make it 4", CartAction.SET_QUANTITY, 4),
        ("cosa c'è nel carrello?", CartAction.VIEW, None),
        ("vacía el carrito", CartAction.CLEAR, None),
        ("dov'è il mio ordine A-1042?", CartAction.STATUS, None),
        ("¿dónde está mi pedido?", CartAction.STATUS, None),
    ],
)
def test_order_requests_are_read(text: str, action: CartAction, quantity: int | None) -> None:
    request = read_order_request(text)
    assert request is not None
    assert request.action is action
    assert request.quantity == quantity


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("dov'è il mio ordine a-1042?", "A-1042"),
        ("where is order #1042", "#1042"),
        ("estado del pedido 1042", "1042"),
        ("il mio ordine n. 1042?", "1042"),
        ("where is my order?", None),
    ],
)
def test_the_order_number_is_read(text: str, number: str | None) -> None:
    request = read_order_request(text)
    assert request is not None
    assert request.action is CartAction.STATUS
    assert request.order_number == number


@pytest.mark.parametrize(
    "text",
    ["Avete il Barolo?", "quanto costa il primo?", "grazie", "vini rossi sotto 20 euro"],
)
def test_questions_are_not_cart_requests(text: str) -> None:
    assert read_order_request(text) is None


def test_pickup_and_delivery_are_read() -> None:
    assert fulfilment_in("ritiro in negozio") is Fulfilment.PICKUP
    assert fulfilment_in("I'll pick it up") is Fulfilment.PICKUP
    assert fulfilment_in("envío a domicilio") is Fulfilment.DELIVERY
    assert fulfilment_in("consegna o ritiro?") is None


def test_the_fingerprint_changes_with_prices_quantities_and_fulfilment() -> None:
    cart = Cart(lines=(CartLine(sku="A", quantity=2),), method=Fulfilment.PICKUP, name="G")
    quote = Quote.model_validate(
        {
            "lines": [{"sku": "A", "quantity": 2, "unit_price": "10.00", "line_total": "20.00"}],
            "total": "20.00",
        }
    )
    base = fingerprint_of(cart, quote)
    assert base == fingerprint_of(cart, quote)
    dearer = quote.model_copy(
        update={"lines": (quote.lines[0].model_copy(update={"unit_price": Decimal("11")}),)}
    )
    assert fingerprint_of(cart, dearer) != base
    assert fingerprint_of(cart.model_copy(update={"method": Fulfilment.DELIVERY}), quote) != base
    assert fingerprint_of(cart.model_copy(update={"name": "H"}), quote) != base


def test_changing_the_lines_withdraws_the_buttons() -> None:
    now = datetime(2026, 12, 6, tzinfo=UTC)
    cart = Cart(lines=(CartLine(sku="A", quantity=1),), fingerprint="abc", updated_at=now)
    assert cart.add("A", 1, now).fingerprint is None
    assert cart.add("A", 1, now).quantity_of("A") == 2
    assert cart.with_quantity("A", 0, now).empty
    assert cart.add("B", 1, now).lines[-1].sku == "B"


def test_the_cart_survives_the_memory_json_column() -> None:
    now = datetime(2026, 12, 6, tzinfo=UTC)
    cart = Cart(lines=(CartLine(sku="A", quantity=2),), method=Fulfilment.PICKUP, updated_at=now)
    memory = Memory(cart=cart, at=now)
    assert Memory.model_validate(memory.model_dump(mode="json")).cart == cart
    remembered = memory.remember("ciao", "ciao", language="it", at=now)
    assert remembered.cart == cart  # a turn that doesn't touch the cart keeps it


@pytest.mark.parametrize("language", sorted(ORDER_PHRASES))
def test_order_phrases_hold_no_digits(language: str) -> None:
    phrases = ORDER_PHRASES[language]
    texts = [v for v in vars(phrases).values() if isinstance(v, str)]
    texts += [t for v in vars(phrases).values() if isinstance(v, dict) for t in v.values()]
    assert texts
    assert not [t for t in texts if re.search(r"\d", t)]


# -- the model's cart tools --------------------------------------------------------------------


def turn_for(memory: Memory, text: str = "ok") -> Turn:
    return Turn(tenant_id=TENANT, conversation_id="conv-1", text=text, shop_name="Enoteca",
                memory=memory, customer_id=CUSTOMER, message_id="wamid.M")  # fmt: skip


async def test_the_cart_tools_never_place_and_their_quotes_ground_the_total(
    shop: MemoryShopTools, api: OrdersStandIn
) -> None:
    clock = Clock()
    sku = shop.products[0].sku
    price = shop.products[0].price
    session = CartSession(turn_for(Memory()), api.tools(TENANT), clock)
    tools = TurnTools(shop, TOOL_NAMES, session)
    assert set(ORDER_TOOL_NAMES) <= set(tools.specs)

    refused = await tools.call("add_to_cart", json.dumps({"sku": "NOPE", "quantity": 1}))
    assert "error" in json.loads(refused.content)
    early = await tools.call("request_order_confirmation", "{}")
    assert json.loads(early.content)["still_needed"] == "items"
    added = json.loads(
        (await tools.call("add_to_cart", json.dumps({"sku": sku, "quantity": 2}))).content
    )
    assert Decimal(added["total"]) == price * 2
    assert added["still_needed"] == "method"
    await tools.call("set_fulfilment", json.dumps({"method": "pickup", "name": "Giulia Rossi"}))
    await tools.call("request_order_confirmation", "{}")

    assert api.placements == []
    confirmation = session.confirmation
    assert confirmation is not None
    assert confirmation.buttons[0].id.startswith("order:confirm:")
    assert confirmation.cart is not None
    assert confirmation.cart.fingerprint is not None

    sources = GroundingSources(texts=tuple(session.facts()))
    assert check_grounding(f"Totale: {price * 2} €", sources) == []
    assert check_grounding(f"Totale: {price * 2 + 1} €", sources) != []


def test_without_the_order_api_the_model_gets_no_cart_tools(shop: MemoryShopTools) -> None:
    tools = TurnTools(shop, TOOL_NAMES)
    assert not set(ORDER_TOOL_NAMES) & set(tools.specs)


async def test_variants_are_listed_one_line_each_and_taken_by_reference(
    api: OrdersStandIn,
) -> None:
    prosecco = Product(
        id="p-pros", sku="PROS", name="Prosecco Superiore", price=Decimal("12.00"), stock=10,
        category="spumante",
        variants=(
            Variant(sku="PROS-75", label="75 cl", price=Decimal("12.00"), stock=10),
            Variant(sku="PROS-150", label="1,5 l", price=Decimal("26.00"), stock=2),
        ),
    )  # fmt: skip
    api.stock(TENANT, Item("PROS-75", "Prosecco Superiore", Decimal("12.00"), 10, "75 cl"),
              Item("PROS-150", "Prosecco Superiore", Decimal("26.00"), 2, "1,5 l"))  # fmt: skip
    chat = Chat(MemoryShopTools(products=[prosecco]), api)
    listed = await chat.say("Avete il Prosecco?")
    assert "*Prosecco Superiore — 75 cl* — € 12,00" in listed.text
    assert "*Prosecco Superiore — 1,5 l* — € 26,00" in listed.text
    added = await chat.say("prendo il secondo")
    assert chat.cart.lines == (CartLine(sku="PROS-150", quantity=1),)
    assert "1 x *Prosecco Superiore — 1,5 l* — € 26,00" in added.text


async def test_a_typed_yes_places_nothing_and_points_at_the_button(
    chat: Chat, api: OrdersStandIn
) -> None:
    summary = await to_summary(chat)
    answer = await chat.say("sì, confermo")
    assert answer.text == ORDER_PHRASES["it"].tap_to_confirm
    assert [b.id for b in answer.buttons] == [b.id for b in summary.buttons]
    assert api.placements == []


async def test_a_tapped_product_row_puts_one_in_the_cart(chat: Chat) -> None:
    listed = await chat.say("Avete il Barolo?")
    product = listed.products_cited[0]
    await chat.say(product.name, button=f"product:{product.id}", kind=ContentKind.INTERACTIVE)
    assert chat.cart.lines == (CartLine(sku=product.sku, quantity=1),)
    await chat.say("+1", button=f"cart:add:{product.sku}", kind=ContentKind.INTERACTIVE)
    assert chat.cart.lines == (CartLine(sku=product.sku, quantity=2),)


async def test_a_placement_lost_in_transit_is_not_placed_twice_by_the_next_tap(
    chat: Chat, api: OrdersStandIn
) -> None:
    """The catalog placed the order but its answer never came back: the customer taps again
    (a new wamid) and gets that same order, not a second one."""
    summary = await to_summary(chat)
    tools = api.tools(TENANT)
    place = tools.place

    async def lost(order: NewOrder) -> OrderView:
        await place(order)
        raise ToolError("read timeout")

    tools.place = lost  # type: ignore[method-assign]
    chat.api = _Fixed(api, tools)  # type: ignore[assignment]
    first = await chat.tap(summary, wamid="wamid.T1")
    assert first.text == ORDER_PHRASES["it"].unavailable
    tools.place = place  # type: ignore[method-assign]
    second = await chat.tap(summary, wamid="wamid.T2")
    assert "A-1042" in second.text
    assert len(api.orders[TENANT]) == 1
    assert [p["idempotency_key"] for p in api.placements] == ["wamid.T1", "wamid.T1"]


@dataclass
class _Fixed:
    """The stand-in handing out one given tools object (to make its `place` fail)."""

    api: OrdersStandIn
    fixed: object

    def tools(self, _: str) -> object:
        return self.fixed


def test_a_quote_of_unknown_skus_only_reads_as_the_catalog_sends_it() -> None:
    """The catalog leaves `currency` null on an unknown SKU's line and on a quote of those
    only; `product_id` is a UUID."""
    quote = Quote.model_validate(
        {
            "lines": [
                {"sku": "X", "product_id": None, "name": None, "variant": None, "quantity": 1,
                 "unit_price": None, "currency": None, "line_total": None, "available": 0,
                 "problem": "unknown_sku"},
            ],
            "total": "0.00",
            "currency": None,
            "ok": False,
        }
    )  # fmt: skip
    assert quote.currency == "EUR"
    assert quote.lines[0].label == "X"


@pytest.mark.parametrize(
    "text", ["avete anche del Chianti", "vini bianchi sotto 15 euro", "grazie", "ok"]
)
async def test_a_question_asked_instead_of_the_name_is_not_taken_as_the_name(
    chat: Chat, text: str
) -> None:
    await chat.say("Avete il Barolo?")
    await chat.say("ne prendo due")
    assert (await chat.say("ritiro")).text == ORDER_PHRASES["it"].ask_name
    await chat.say(text)
    assert chat.cart.name is None
    assert (await chat.say("Giulia Rossi")).buttons


async def test_a_line_is_removed_or_changed_by_the_name_the_catalog_gives_it(
    chat: Chat, shop: MemoryShopTools
) -> None:
    barolo = next(p for p in shop.products if p.name.startswith("Barolo DOCG 2019"))
    other = next(p for p in shop.products if p.name.startswith("Chianti"))
    await chat.say(None, kind=ContentKind.ORDER, items=((barolo.sku, 1), (other.sku, 2)))
    await chat.say("metti 3 Chianti")
    assert chat.cart.quantity_of(other.sku) == 3
    removed = await chat.say("togli il Barolo")
    assert chat.cart.lines == (CartLine(sku=other.sku, quantity=3),)
    assert "Barolo" not in removed.text.split("\n", 2)[-1]


async def test_a_long_cart_summary_still_fits_the_button_message_with_its_total(
    api: OrdersStandIn,
) -> None:
    names = [f"Vino numero {n} " + "della cantina con un nome lunghissimo " * 2 for n in range(20)]
    api.stock(
        TENANT, *(Item(f"SKU-{n}", name, Decimal("10.00"), 50) for n, name in enumerate(names))
    )
    items = tuple((f"SKU-{n}", 1) for n in range(20))
    chat = Chat(MemoryShopTools(), api)
    chat.memory = Memory(cart=Cart(method=Fulfilment.PICKUP, name="Giulia Rossi"))
    summary = await chat.say(None, kind=ContentKind.ORDER, items=items)
    assert summary.buttons
    assert len(summary.text) <= INTERACTIVE_BODY_MAX
    assert summary.text.endswith(ORDER_PHRASES["it"].confirm_question)
    assert "€ 200,00" in summary.text


async def test_a_question_about_delivery_is_not_a_choice_of_delivery(chat: Chat) -> None:
    await chat.say("Avete il Barolo?")
    await chat.say("ne prendo due")
    await chat.say("quanto costa la consegna a domicilio?")
    assert chat.cart.method is None
    await chat.say("consegna")
    assert chat.cart.method is Fulfilment.DELIVERY
