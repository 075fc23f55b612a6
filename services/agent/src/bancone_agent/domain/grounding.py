"""Checks that a reply states no number it did not get from the shop's data.

The offline assistant is built never to invent one; the LLM assistant (issue 4) is not, and
runs the same check before a reply leaves. A number counts as grounded when some reading of
it ("1.250" is 1250 or 1.25) equals a number in the products or the extra texts; a money
amount (next to €, £, $ or a currency word) must be a product price or appear in the extra
texts: a stock figure passed off as a price is caught.
"""

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from bancone_agent.domain.assistant import KnowledgeHit, Product, Reply

_NUMBER = re.compile(r"(?<!\d)(?<!\d[.,])\d(?:[\d.,]*\d)?")
_CURRENCY = r"(?:[€£$]|\b(?:eur|euro|euros|gbp|usd|chf|pounds?|dollars?|sterline|libras?)\b)"
_MONEY = re.compile(
    rf"{_CURRENCY}\s?(?P<before>\d(?:[\d.,]*\d)?)|(?P<after>\d(?:[\d.,]*\d)?)\s?{_CURRENCY}",
    re.IGNORECASE,
)


def readings(token: str) -> set[Decimal]:
    """Every value a written number may mean: "12,50" is 12.50, "1.250" is 1250 or 1.25."""
    values = {
        value
        for decimal_sep, group_sep in ((".", ","), (",", "."))
        if (value := _reading(token, decimal_sep, group_sep)) is not None
    }
    return values


def _reading(token: str, decimal_sep: str, group_sep: str) -> Decimal | None:
    whole, _, fraction = token.partition(decimal_sep)
    if decimal_sep in fraction or group_sep in fraction:
        return None
    groups = whole.split(group_sep)
    if len(groups) > 1 and not (0 < len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
        return None
    try:
        return Decimal("".join(groups) + (f".{fraction}" if fraction else ""))
    except InvalidOperation:
        return None


def _numbers_in(texts: Iterable[str]) -> set[Decimal]:
    return {value for text in texts for m in _NUMBER.finditer(text) for value in readings(m[0])}


class UngroundedNumber(NamedTuple):
    """A number a reply states without support: as written, where, and whether it is money."""

    token: str
    start: int
    money: bool


def find_ungrounded_numbers(
    reply_text: str, products: Sequence[Product], extra_texts: Iterable[str] = ()
) -> list[str]:
    """Numbers in `reply_text` that no product (or extra text: FAQ answers, the shop's name)
    supports, as written, in order; empty means the reply is grounded."""
    return [n.token for n in find_ungrounded_spans(reply_text, products, extra_texts)]


def find_ungrounded_spans(
    reply_text: str, products: Sequence[Product], extra_texts: Iterable[str] = ()
) -> list[UngroundedNumber]:
    """`find_ungrounded_numbers` with each number's position and money context."""
    extra = _numbers_in(extra_texts)
    products = [*products, *(v for p in products if p.variants for v in p.sellable())]
    prices = {p.price for p in products} | extra
    grounded = (
        prices
        | {Decimal(p.stock) for p in products}
        | _numbers_in(
            text
            for p in products
            for text in (p.name, p.sku, p.description, *p.attributes.values(), *p.tags)
        )
    )
    money_spans: dict[int, str] = {}
    for m in _MONEY.finditer(reply_text):
        group = "before" if m["before"] else "after"
        money_spans[m.start(group)] = m[group]
    ungrounded: list[UngroundedNumber] = []
    for m in _NUMBER.finditer(reply_text):
        money = m.start() in money_spans
        allowed = prices if money else grounded
        if not readings(m[0]) & allowed:
            ungrounded.append(UngroundedNumber(m[0], m.start(), money))
    return ungrounded


def knowledge_texts(hits: Iterable[KnowledgeHit]) -> Iterable[str]:
    """What knowledge hits state: title, text, answer, and every plain payload value (an
    offer's `discount_percent`, `valid_from`, `valid_until`)."""
    for hit in hits:
        yield from (hit.title, hit.text, hit.answer)
        for value in hit.payload.values():
            if isinstance(value, str | int | float | Decimal) and not isinstance(value, bool):
                yield str(value)


def check_reply(reply: Reply, extra_texts: Iterable[str] = ()) -> list[str]:
    """`find_ungrounded_numbers` against what the reply says it relied on."""
    return find_ungrounded_numbers(
        reply.text,
        reply.products_cited,
        (*extra_texts, *knowledge_texts(reply.knowledge_cited)),
    )
