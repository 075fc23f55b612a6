"""The grounding guard: no price, stock figure, discount or product name leaves unless this
turn's tool results (or the tenant's own configuration) contain it.

Numbers reuse `domain.grounding`: a money amount must be a returned price (or appear in a
returned FAQ/offer text or the configuration), any other number a price, stock figure or a
number in a returned text; the size of a returned list counts ("I found 3 wines"), and so do
the bounds of the budget the customer stated ("under 20 €"). Percentages are stricter: a
percentage must be an offer's `discount_percent` or stand next to `%` in a returned text, so
"90% off" is caught even when some product has 90 in stock. List numbering ("1. ...") is not
a claim and is skipped.

Product names are checked three ways, all accent- and case-insensitive:
- a lexicon of wine denominations (Barolo, Amarone, Rioja, Champagne…): named in the reply
  but in no tool result, configuration text or customer message → finding;
- the tenant's catalogue as seen so far (`CatalogueNames`: the first words of every product
  name any tool returned in this process): a known product named without being returned in
  this turn → finding;
- a capitalised word right before a denomination mark (DOC, DOCG, DOP, IGP, IGT, AOC) that no
  source contains ("un ottimo Taurasi DOCG") → finding.

Limits: a product name outside the lexicon, never returned by a tool since the process
started, and written without a denomination mark is not caught (the memory is per process
and empties on restart); a name the customer wrote counts as grounded (the model may repeat
what it was asked about); numbers written as words ("venti euro") are not read; a number that
happens to equal an unrelated returned figure passes.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from bancone_agent.domain.assistant import KnowledgeHit, Product
from bancone_agent.domain.grounding import find_ungrounded_spans, readings
from bancone_agent.domain.run import GuardFinding
from bancone_agent.domain.text import fold

DENOMINATIONS = frozenset(
    fold(name)
    for name in (
        # Italian wines
        "Barolo",
        "Barbaresco",
        "Brunello",
        "Rosso di Montalcino",
        "Chianti",
        "Vino Nobile",
        "Montepulciano",
        "Amarone",
        "Valpolicella",
        "Ripasso",
        "Recioto",
        "Bardolino",
        "Lugana",
        "Prosecco",
        "Franciacorta",
        "Trentodoc",
        "Moscato",
        "Barbera",
        "Dolcetto",
        "Primitivo",
        "Negroamaro",
        "Salice Salentino",
        "Nero d'Avola",
        "Etna Rosso",
        "Cerasuolo",
        "Aglianico",
        "Taurasi",
        "Fiano",
        "Greco di Tufo",
        "Falanghina",
        "Vermentino",
        "Cannonau",
        "Verdicchio",
        "Lambrusco",
        "Sagrantino",
        "Morellino",
        "Bolgheri",
        "Sassicaia",
        "Tignanello",
        "Ornellaia",
        "Gewürztraminer",
        "Lagrein",
        "Teroldego",
        "Pinot Grigio",
        "Ribolla",
        "Refosco",
        "Gavi",
        "Arneis",
        "Roero",
        "Ghemme",
        "Gattinara",
        "Sforzato",
        "Frascati",
        "Orvieto",
        "Vin Santo",
        "Marsala",
        "Zibibbo",
        "Grillo",
        "Nerello",
        "Cirò",
        "Passito di Pantelleria",
        # elsewhere
        "Rioja",
        "Ribera del Duero",
        "Albariño",
        "Priorat",
        "Cava",
        "Champagne",
        "Chablis",
        "Bordeaux",
        "Bourgogne",
        "Sancerre",
        "Châteauneuf",
    )
)
_MARK = re.compile(r"\b(?:DOCG|DOC|DOP|IGP|IGT|AOC|AOP)\b")
_CAPITALISED = re.compile(r"^[A-ZÀ-Ý][\w'\u2019-]{2,}$")
_LIST_MARKER = re.compile(r"^(\s*)\d{1,2}[.)](?=\s)", re.MULTILINE)
_PERCENT = re.compile(
    r"(?<![\d.,])(?P<n>\d+(?:[.,]\d+)?)\s?(?:%|per\s?cento|percent|por\s?ciento)",
    re.IGNORECASE,
)
_STOCK_WORDS = re.compile(
    r"stock|disponibil|magazzino|pezzi|bottiglie|rimast|scorte|left|units?|bottles|"
    r"available|unidades|quedan|existencias|botellas",
    re.IGNORECASE,
)
_CONNECTORS = frozenset(
    {"di", "del", "della", "dei", "delle", "degli", "d", "de", "la", "le", "il", "lo", "e"}
    | {"al", "alle", "allo", "da", "du"}
)
_NAME_NOISE = re.compile(r"\b(?:docg|doc|dop|igp|igt|aoc|aop|\d[\w,.]*)\b")


@dataclass(frozen=True)
class Finding:
    kind: str
    """price | stock | number | discount | product_name"""
    value: str

    def describe(self) -> str:
        labels = {
            "price": "the price",
            "stock": "the stock figure",
            "number": "the number",
            "discount": "the discount",
            "product_name": "the product",
        }
        return f"{labels.get(self.kind, self.kind)} {self.value!r}"


@dataclass(frozen=True)
class GroundingSources:
    """What a reply may draw on: this turn's tool results, config texts, the customer."""

    products: Sequence[Product] = ()
    knowledge: Sequence[KnowledgeHit] = ()
    texts: Sequence[str] = ()
    """Numbers and names allowed besides tool results: shop name, business context, budget
    bounds, result counts."""
    customer_texts: Sequence[str] = ()
    """What the customer wrote: grounds names they mentioned, never a number."""
    known_names: Collection[str] = ()
    """Name keys (`name_key`) of the tenant's products seen in earlier turns."""

    def knowledge_texts(self) -> Iterator[str]:
        for hit in self.knowledge:
            yield from (hit.title, hit.text, hit.answer)
            for value in hit.payload.values():
                if isinstance(value, str | int | float | Decimal) and not isinstance(value, bool):
                    yield str(value)

    def name_haystack(self) -> str:
        texts: list[str] = [*self.texts, *self.customer_texts, *self.knowledge_texts()]
        for p in self.products:
            texts.extend((p.name, p.description, p.category, *p.attributes.values(), *p.tags))
        return fold("\n".join(texts))

    def percents(self) -> set[Decimal]:
        allowed: set[Decimal] = set()
        for hit in self.knowledge:
            value = hit.payload.get("discount_percent")
            if value is not None:
                allowed |= readings(str(value))
        for text in (*self.texts, *self.knowledge_texts()):
            for m in _PERCENT.finditer(text):
                allowed |= readings(m["n"])
        return allowed


def check_grounding(text: str, sources: GroundingSources) -> list[Finding]:
    """Every fact in `text` the sources do not support, in order; empty = grounded."""
    findings: list[Finding] = []
    body = _LIST_MARKER.sub(lambda m: m[1] + "  ", text)
    allowed_percents = sources.percents()
    chars = list(body)
    for m in _PERCENT.finditer(body):
        if not readings(m["n"]) & allowed_percents:
            findings.append(Finding("discount", m[0]))
        chars[m.start() : m.end()] = " " * (m.end() - m.start())
    body = "".join(chars)
    extra = [*sources.texts, *sources.knowledge_texts()]
    for number in find_ungrounded_spans(body, sources.products, extra):
        findings.append(Finding(_number_kind(body, number.start, number.money), number.token))
    findings.extend(_ungrounded_names(text, sources))
    return _distinct(findings)


def _number_kind(text: str, start: int, money: bool) -> str:
    if money:
        return "price"
    window = text[max(0, start - 30) : start + 40]
    return "stock" if _STOCK_WORDS.search(window) else "number"


def _ungrounded_names(text: str, sources: GroundingSources) -> Iterator[Finding]:
    folded = fold(text)
    haystack = sources.name_haystack()

    def grounded(name: str) -> bool:
        return _contains(haystack, name)

    for name in sorted(DENOMINATIONS | set(sources.known_names)):
        if _contains(folded, name) and not grounded(name):
            yield Finding("product_name", name)
    for m in _MARK.finditer(text):
        marked = _name_before(text[max(0, m.start() - 80) : m.start()])
        if marked and not any(grounded(fold(w)) for w in marked if _CAPITALISED.match(w)):
            yield Finding("product_name", f"{' '.join(marked)} {m[0]}")


def _name_before(text: str) -> list[str]:
    """The run of capitalised words (joined by di, del, d'...) that ends `text`."""
    name: list[str] = []
    for raw in reversed(text.split()):
        word = raw.strip('.,;:!?()*_"')
        if _CAPITALISED.match(word) or (name and fold(word) in _CONNECTORS):
            name.insert(0, word)
        else:
            break
    while name and not _CAPITALISED.match(name[0]):
        name.pop(0)
    return name


def _contains(haystack: str, needle: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack) is not None


def _distinct(findings: Iterable[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def name_key(name: str) -> str | None:
    """The words a reply would use for a product: its name before any dash-separated detail,
    without denomination marks or figures, first two words, folded ("Chianti Classico DOCG
    2021, dash, Fattoria Le Cetine" → "chianti classico"); None when too short to mean anything."""
    core = re.split(r"\s[\u2013\u2014-]\s", name, maxsplit=1)[0]
    taken: list[str] = []
    significant = 0
    for word in _NAME_NOISE.sub(" ", fold(core)).split():
        if significant == 2:
            break
        taken.append(word)
        significant += word not in _CONNECTORS
    while taken and taken[-1] in _CONNECTORS:
        taken.pop()
    key = " ".join(taken)
    return key if len(key) >= 5 else None


class CatalogueNames:
    """Per-tenant memory of the product names tools have returned: the catalogue, as seen.

    Bounded (oldest names forgotten first) and per process; it only makes the guard
    stricter, never lets anything through.
    """

    def __init__(self, max_per_tenant: int = 5000) -> None:
        self._max = max_per_tenant
        self._names: dict[str, OrderedDict[str, None]] = {}

    def learn(self, tenant_id: str, products: Iterable[Product]) -> None:
        names = self._names.setdefault(tenant_id, OrderedDict())
        for product in products:
            key = name_key(product.name)
            if key is None:
                continue
            names[key] = None
            names.move_to_end(key)
        while len(names) > self._max:
            names.popitem(last=False)

    def keys(self, tenant_id: str) -> frozenset[str]:
        return frozenset(self._names.get(tenant_id, ()))


def run_log_findings(findings: Sequence[Finding], attempt: int) -> list[GuardFinding]:
    """The run-log form of a check's findings."""
    return [GuardFinding(kind=f.kind, value=f.value, attempt=attempt) for f in findings]


def correction(findings: Sequence[Finding]) -> str:
    """The message that asks the model to rewrite an ungrounded reply."""
    listed = "; ".join(f.describe() for f in findings)
    return (
        "GROUNDING CHECK FAILED — your reply was not sent. It states "
        f"{listed}, which no tool result of this turn contains. Rewrite the reply for the "
        "customer using only names, prices, stock figures and discounts returned by the tools "
        "(call a tool first if you need a fact); leave out anything you cannot support."
    )
