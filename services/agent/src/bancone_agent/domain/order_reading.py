"""What a customer message asks of the cart, in Italian, English and Spanish: take something
("ne prendo due", "lo prendo", "add the red one", "quiero dos", "2 x il primo"), remove it,
change a quantity, show the cart, empty it, say how they collect ("ritiro", "delivery"), or
ask where their order is ("dov'è il mio ordine A-1042?").

Plain word lists on the folded text (`text.fold`), like the rest of the offline reader; the
dialog (`ordering.py`) decides what to do with it given the cart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bancone_agent.domain.cart import Fulfilment
from bancone_agent.domain.text import fold


class CartAction(StrEnum):
    ADD = "add"
    REMOVE = "remove"
    SET_QUANTITY = "set_quantity"
    VIEW = "view"
    CLEAR = "clear"
    CHECKOUT = "checkout"
    STATUS = "status"


@dataclass(frozen=True)
class OrderRequest:
    action: CartAction
    quantity: int | None = None
    """The quantity the customer said (None: not said; "lo prendo" is one)."""
    order_number: str | None = None
    rest: str = ""
    """The folded text without the cue and quantity words: what names the product."""
    strong: bool = True
    """Said as an order ("lo prendo", "add"), not as a wish that may be a search ("vorrei")."""


NUMBER_WORDS = {
    **dict.fromkeys(("un", "uno", "una", "one", "a", "an"), 1),
    **dict.fromkeys(("due", "two", "dos", "un paio", "a couple", "a pair"), 2),
    **dict.fromkeys(("tre", "three", "tres"), 3),
    **dict.fromkeys(("quattro", "four", "cuatro"), 4),
    **dict.fromkeys(("cinque", "five", "cinco"), 5),
    **dict.fromkeys(("sei", "six", "seis"), 6),
    **dict.fromkeys(("sette", "seven", "siete"), 7),
    **dict.fromkeys(("otto", "eight", "ocho"), 8),
    **dict.fromkeys(("nove", "nine", "nueve"), 9),
    **dict.fromkeys(("dieci", "ten", "diez"), 10),
    **dict.fromkeys(("dozen", "dozzina", "docena"), 12),
}


def _any(*phrases: str) -> re.Pattern[str]:
    ordered = sorted(phrases, key=len, reverse=True)
    body = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in ordered)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


_STATUS = _any(
    "dov'e il mio ordine",
    "dove e il mio ordine",
    "dov e il mio ordine",
    "stato del mio ordine",
    "stato dell'ordine",
    "stato ordine",
    "il mio ordine",
    "mio ordine",
    "where is my order",
    "where's my order",
    "my order",
    "order status",
    "status of my order",
    "track my order",
    "donde esta mi pedido",
    "mi pedido",
    "estado de mi pedido",
    "estado del pedido",
)
_ORDER_NUMBER = re.compile(
    r"(?<![\w-])([a-z]{1,3}-?\d{3,}|#\s?\d{3,})(?!\w)"
    r"|(?:ordine|order|pedido)\s+(?:n\.?\s*|no\.?\s*|numero\s+|number\s+|nº\s*)?(\d{3,})(?!\w)"
)
_CLEAR = _any(
    "svuota il carrello",
    "svuota carrello",
    "annulla l'ordine",
    "annulla ordine",
    "empty the cart",
    "empty my cart",
    "clear the cart",
    "clear my cart",
    "cancel the order",
    "cancel my order",
    "vacia el carrito",
    "vaciar el carrito",
    "vaciar carrito",
    "cancela el pedido",
    "cancelar el pedido",
)
_REMOVE = _any(
    "togli",
    "toglie",
    "toglimi",
    "rimuovi",
    "elimina",
    "levami",
    "non voglio piu",
    "remove",
    "take out",
    "delete",
    "drop the",
    "quita",
    "quitar",
    "elimina",
    "borra",
    "ya no quiero",
)
_SET = _any(
    "cambia in",
    "cambia a",
    "facciamo",
    "metti",
    "mettine",
    "make it",
    "change to",
    "change it to",
    "instead of",
    "mejor",
    "cambia la cantidad a",
    "pon",
    "ponme",
)
_VIEW = _any(
    "carrello",
    "cosa ho preso",
    "riepilogo",
    "my cart",
    "the cart",
    "show cart",
    "view cart",
    "basket",
    "carrito",
    "mi carrito",
    "resumen",
)
_CHECKOUT = _any(
    "procedi",
    "procediamo",
    "voglio ordinare",
    "concludi",
    "checkout",
    "check out",
    "place the order",
    "place an order",
    "that's all",
    "thats all",
    "finalizar",
    "finalizar compra",
    "quiero pedir",
    "eso es todo",
    "basta cosi",
    "e tutto",
)
_WISH = _any(
    "vorrei",
    "voglio",
    "i want",
    "i'd like",
    "id like",
    "i would like",
    "buy",
    "quiero",
    "quisiera",
    "dame",
)
_ADD = _any(
    "prendo",
    "ne prendo",
    "lo prendo",
    "la prendo",
    "li prendo",
    "le prendo",
    "prenderei",
    "aggiungi",
    "aggiungimi",
    "mettimi",
    "compro",
    "lo compro",
    "ordino",
    "i'll take",
    "ill take",
    "i will take",
    "i'll have",
    "add",
    "i'll buy",
    "me llevo",
    "lo quiero",
    "me lo llevo",
    "anade",
    "agrega",
)
_BARE_QUANTITY = re.compile(r"^\s*(\d{1,2})\s*(?:x|pz|pezzi|bottiglie|bottles|botellas)?\s*$")
_TIMES = re.compile(r"(?<!\w)(\d{1,2})\s*x(?!\w)|(?<!\w)x\s*(\d{1,2})(?!\w)")
_LEADING_TIMES = re.compile(r"^\s*(\d{1,2})\s*x\s+")
_PRONOUN_ONE = re.compile(r"(?<!\w)(?:the|that|this)\s+(?:\w+\s+)?one(?!\w)")
_DIGITS = re.compile(r"(?<![\w.,€$£])(\d{1,2})(?![\w.,%€])")

PICKUP = _any(
    "ritiro",
    "ritiro in negozio",
    "ritirare",
    "ritiro io",
    "passo a prendere",
    "vengo a prendere",
    "vengo a ritirare",
    "pickup",
    "pick up",
    "pick it up",
    "collect",
    "collection",
    "in store",
    "recogida",
    "recoger",
    "recogerlo",
    "paso a recoger",
    "en tienda",
)
DELIVERY = _any(
    "consegna",
    "consegna a domicilio",
    "a domicilio",
    "spedizione",
    "spedire",
    "spedite",
    "spedito",
    "spediscimelo",
    "delivery",
    "deliver",
    "delivered",
    "ship",
    "shipping",
    "send it",
    "envio",
    "enviar",
    "a domicilio",
    "entrega",
    "mandar",
)


_YES_WORD = (
    r"(?:si|ok|okay|va bene|confermo|conferma|confermato|yes|yep|sure|confirm|confirmed|"
    r"go ahead|vale|confirmo|de acuerdo|perfecto|perfetto|certo|claro|please|por favor|per favore)"
)
_YES = re.compile(rf"^\W*{_YES_WORD}(?:\W+{_YES_WORD})*\W*$")


def says_yes(text: str) -> bool:
    """A bare "sì" / "ok" / "confirm": agreement typed instead of tapped."""
    return _YES.match(fold(text)) is not None


def fulfilment_in(text: str) -> Fulfilment | None:
    """Pickup or delivery, when the message says one (and not both)."""
    folded = fold(text)
    pickup, delivery = PICKUP.search(folded), DELIVERY.search(folded)
    if pickup and not delivery:
        return Fulfilment.PICKUP
    if delivery and not pickup:
        return Fulfilment.DELIVERY
    return None


def read_order_request(text: str) -> OrderRequest | None:
    """The cart action a message asks for; None when it asks none."""
    folded = fold(text)
    if not folded.strip():
        return None
    number = _ORDER_NUMBER.search(folded)
    if _STATUS.search(folded) or (number and re.search(r"ordin|order|pedido", folded)):
        found = (number[1] or number[2]).upper().replace(" ", "") if number else None
        return OrderRequest(CartAction.STATUS, order_number=found)
    for action, pattern in (
        (CartAction.CLEAR, _CLEAR),
        (CartAction.REMOVE, _REMOVE),
        (CartAction.SET_QUANTITY, _SET),
        (CartAction.ADD, _ADD),
        (CartAction.CHECKOUT, _CHECKOUT),
        (CartAction.ADD, _WISH),
        (CartAction.VIEW, _VIEW),
    ):
        cue = pattern.search(folded)
        if cue is None:
            continue
        rest = (folded[: cue.start()] + " " + folded[cue.end() :]).strip()
        quantity, rest = quantity_in(rest)
        if action is CartAction.SET_QUANTITY and quantity is None:
            continue
        if action is CartAction.ADD and "?" in text and quantity is None:
            continue  # "vorrei sapere...?", "do you want...?": a question, not an order
        return OrderRequest(action, quantity=quantity, rest=rest, strong=pattern is not _WISH)
    bare = _BARE_QUANTITY.match(folded)
    if bare:
        return OrderRequest(CartAction.ADD, quantity=int(bare[1]))
    times = _LEADING_TIMES.match(folded)
    if times:  # "2 x il primo"
        return OrderRequest(CartAction.ADD, quantity=int(times[1]), rest=folded[times.end() :])
    return None


def quantity_in(folded: str) -> tuple[int | None, str]:
    """The quantity said in `folded` ("2 x", "x2", "due", "2") and the text without it."""
    times = _TIMES.search(folded)
    if times:
        value = int(times[1] or times[2])
        return value, _cut(folded, times.span())
    digits = _DIGITS.search(folded)
    if digits:
        return int(digits[1]), _cut(folded, digits.span())
    for word in sorted(NUMBER_WORDS, key=len, reverse=True):
        m = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", folded)
        if word == "one" and _PRONOUN_ONE.search(folded):
            continue  # "the red one": a pronoun, not a quantity
        if m and not (word in {"a", "an", "un", "una", "uno"} and _names_item_after(folded, m)):
            return NUMBER_WORDS[word], _cut(folded, m.span())
    return None, folded


def _names_item_after(folded: str, m: re.Match[str]) -> bool:
    """ "a" / "un" as an article before an ordinal or demonstrative is no quantity."""
    return re.match(r"\s+(?:altr|other|otro)", folded[m.end() :]) is not None


def _cut(text: str, span: tuple[int, int]) -> str:
    return (text[: span[0]] + " " + text[span[1] :]).strip()
