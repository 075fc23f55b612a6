"""What the assistant says about carts and orders, in Italian, English and Spanish.

Templates hold no digits: every quantity, price, total and order number comes from the
catalog's answers (a test checks). Money is written by the language's `Phrasebook.price`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class OrderPhrases:
    added: str
    cart_header: str
    line: str
    """{quantity} {label} {unit} {total}"""
    total: str
    cart_empty: str
    removed: str
    cleared: str
    problems: Mapping[str, str]
    """The quote's line problems; {available} is what is left."""
    fix_cart: str
    ask_method: str
    ask_name: str
    ask_address: str
    which_item: str
    nothing_shown: str
    not_in_cart: str
    summary_header: str
    pickup: str
    delivery: str
    confirm_question: str
    confirm_button: str
    tap_to_confirm: str
    """A typed "yes" to the summary: only the button places the order."""
    cancel_button: str
    placed: str
    pay_here: str
    link_later: str
    held_until: str
    stale: str
    nothing_to_confirm: str
    already_placed: str
    price_changed: str
    sold_out: str
    cancelled: str
    rejected: str
    unknown_skus: str
    order_not_found: str
    no_orders: str
    status: str
    statuses: Mapping[str, str]
    tracking: str
    unavailable: str


ITALIAN = OrderPhrases(
    added="Aggiunto al carrello.",
    cart_header="Il tuo carrello:",
    line="• {quantity} x *{label}* — {unit} cad. = {total}",
    total="Totale: *{total}*",
    cart_empty="Il carrello è vuoto: dimmi cosa desideri e lo aggiungo.",
    removed="Tolto dal carrello.",
    cleared="Ho svuotato il carrello.",
    problems={
        "unknown_sku": "non è nel nostro catalogo",
        "inactive": "non è più in vendita",
        "out_of_stock": "esaurito",
        "insufficient_stock": "ne restano solo {available}",
        "quantity_over_limit": "quantità oltre il massimo per riga",
    },
    fix_cart="Cambia la quantità (per esempio «mettine una») o togli il prodotto per procedere.",
    ask_method="Preferisci il *ritiro* in negozio o la *consegna* a domicilio?",
    ask_name="A che nome faccio l'ordine?",
    ask_address="A quale indirizzo lo consegniamo?",
    which_item="Quale prodotto? Scrivi per esempio «il primo» o il nome:",
    nothing_shown="Dimmi quale prodotto vuoi, per esempio «avete il Barolo?», e lo aggiungo.",
    not_in_cart="Quel prodotto non è nel carrello.",
    summary_header="Riepilogo dell'ordine:",
    pickup="Ritiro in negozio a nome di {name}",
    delivery="Consegna a {address}, a nome di {name}",
    confirm_question="Confermi l'ordine?",
    confirm_button="Confermo",
    tap_to_confirm="Per confermare l'ordine tocca il pulsante «Confermo» qui sotto.",
    cancel_button="Annulla",
    placed="Ordine *{number}* ricevuto! Totale {total}.",
    pay_here="Paga qui: {url}",
    link_later="Ti mandiamo il link per pagare tra poco.",
    held_until="Teniamo i prodotti da parte fino al {until}.",
    stale="Quel riepilogo non vale più: il carrello è cambiato. Nessun ordine è stato fatto.",
    nothing_to_confirm="Non c'è nessun ordine da confermare: il carrello è vuoto o scaduto. "
    "Nessun ordine è stato fatto.",
    already_placed="L'ordine *{number}* è già stato fatto.",
    price_changed="Nel frattempo alcuni prezzi sono cambiati: ecco il carrello aggiornato.",
    sold_out="Nel frattempo alcuni prodotti sono finiti: ecco il carrello aggiornato.",
    cancelled="Va bene, ordine annullato: il carrello è vuoto.",
    rejected="Non sono riuscito a fare l'ordine. Riprova tra poco o scrivici.",
    unknown_skus="Questi codici non sono nel nostro catalogo: {skus}",
    order_not_found="Non trovo quell'ordine.",
    no_orders="Non trovo ordini a tuo nome.",
    status="L'ordine *{number}* ({total}) è {status}.",
    statuses={
        "pending": "in attesa di pagamento",
        "confirmed": "confermato",
        "paid": "pagato, lo stiamo preparando",
        "shipped": "stato spedito",
        "delivered": "stato consegnato",
        "cancelled": "stato annullato",
        "refunded": "stato rimborsato",
    },
    tracking="Codice di tracciamento: {code}",
    unavailable="Non riesco a raggiungere il negozio in questo momento: riprova tra poco.",
)

ENGLISH = OrderPhrases(
    added="Added to your cart.",
    cart_header="Your cart:",
    line="• {quantity} x *{label}* — {unit} each = {total}",
    total="Total: *{total}*",
    cart_empty="Your cart is empty: tell me what you'd like and I'll add it.",
    removed="Removed from your cart.",
    cleared="I emptied your cart.",
    problems={
        "unknown_sku": "not in our catalogue",
        "inactive": "no longer for sale",
        "out_of_stock": "sold out",
        "insufficient_stock": "only {available} left",
        "quantity_over_limit": "more than the maximum per line",
    },
    fix_cart="Change the quantity (e.g. \u201cmake it one\u201d) or remove the item to go on.",
    ask_method="Would you like to *pick it up* in store or have it *delivered*?",
    ask_name="What name should I put the order under?",
    ask_address="What address should we deliver to?",
    which_item="Which product? Say for example \u201cthe first one\u201d or its name:",
    nothing_shown="Tell me which product you'd like, e.g. \u201cdo you have Barolo?\u201d, "
    "and I'll add it.",
    not_in_cart="That product isn't in your cart.",
    summary_header="Your order:",
    pickup="Pickup in store, name: {name}",
    delivery="Delivery to {address}, name: {name}",
    confirm_question="Shall I place the order?",
    confirm_button="Confirm",
    tap_to_confirm="To place the order, tap the “Confirm” button below.",
    cancel_button="Cancel",
    placed="Order *{number}* received! Total {total}.",
    pay_here="Pay here: {url}",
    link_later="We'll send you the payment link shortly.",
    held_until="We're holding the items for you until {until}.",
    stale="That summary is no longer valid: your cart changed. No order was placed.",
    nothing_to_confirm="There's no order to confirm: your cart is empty or expired. "
    "No order was placed.",
    already_placed="Order *{number}* has already been placed.",
    price_changed="Some prices changed in the meantime: here is your updated cart.",
    sold_out="Some items sold out in the meantime: here is your updated cart.",
    cancelled="OK, order cancelled: your cart is empty.",
    rejected="I couldn't place the order. Please try again shortly or write to us.",
    unknown_skus="These codes aren't in our catalogue: {skus}",
    order_not_found="I can't find that order.",
    no_orders="I can't find any order of yours.",
    status="Order *{number}* ({total}) is {status}.",
    statuses={
        "pending": "waiting for payment",
        "confirmed": "confirmed",
        "paid": "paid, we're preparing it",
        "shipped": "shipped",
        "delivered": "delivered",
        "cancelled": "cancelled",
        "refunded": "refunded",
    },
    tracking="Tracking code: {code}",
    unavailable="I can't reach the shop right now: please try again shortly.",
)

SPANISH = OrderPhrases(
    added="Añadido al carrito.",
    cart_header="Tu carrito:",
    line="• {quantity} x *{label}* — {unit} c/u = {total}",
    total="Total: *{total}*",
    cart_empty="Tu carrito está vacío: dime qué quieres y lo añado.",
    removed="Quitado del carrito.",
    cleared="He vaciado el carrito.",
    problems={
        "unknown_sku": "no está en nuestro catálogo",
        "inactive": "ya no está a la venta",
        "out_of_stock": "agotado",
        "insufficient_stock": "solo quedan {available}",
        "quantity_over_limit": "más del máximo por línea",
    },
    fix_cart="Cambia la cantidad (por ejemplo «pon una») o quita el producto para seguir.",
    ask_method="¿Prefieres *recogerlo* en la tienda o *envío* a domicilio?",
    ask_name="¿A nombre de quién hago el pedido?",
    ask_address="¿A qué dirección lo enviamos?",
    which_item="¿Qué producto? Di por ejemplo «el primero» o su nombre:",
    nothing_shown="Dime qué producto quieres, por ejemplo «¿tenéis Rioja?», y lo añado.",
    not_in_cart="Ese producto no está en el carrito.",
    summary_header="Resumen del pedido:",
    pickup="Recogida en tienda a nombre de {name}",
    delivery="Envío a {address}, a nombre de {name}",
    confirm_question="¿Confirmas el pedido?",
    confirm_button="Confirmar",
    tap_to_confirm="Para confirmar el pedido, toca el botón «Confirmar» de abajo.",
    cancel_button="Cancelar",
    placed="¡Pedido *{number}* recibido! Total {total}.",
    pay_here="Paga aquí: {url}",
    link_later="Te enviamos el enlace de pago en breve.",
    held_until="Te guardamos los productos hasta el {until}.",
    stale="Ese resumen ya no vale: el carrito ha cambiado. No se ha hecho ningún pedido.",
    nothing_to_confirm="No hay ningún pedido que confirmar: el carrito está vacío o caducado. "
    "No se ha hecho ningún pedido.",
    already_placed="El pedido *{number}* ya está hecho.",
    price_changed="Mientras tanto han cambiado algunos precios: aquí tienes el carrito "
    "actualizado.",
    sold_out="Mientras tanto se han agotado algunos productos: aquí tienes el carrito actualizado.",
    cancelled="Vale, pedido cancelado: el carrito está vacío.",
    rejected="No he podido hacer el pedido. Inténtalo de nuevo en breve o escríbenos.",
    unknown_skus="Estos códigos no están en nuestro catálogo: {skus}",
    order_not_found="No encuentro ese pedido.",
    no_orders="No encuentro ningún pedido tuyo.",
    status="El pedido *{number}* ({total}) está {status}.",
    statuses={
        "pending": "pendiente de pago",
        "confirmed": "confirmado",
        "paid": "pagado, lo estamos preparando",
        "shipped": "enviado",
        "delivered": "entregado",
        "cancelled": "cancelado",
        "refunded": "reembolsado",
    },
    tracking="Código de seguimiento: {code}",
    unavailable="Ahora mismo no consigo contactar con la tienda: inténtalo de nuevo en breve.",
)

ORDER_PHRASES: Mapping[str, OrderPhrases] = {"it": ITALIAN, "en": ENGLISH, "es": SPANISH}


def order_phrases(language: str) -> OrderPhrases:
    return ORDER_PHRASES.get(language, ENGLISH)
