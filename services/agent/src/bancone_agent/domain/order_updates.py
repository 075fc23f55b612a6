"""What the customer is told when the catalog changes their order (`bancone.order.v1`).

Pure: which changes get a message, in which language, with which words. `placed` gets none
(the chat that placed the order already answered). `paid` carries the invoice link the
gateway mints; when it cannot be had the customer is still told the payment arrived, the
invoice is promised, and the conversation goes to people (`InvoiceLinkUnavailableError`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Final, Protocol

from bancone_agent.domain.phrases import phrasebook
from bancone_contracts.events.order import OrderChange, OrderTransition

MESSAGE_LANGUAGES: Final = ("it", "en", "es")
SILENT_TRANSITIONS: Final[frozenset[OrderTransition]] = frozenset({"placed"})
LINK_UNAVAILABLE_REASON: Final = "invoice link unavailable"

_OUTBOUND_IDS = uuid.UUID("4b8e1f3a-9c27-5d60-8a4e-2f7c9b1d3e85")
_EVENT_IDS = uuid.UUID("e7a3c9d1-5f4b-5e28-b6c0-9d2a8f1e4c73")


class InvoiceLinkUnavailableError(Exception):
    """The gateway did not mint the invoice link (down, refused, or no link client)."""


class InvoiceLinks(Protocol):
    """Mints the signed, expiring link to an order's invoice (the gateway owns the key)."""

    async def invoice_link(self, tenant_id: str, order_id: str) -> str: ...


_TEXTS: Final[Mapping[str, Mapping[str, str]]] = {
    "it": {
        "confirmed": "Il negozio ha confermato il tuo ordine {number}.",
        "pay": "Puoi pagarlo qui: {url}",
        "paid": "Pagamento ricevuto per l'ordine {number} ({total}), grazie!",
        "invoice": "Ecco la fattura {invoice}: {link}",
        "invoice_later": "Ti mandiamo la fattura a breve.",
        "shipped": "Il tuo ordine {number} è stato spedito.",
        "tracking": "Codice di tracciamento: {tracking}",
        "delivered": "Il tuo ordine {number} è stato consegnato. Grazie ancora!",
        "cancelled": "L'ordine {number} è stato annullato.",
        "expired": (
            "La prenotazione dell'ordine {number} è scaduta senza pagamento: i prodotti sono "
            "tornati disponibili. Se li vuoi ancora, scrivimi!"
        ),
        "refunded": "Abbiamo rimborsato l'ordine {number} ({total}).",
    },
    "en": {
        "confirmed": "The shop confirmed your order {number}.",
        "pay": "You can pay for it here: {url}",
        "paid": "Payment received for order {number} ({total}), thank you!",
        "invoice": "Here is invoice {invoice}: {link}",
        "invoice_later": "We will send you the invoice shortly.",
        "shipped": "Your order {number} has been shipped.",
        "tracking": "Tracking code: {tracking}",
        "delivered": "Your order {number} has been delivered. Thank you again!",
        "cancelled": "Order {number} has been cancelled.",
        "expired": (
            "Your reservation for order {number} expired before payment, so the items are "
            "available again. If you still want them, just write to me!"
        ),
        "refunded": "We refunded order {number} ({total}).",
    },
    "es": {
        "confirmed": "La tienda ha confirmado tu pedido {number}.",
        "pay": "Puedes pagarlo aquí: {url}",
        "paid": "Pago recibido para el pedido {number} ({total}), ¡gracias!",
        "invoice": "Aquí tienes la factura {invoice}: {link}",
        "invoice_later": "Te enviaremos la factura en breve.",
        "shipped": "Tu pedido {number} ha sido enviado.",
        "tracking": "Código de seguimiento: {tracking}",
        "delivered": "Tu pedido {number} ha sido entregado. ¡Gracias de nuevo!",
        "cancelled": "El pedido {number} ha sido cancelado.",
        "expired": (
            "Tu reserva del pedido {number} caducó sin pago: los productos vuelven a estar "
            "disponibles. Si todavía los quieres, ¡escríbeme!"
        ),
        "refunded": "Hemos reembolsado el pedido {number} ({total}).",
    },
}


def tells_customer(change: OrderChange) -> bool:
    """Whether this change is worth a message to the customer."""
    return change.transition not in SILENT_TRANSITIONS


def needs_invoice_link(change: OrderChange) -> bool:
    return change.transition == "paid" and change.order.invoice is not None


def message_language(order_language: str | None, shop_language: str) -> str:
    """The order's language when we write it, else the shop's, else English."""
    for candidate in (order_language, shop_language):
        code = (candidate or "").split("-")[0].split("_")[0].lower()
        if code in MESSAGE_LANGUAGES:
            return code
    return "en"


def order_message(change: OrderChange, language: str, invoice_link: str | None) -> str:
    """The customer's message about `change` (`tells_customer` must hold)."""
    texts = _TEXTS[language if language in _TEXTS else "en"]
    order = change.order
    total = phrasebook(language).price(order.total.amount, order.total.currency)
    values = {"number": order.number, "total": total}
    parts = [texts[change.transition].format(**values)]
    if change.transition == "confirmed" and order.status == "confirmed" and order.payment_url:
        parts.append(texts["pay"].format(url=order.payment_url))
    elif change.transition == "paid" and order.invoice is not None:
        if invoice_link is not None:
            parts.append(texts["invoice"].format(invoice=order.invoice.number, link=invoice_link))
        else:
            parts.append(texts["invoice_later"])
    elif change.transition == "shipped" and order.tracking_code:
        parts.append(texts["tracking"].format(tracking=order.tracking_code))
    return "\n".join(parts)


def unsent_note(change: OrderChange, text: str) -> str:
    """What operators read in the conversation when the 24-hour window kept a message back."""
    return (
        f"Order {change.order.number} {change.transition}: not sent to the customer, whose last "
        "message is older than 24 hours (WhatsApp allows only an approved template now). "
        f"It would have said: {text}"
    )


def outbound_id_for(order_event_id: uuid.UUID) -> uuid.UUID:
    """The outbound id of the message about one order event: the same on every redelivery."""
    return uuid.uuid5(_OUTBOUND_IDS, str(order_event_id))


def outbound_event_id_for(order_event_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(_EVENT_IDS, str(order_event_id))
