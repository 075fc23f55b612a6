"""The order desk: the cart dialog, the confirmation tap that places an order, and "where is
my order?". Deterministic, whatever assistant answers the rest of the conversation.

The catalog decides: every cart shown is quoted again (`OrderTools.quote`, `order_port.py`),
an order is placed only when the customer taps the confirmation button of the summary they
saw (its fingerprint must match the cart as remembered), with the prices that summary showed
as `expected_unit_price` and the tap's wamid as idempotency key, so a turn computed twice
places one order. Nothing a model writes reaches `place`.

`OrderDesk.respond` answers the turns that are about the cart or an order and returns None
for every other turn (the assistant answers those).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bancone_agent.domain.assistant import (
    SILENT_KINDS,
    ContentKind,
    Reply,
    ToolError,
    Turn,
)
from bancone_agent.domain.cart import (
    CANCEL_ID,
    CONFIRM_PREFIX,
    Cart,
    CartLine,
    Fulfilment,
    Question,
    Quote,
    confirmed_fingerprint,
)
from bancone_agent.domain.memory import ShownItem
from bancone_agent.domain.order_details import looks_like_address, looks_like_name, own_words
from bancone_agent.domain.order_phrases import OrderPhrases, order_phrases
from bancone_agent.domain.order_port import (
    NewOrder,
    OrderLine,
    OrderProblemError,
    OrderTools,
    OrderView,
    RecordedOrders,
)
from bancone_agent.domain.order_reading import (
    CartAction,
    OrderRequest,
    fulfilment_in,
    read_order_request,
    says_yes,
)
from bancone_agent.domain.order_wording import CartWording
from bancone_agent.domain.phrases import Phrasebook, phrasebook
from bancone_agent.domain.references import ordinal_in, resolve
from bancone_agent.domain.run import TurnRun
from bancone_agent.domain.text import fold, mentions, words
from bancone_agent.domain.understanding import DEFAULT_READER, Intent
from bancone_contracts.events.outbound import (
    BUTTON_TITLE_MAX,
    INTERACTIVE_BODY_MAX,
    ReplyButton,
)

ADD_PREFIX = "cart:add:"
"""A list row or button id that puts one of a SKU in the cart (`cart:add:<sku>`)."""
PRODUCT_PREFIX = "product:"
"""A list row naming a product shown in the conversation (`product:<id>`)."""
MAX_UNPROMPTED_WORDS = 5
"""A pickup/delivery choice said before it was asked is a short message ("meglio ritiro")."""
ORDER_DESK = "orders"
"""The run log's assistant name for the turns the desk answered."""


class OrderDesk:
    """Answers cart and order turns; None for the rest."""

    def __init__(self, clock: Callable[[], datetime], max_choices: int = 6) -> None:
        self._clock = clock
        self._max_choices = max_choices

    async def respond(self, turn: Turn, orders: OrderTools) -> Reply | None:
        if turn.kind in SILENT_KINDS:
            return None
        now = self._clock()
        cart = turn.memory.cart or Cart()
        if cart.expired(now):
            cart = Cart(updated_at=now)
        talk = _Talk(turn, cart, now, self._max_choices)
        recorded = RecordedOrders(orders)
        try:
            reply = await talk.answer(recorded)
        except ToolError:
            reply = talk.say(talk.phrases.unavailable)
        if reply is None:
            return None
        run = TurnRun(assistant=ORDER_DESK, tool_calls=tuple(recorded.records))
        return reply.model_copy(update={"run": run})

    async def respond_summary(self, turn: Turn, orders: OrderTools) -> Reply:
        """The summary of the turn's cart with the confirmation buttons (the cart must be
        complete); what `request_order_confirmation` makes the reply."""
        talk = _Talk(turn, turn.memory.cart or Cart(), self._clock(), self._max_choices)
        return await talk.summary(orders, talk.cart)


class _Talk:
    """One turn at the desk."""

    def __init__(self, turn: Turn, cart: Cart, now: datetime, max_choices: int) -> None:
        self.turn = turn
        self.cart = cart
        self.now = now
        self.max_choices = max_choices
        self.book: Phrasebook = phrasebook(turn.reply_language)
        self.phrases: OrderPhrases = order_phrases(self.book.code)
        self.wording = CartWording(self.book, self.phrases, turn.config.opening_hours.timezone)

    async def answer(self, orders: OrderTools) -> Reply | None:
        turn, cart = self.turn, self.cart
        button = turn.button_id or ""
        if button == CANCEL_ID:
            return self.say(self.phrases.cancelled, cart=cart.cleared(self.now))
        fingerprint = confirmed_fingerprint(button)
        if fingerprint is not None:
            return await self.confirm(orders, fingerprint)
        if button.startswith(CONFIRM_PREFIX):
            return await self.confirm(orders, "")
        if turn.kind is ContentKind.ORDER:
            return await self.whatsapp_order(orders)
        sku = self.tapped_sku(button)
        if sku is not None:
            return await self.show(orders, cart.add(sku, 1, self.now), self.phrases.added)
        text = (turn.text or "").strip()
        if not text:
            return None
        request = read_order_request(text)
        if request is not None and request.action is CartAction.STATUS:
            return await self.status(orders, request.order_number)
        if cart.fingerprint is not None and not cart.empty and says_yes(text):
            return self.say(self.phrases.tap_to_confirm, buttons=self.buttons(cart.fingerprint))
        answered = self.answered_question(text, request)
        if answered is not None:
            return await self.next_step(orders, answered)
        if request is None:
            return None
        return await self.act(orders, request)

    # -- the dialog ------------------------------------------------------------------------

    def tapped_sku(self, button: str) -> str | None:
        """The SKU a tapped row or button puts in the cart: `cart:add:<sku>`, or
        `product:<id>` of a product shown in this conversation."""
        if button.startswith(ADD_PREFIX):
            return button[len(ADD_PREFIX) :] or None
        if button.startswith(PRODUCT_PREFIX):
            wanted = button[len(PRODUCT_PREFIX) :]
            shown = self.turn.memory.shown
            return next((i.sku for i in shown if wanted in (i.id, i.sku)), None)
        return None

    def answered_question(self, text: str, request: OrderRequest | None) -> Cart | None:
        """The cart with the answer to the question last asked (or a fulfilment method said
        unprompted while there is a cart); None when the message answers nothing."""
        cart, now = self.cart, self.now
        if cart.empty or request is not None or "?" in text:
            return None  # "quanto costa la consegna?" asks, it doesn't choose
        method = fulfilment_in(text)
        asked = cart.asking is Question.METHOD
        if method is not None and (asked or len(words(fold(text))) <= MAX_UNPROMPTED_WORDS):
            return cart.fulfilled(now, method=method)
        if cart.asking is Question.NAME and looks_like_name(text):
            return cart.fulfilled(now, name=" ".join(text.split()))
        if cart.asking is Question.ADDRESS and looks_like_address(text):
            return cart.fulfilled(now, address=" ".join(text.split()))
        return None

    async def act(self, orders: OrderTools, request: OrderRequest) -> Reply | None:
        cart, now, say = self.cart, self.now, self.phrases
        action = request.action
        if action is CartAction.VIEW:
            if cart.empty:
                return self.say(say.cart_empty, cart=cart)
            return await self.show(orders, cart)
        if action is CartAction.CLEAR:
            return self.say(say.cleared, cart=cart.cleared(now))
        if action is CartAction.CHECKOUT:
            if cart.empty:
                return self.say(say.cart_empty)
            return await self.next_step(orders, cart, show=True)
        items = self.items_meant(request)
        if action is CartAction.ADD:
            if items is None:
                return None  # "vorrei un vino rosso": a search, the assistant answers
            if len(items) != 1:
                return self.which(items)
            quantity = request.quantity or 1
            return await self.show(orders, cart.add(items[0].sku, quantity, now), say.added)
        in_cart = await self.lines_meant(orders, request, items)
        if len(in_cart) != 1:
            return self.say(say.not_in_cart) if not in_cart else await self.show(orders, cart)
        sku = in_cart[0].sku
        if action is CartAction.REMOVE:
            changed = cart.with_quantity(sku, 0, now)
            if changed.empty:
                return self.say(f"{say.removed}\n{say.cart_empty}", cart=changed)
            return await self.show(orders, changed, say.removed)
        return await self.show(orders, cart.with_quantity(sku, request.quantity or 1, now))

    def items_meant(self, request: OrderRequest) -> tuple[ShownItem, ...] | None:
        """The shown items the message points at ("il primo", "the red one", "il Barolo");
        all of them when it names none ("lo prendo"); None when it names something that was
        not shown (a new search)."""
        shown = self.turn.memory.shown
        rest = request.rest
        understanding = DEFAULT_READER.read(rest)
        own = own_words(understanding.keywords)
        follow_up = resolve(understanding, rest or "quello", self.turn.memory) if shown else None
        colours = understanding.colours
        if follow_up is not None and follow_up.items:
            return follow_up.items
        index = ordinal_in(rest) if shown else None
        if index is not None:  # "due del primo", "three of the second"
            return (shown[index],) if -len(shown) <= index < len(shown) else ()
        if not request.strong and not set(own) - understanding.category_words:
            # "vorrei un vino bianco": a wish naming a kind of product is a search
            return None if own or colours else shown
        items = tuple(
            i
            for i in shown
            if all(mentions(i.words, w) for w in own) and (not colours or i.colour in colours)
        )
        if not items and (own or colours) and not request.strong:
            return None
        return items

    async def lines_meant(
        self, orders: OrderTools, request: OrderRequest, items: tuple[ShownItem, ...] | None
    ) -> list[CartLine]:
        """The cart lines a remove/quantity message points at: the only line; the line whose
        product the words name ("togli il Barolo", names as the catalog quotes them); a
        shown item that is in the cart ("il primo"); else all of them (ambiguous)."""
        lines = list(self.cart.lines)
        if len(lines) <= 1:
            return lines
        own = own_words(DEFAULT_READER.read(request.rest).keywords)
        if own:
            quote = self.cart.quote or await orders.quote(self.cart.lines)
            named = {q.sku for q in quote.lines if all(mentions(fold(q.label), w) for w in own)}
            if named:
                return [line for line in lines if line.sku in named]
        skus = {i.sku for i in items or ()}
        chosen = [line for line in lines if line.sku in skus]
        if chosen and len(skus) < len(self.turn.memory.shown):
            return chosen
        return lines

    def which(self, items: Sequence[ShownItem]) -> Reply:
        say = self.phrases
        if not items:
            return self.say(say.nothing_shown)
        names = [f"{n}. {item.name}" for n, item in enumerate(items[: self.max_choices], 1)]
        return self.say("\n".join((say.which_item, *names)))

    async def next_step(self, orders: OrderTools, cart: Cart, *, show: bool = False) -> Reply:
        """Ask the next missing thing, or summarise with the confirmation buttons."""
        question = cart.missing()
        if question is None:
            return await self.summary(orders, cart)
        if show:
            return await self.show(orders, cart)
        return self.say(self.wording.question(question), cart=cart.asking_for(question, self.now))

    async def show(self, orders: OrderTools, cart: Cart, intro: str | None = None) -> Reply:
        """The cart as quoted now, then the next question (or the summary's buttons)."""
        if cart.empty:
            return self.say(self.phrases.cart_empty, cart=cart)
        quote = await orders.quote(cart.lines)
        blocks = [intro] if intro else []
        blocks.append(self.wording.cart_text(quote))
        question = cart.missing()
        if not quote.ok:
            blocks.append(self.phrases.fix_cart)
            return self.say("\n".join(blocks), cart=cart.asking_for(None, self.now), quote=quote)
        if question is not None:
            blocks.append(self.wording.question(question))
            return self.say(
                "\n".join(blocks), cart=cart.asking_for(question, self.now), quote=quote
            )
        return self.summarise(cart, quote, blocks[:-1])

    async def summary(self, orders: OrderTools, cart: Cart, intro: str | None = None) -> Reply:
        quote = await orders.quote(cart.lines)
        if not quote.ok:
            return await self.show(orders, cart, intro)
        return self.summarise(cart, quote, [intro] if intro else [])

    def summarise(self, cart: Cart, quote: Quote, before: list[str]) -> Reply:
        say = self.phrases
        summarised = cart.summarised(quote, self.now)
        who = (
            say.pickup.format(name=cart.name)
            if cart.method is Fulfilment.PICKUP
            else say.delivery.format(name=cart.name, address=cart.address)
        )
        for width in (None, 40, 20):  # a long cart: shorter names, so the total still fits
            lines = self.wording.lines_text(quote, width=width)
            text = "\n".join((*before, say.summary_header, lines, who, say.confirm_question))
            if len(text) <= INTERACTIVE_BODY_MAX:
                break
        buttons = self.buttons(summarised.fingerprint or "")
        return self.say(text, cart=summarised, quote=quote, buttons=buttons)

    def buttons(self, fingerprint: str) -> tuple[ReplyButton, ...]:
        say = self.phrases
        return (
            ReplyButton(
                id=f"{CONFIRM_PREFIX}{fingerprint}", title=say.confirm_button[:BUTTON_TITLE_MAX]
            ),
            ReplyButton(id=CANCEL_ID, title=say.cancel_button[:BUTTON_TITLE_MAX]),
        )

    # -- the tap ---------------------------------------------------------------------------

    async def confirm(self, orders: OrderTools, fingerprint: str) -> Reply:
        cart, say = self.cart, self.phrases
        if cart.placed is not None and fingerprint and cart.placed[0] == fingerprint:
            return self.say(say.already_placed.format(number=cart.placed[1]))
        if cart.empty:
            return self.say(say.nothing_to_confirm, intent=Intent.ORDER)
        if not fingerprint or fingerprint != cart.fingerprint or cart.quote is None:
            return await self.refreshed(orders, say.stale)
        method = cart.method
        if method is None or not cart.name:
            return await self.refreshed(orders, say.stale)
        turn = self.turn
        key = cart.key_for(fingerprint, turn.message_id)
        order = NewOrder(
            idempotency_key=key,
            customer_id=turn.customer_id,
            phone_number_id=turn.phone_number_id,
            conversation_id=turn.conversation_id,
            language=self.book.code,
            lines=tuple(
                OrderLine(sku=q.sku, quantity=q.quantity, expected_unit_price=q.unit_price)
                for q in cart.quote.lines
                if q.unit_price is not None
            ),
            method=method,
            name=cart.name,
            address=cart.address if method is Fulfilment.DELIVERY else None,
        )
        try:
            placed = await orders.place(order)
        except ToolError:
            # Placed or not, we can't tell: the next tap on this summary asks with this key.
            return self.say(say.unavailable, cart=cart.attempting(key, self.now))
        except OrderProblemError as problem:
            if problem.code == "price_changed":
                return await self.refreshed(orders, say.price_changed)
            if problem.code == "sold_out":
                return await self.refreshed(orders, say.sold_out)
            return self.say(say.rejected, intent=Intent.ORDER)
        return self.placed(placed, cart)

    async def refreshed(self, orders: OrderTools, why: str) -> Reply:
        """`why`, then the cart quoted afresh (with fresh buttons when it can be ordered)."""
        cart = self.cart
        if cart.empty:
            return self.say(why, cart=cart)
        fresh = cart.model_copy(update={"fingerprint": None, "quote": None})
        if fresh.missing() is not None:
            return await self.show(orders, fresh, why)
        return await self.summary(orders, fresh, why)

    def placed(self, order: OrderView, cart: Cart) -> Reply:
        say = self.phrases
        total = self.book.price(order.total, order.currency)
        blocks = [say.placed.format(number=order.number, total=total)]
        blocks.append(
            say.pay_here.format(url=order.payment_url) if order.payment_url else say.link_later
        )
        if order.reserved_until is not None:
            blocks.append(
                say.held_until.format(until=self.wording.local_time(order.reserved_until))
            )
        quote = Quote(total=order.total, currency=order.currency)
        return self.say("\n".join(blocks), cart=cart.placed_as(order.number, self.now), quote=quote)

    # -- a WhatsApp cart, order status -------------------------------------------------------

    async def whatsapp_order(self, orders: OrderTools) -> Reply:
        """The customer sent a cart from the WhatsApp catalogue: it becomes the cart; SKUs the
        catalog doesn't know are named back and left out."""
        wanted: dict[str, int] = {}
        for sku, quantity in self.turn.order_items:
            if quantity > 0:
                wanted[sku] = wanted.get(sku, 0) + quantity
        lines = tuple(CartLine(sku=s, quantity=q) for s, q in wanted.items())
        if not lines:
            return self.say(self.phrases.cart_empty, cart=self.cart.cleared(self.now))
        quote = await orders.quote(lines)
        unknown = [q.sku for q in quote.lines if q.problem == "unknown_sku"]
        cart = self.cart.replaced(tuple(x for x in lines if x.sku not in unknown), self.now)
        intro = self.phrases.unknown_skus.format(skus=", ".join(unknown)) if unknown else None
        return await self.show(orders, cart, intro)

    async def status(self, orders: OrderTools, number: str | None) -> Reply:
        say = self.phrases
        customer = self.turn.customer_id
        order = (
            await orders.by_number(number, customer) if number else await orders.latest(customer)
        )
        if order is None:
            text = say.order_not_found if number else say.no_orders
            return self.say(text, intent=Intent.ORDER_STATUS)
        status = say.statuses.get(order.status, order.status)
        total = self.book.price(order.total, order.currency)
        blocks = [say.status.format(number=order.number, total=total, status=status)]
        if order.tracking_code and order.status in ("shipped", "delivered"):
            blocks.append(say.tracking.format(code=order.tracking_code))
        if order.status == "pending" and order.payment_url:
            blocks.append(say.pay_here.format(url=order.payment_url))
        quote = Quote(total=order.total, currency=order.currency)
        return self.say("\n".join(blocks), intent=Intent.ORDER_STATUS, quote=quote)

    # -- wording ---------------------------------------------------------------------------

    def say(
        self,
        text: str,
        *,
        cart: Cart | None = None,
        quote: Quote | None = None,
        buttons: tuple[ReplyButton, ...] = (),
        intent: Intent = Intent.ORDER,
    ) -> Reply:
        return Reply(
            text=text,
            language=self.book.code,
            intent=intent,
            cart=cart,
            quote=quote,
            buttons=buttons,
        )
