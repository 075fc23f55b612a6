"""Everything the offline assistant says, per language, and how it writes money and stock.

Templates hold no digits: every number in a reply comes from tool results (a test checks).
Adding a language is adding a `Phrasebook` here (plus its profile and lexicon).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

SYMBOLS_BY_CURRENCY: Mapping[str, str] = {"EUR": "€", "GBP": "£", "USD": "$"}


@dataclass(frozen=True)
class Phrasebook:
    code: str
    greeting: str
    thanks: str
    unknown: str
    ask_what: str
    human_handoff: str
    products_intro: str
    products_intro_budget: str
    price_intro: str
    availability_intro: str
    products_outro: str
    not_found: str
    not_found_budget: str
    faq_other_language: str
    source_cited: str
    """How a passage of a shop document is credited ("from the Warranty terms, p. 2")."""
    faq_not_found: str
    media_unsupported: str
    order_received: str
    tools_unavailable: str
    slow_down: str
    """The one reply to a customer writing faster than the shop's limit (`domain.pace`)."""
    in_stock: str
    out_of_stock: str
    language_names: Mapping[str, str]
    decimal_separator: str
    thousands_separator: str
    space_after_symbol: bool
    """`€ 12,50` (it, es) or `€12.50` (en)."""
    products_intro_closest: str
    """Products matching the type, colour and budget asked, but not every word of it."""
    not_sold: str
    """No product of the named type at all ({what}: the type's name)."""
    category_names: Mapping[str, str]
    """Product type (lexicon category key) -> its name in this language."""
    offers_intro: str
    offers_intro_matching: str
    offers_none_matching: str
    """The customer named something no current offer covers; all offers follow."""
    no_offers: str
    discount_not_offered: str
    """The customer named a discount no current offer gives."""
    offers_outro: str
    offer_discount: str
    offer_until: str
    offer_from: str
    offer_between: str
    offer_products: str
    months: tuple[str, ...]
    date_pattern: str
    """How a date is written: {day}, {month} (a name from `months`), {year}."""
    we_sell: str = "{categories}"
    """After "we don't have X": the kinds of product the shop does sell."""

    def price(self, amount: Decimal, currency: str) -> str:
        """The exact catalog price, written the way this language writes money."""
        cents = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        units, _, decimals = f"{abs(cents):f}".partition(".")
        grouped = f"{int(units):,}".replace(",", self.thousands_separator)
        number = f"{'-' if cents < 0 else ''}{grouped}{self.decimal_separator}{decimals}"
        symbol = SYMBOLS_BY_CURRENCY.get(currency.upper())
        if symbol is None:
            return f"{currency.upper()} {number}"
        return f"{symbol} {number}" if self.space_after_symbol else f"{symbol}{number}"

    def stock(self, count: int) -> str:
        return self.in_stock.format(count=count) if count > 0 else self.out_of_stock

    def language_name(self, code: str) -> str:
        return self.language_names.get(code, code)

    def percent(self, value: Decimal) -> str:
        """A discount as the data states it: no rounding, only trailing zeros dropped."""
        whole, _, fraction = f"{abs(value):f}".partition(".")
        fraction = fraction.rstrip("0")
        number = f"{whole}{self.decimal_separator}{fraction}" if fraction else whole
        return f"{'-' if value < 0 else ''}{number}%"

    def date_text(self, day: date) -> str:
        return self.date_pattern.format(
            day=day.day, month=self.months[day.month - 1], year=day.year
        )

    def validity(self, start: date | None, until: date | None) -> str | None:
        """An offer's period in words; None when it is open at both ends."""
        if start and until:
            return self.offer_between.format(
                start=self.date_text(start), until=self.date_text(until)
            )
        if until:
            return self.offer_until.format(until=self.date_text(until))
        if start:
            return self.offer_from.format(start=self.date_text(start))
        return None

    def category_name(self, key: str) -> str:
        return self.category_names.get(key, key)


ITALIAN = Phrasebook(
    we_sell="Da noi trovi: {categories}.",
    code="it",
    greeting=(
        "Ciao! Sono l'assistente di {shop}. Posso aiutarti a scegliere tra i nostri prodotti, "
        "con prezzi e disponibilità, e rispondere a domande su spedizioni, orari e pagamenti. "
        "Cosa cerchi?"
    ),
    thanks="Grazie a te! Se ti serve altro, scrivimi pure.",
    unknown=(
        "Non sono sicuro di aver capito. Posso cercare prodotti per nome, tipo o budget, dirti "
        "prezzi e disponibilità, e rispondere su spedizioni, orari e pagamenti. Se preferisci, "
        "ti metto in contatto con una persona del negozio."
    ),
    ask_what="Certo! Quale prodotto ti interessa? Dimmi il nome, il tipo o il tuo budget.",
    human_handoff=(
        "Certo, ti metto in contatto con una persona di {shop}: ti risponderà appena possibile."
    ),
    products_intro="Ecco cosa ti posso proporre:",
    products_intro_budget="Ecco cosa abbiamo nel tuo budget:",
    price_intro="Ecco i prezzi:",
    availability_intro="Ecco la disponibilità:",
    products_outro="Vuoi altre informazioni su uno di questi?",
    not_found=(
        "Mi dispiace, non abbiamo trovato prodotti che corrispondono alla tua richiesta. "
        "Vuoi che ti metta in contatto con una persona del negozio?"
    ),
    not_found_budget=(
        "Mi dispiace, non abbiamo trovato prodotti adatti in quella fascia di prezzo. "
        "Vuoi che ti metta in contatto con una persona del negozio?"
    ),
    faq_other_language="Ecco la nostra risposta (in {language}):",
    source_cited="(fonte: {citation})",
    faq_not_found=(
        "Non ho trovato una risposta sicura a questa domanda. "
        "Vuoi che ti metta in contatto con una persona del negozio?"
    ),
    media_unsupported=(
        "Ho ricevuto il tuo messaggio, ma per ora leggo solo i messaggi di testo. "
        "Puoi scrivermi cosa ti serve?"
    ),
    slow_down=(
        "Mi stai scrivendo molto in fretta: ho ricevuto tutti i tuoi messaggi e il negozio li "
        "può leggere. Ti rispondo di nuovo tra un minuto."
    ),
    order_received=(
        "Grazie per l'ordine! Una persona del negozio lo controllerà e ti risponderà a breve."
    ),
    tools_unavailable=(
        "Mi dispiace, in questo momento non riesco a consultare il catalogo. "
        "Ti metto in contatto con una persona del negozio."
    ),
    in_stock="disponibile: {count}",
    out_of_stock="non disponibile",
    language_names={"it": "italiano", "en": "inglese", "es": "spagnolo"},
    decimal_separator=",",
    thousands_separator=".",
    space_after_symbol=True,
    products_intro_closest=(
        "Non ho trovato esattamente quello che cerchi; ecco cosa ci va più vicino:"
    ),
    not_sold=(
        "Mi dispiace, non abbiamo {what} nel nostro catalogo. Posso aiutarti a trovare "
        "qualcos'altro, o preferisci parlare con una persona del negozio?"
    ),
    category_names={
        "vino": "vino",
        "olio": "olio",
        "pasta": "pasta",
        "formaggi": "formaggi",
        "salumi": "salumi",
        "dolci": "dolci",
        "birra": "birra",
        "distillati": "distillati e superalcolici",
    },
    offers_intro="Ecco le offerte in corso:",
    offers_intro_matching="Ecco le offerte in corso su quello che cerchi:",
    offers_none_matching=(
        "Al momento non ci sono offerte su quello che cerchi. Ecco le offerte in corso:"
    ),
    no_offers="Al momento non abbiamo offerte in corso. Posso aiutarti a scegliere un prodotto?",
    discount_not_offered=(
        "Non posso applicare sconti diversi dalle nostre offerte in corso: li decide il "
        "negozio. Vuoi che ti metta in contatto con una persona, o preferisci vedere le "
        "offerte attive?"
    ),
    offers_outro="Vuoi prezzi e disponibilità di uno di questi prodotti?",
    offer_discount="{percent} di sconto",
    offer_until="fino al {until}",
    offer_from="dal {start}",
    offer_between="dal {start} al {until}",
    offer_products="Prodotti: {names}",
    months=(
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ),
    date_pattern="{day} {month} {year}",
)

ENGLISH = Phrasebook(
    we_sell="What we do have: {categories}.",
    code="en",
    greeting=(
        "Hi! I'm the assistant of {shop}. I can help you choose among our products, with "
        "prices and availability, and answer questions about shipping, opening hours and "
        "payment. What are you looking for?"
    ),
    thanks="You're welcome! If you need anything else, just write.",
    unknown=(
        "I'm not sure I understood. I can look up products by name, type or budget, tell you "
        "prices and availability, and answer questions about shipping, opening hours and "
        "payment. If you prefer, I can put you in touch with someone from the shop."
    ),
    ask_what="Sure! Which product are you interested in? Tell me its name, type or your budget.",
    human_handoff=(
        "Of course, I'll put you in touch with someone from {shop}: "
        "they'll reply as soon as possible."
    ),
    products_intro="Here's what I can suggest:",
    products_intro_budget="Here's what we have within your budget:",
    price_intro="Here are the prices:",
    availability_intro="Here's the availability:",
    products_outro="Would you like more details on any of these?",
    not_found=(
        "Sorry, we couldn't find any products matching your request. "
        "Would you like me to put you in touch with someone from the shop?"
    ),
    not_found_budget=(
        "Sorry, we couldn't find suitable products in that price range. "
        "Would you like me to put you in touch with someone from the shop?"
    ),
    faq_other_language="Here is our answer (in {language}):",
    source_cited="(from the {citation})",
    faq_not_found=(
        "I couldn't find a reliable answer to that. "
        "Would you like me to put you in touch with someone from the shop?"
    ),
    media_unsupported=(
        "I got your message, but for now I can only read text messages. "
        "Could you write what you need?"
    ),
    slow_down=(
        "You're writing very quickly: I've received all your messages and the shop can read "
        "them. I'll answer again in a minute."
    ),
    order_received=(
        "Thanks for your order! Someone from the shop will check it and get back to you shortly."
    ),
    tools_unavailable=(
        "Sorry, I can't check the catalogue right now. "
        "I'll put you in touch with someone from the shop."
    ),
    in_stock="in stock ({count})",
    out_of_stock="out of stock",
    language_names={"it": "Italian", "en": "English", "es": "Spanish"},
    decimal_separator=".",
    thousands_separator=",",
    space_after_symbol=False,
    products_intro_closest="I couldn't find exactly what you asked for; here's the closest we have:",
    not_sold=(
        "Sorry, we don't have {what} in our catalogue. Can I help you find something else, "
        "or would you rather talk to someone from the shop?"
    ),
    category_names={
        "vino": "wine",
        "olio": "olive oil",
        "pasta": "pasta",
        "formaggi": "cheese",
        "salumi": "cured meats",
        "dolci": "sweets",
        "birra": "beer",
        "distillati": "spirits",
    },
    offers_intro="Here are our current offers:",
    offers_intro_matching="Here are our current offers on what you're looking for:",
    offers_none_matching="There's no current offer on that. Here are the offers we have:",
    no_offers="We have no offers running right now. Can I help you choose a product?",
    discount_not_offered=(
        "I can't apply discounts other than our current offers: those are up to the shop. "
        "Would you like me to put you in touch with someone, or see the offers we have?"
    ),
    offers_outro="Would you like prices and availability for any of these products?",
    offer_discount="{percent} off",
    offer_until="until {until}",
    offer_from="from {start}",
    offer_between="from {start} to {until}",
    offer_products="Products: {names}",
    months=(
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    date_pattern="{day} {month} {year}",
)

SPANISH = Phrasebook(
    we_sell="Lo que sí tenemos: {categories}.",
    code="es",
    greeting=(
        "¡Hola! Soy el asistente de {shop}. Puedo ayudarte a elegir entre nuestros productos, "
        "con precios y disponibilidad, y responder sobre envíos, horarios y pagos. ¿Qué buscas?"
    ),
    thanks="¡De nada! Si necesitas algo más, escríbeme.",
    unknown=(
        "No estoy seguro de haberte entendido. Puedo buscar productos por nombre, tipo o "
        "presupuesto, darte precios y disponibilidad, y responder sobre envíos, horarios y "
        "pagos. Si lo prefieres, te pongo en contacto con una persona de la tienda."
    ),
    ask_what="¡Claro! ¿Qué producto te interesa? Dime el nombre, el tipo o tu presupuesto.",
    human_handoff=(
        "Por supuesto, te pongo en contacto con una persona de {shop}: "
        "te responderá lo antes posible."
    ),
    products_intro="Esto es lo que te puedo proponer:",
    products_intro_budget="Esto es lo que tenemos dentro de tu presupuesto:",
    price_intro="Estos son los precios:",
    availability_intro="Esta es la disponibilidad:",
    products_outro="¿Quieres más detalles sobre alguno?",
    not_found=(
        "Lo siento, no hemos encontrado productos que coincidan con lo que buscas. "
        "¿Quieres que te ponga en contacto con una persona de la tienda?"
    ),
    not_found_budget=(
        "Lo siento, no hemos encontrado productos adecuados en ese rango de precio. "
        "¿Quieres que te ponga en contacto con una persona de la tienda?"
    ),
    faq_other_language="Esta es nuestra respuesta (en {language}):",
    source_cited="(fuente: {citation})",
    faq_not_found=(
        "No he encontrado una respuesta segura a esa pregunta. "
        "¿Quieres que te ponga en contacto con una persona de la tienda?"
    ),
    media_unsupported=(
        "He recibido tu mensaje, pero por ahora solo leo mensajes de texto. "
        "¿Puedes escribirme qué necesitas?"
    ),
    slow_down=(
        "Me estás escribiendo muy rápido: he recibido todos tus mensajes y la tienda puede "
        "leerlos. Te vuelvo a responder dentro de un minuto."
    ),
    order_received=(
        "¡Gracias por tu pedido! Una persona de la tienda lo revisará y te responderá pronto."
    ),
    tools_unavailable=(
        "Lo siento, ahora mismo no puedo consultar el catálogo. "
        "Te pongo en contacto con una persona de la tienda."
    ),
    in_stock="disponible: {count}",
    out_of_stock="sin stock",
    language_names={"it": "italiano", "en": "inglés", "es": "español"},
    decimal_separator=",",
    thousands_separator=".",
    space_after_symbol=True,
    products_intro_closest=(
        "No he encontrado exactamente lo que buscas; esto es lo más parecido que tenemos:"
    ),
    not_sold=(
        "Lo siento, no tenemos {what} en nuestro catálogo. ¿Te ayudo a encontrar otra cosa "
        "o prefieres hablar con una persona de la tienda?"
    ),
    category_names={
        "vino": "vino",
        "olio": "aceite",
        "pasta": "pasta",
        "formaggi": "quesos",
        "salumi": "embutidos",
        "dolci": "dulces",
        "birra": "cerveza",
        "distillati": "destilados",
    },
    offers_intro="Estas son nuestras ofertas actuales:",
    offers_intro_matching="Estas son nuestras ofertas actuales sobre lo que buscas:",
    offers_none_matching=(
        "Ahora mismo no hay ofertas sobre eso. Estas son nuestras ofertas actuales:"
    ),
    no_offers="Ahora mismo no tenemos ofertas activas. ¿Te ayudo a elegir un producto?",
    discount_not_offered=(
        "No puedo aplicar descuentos distintos de nuestras ofertas actuales: eso lo decide la "
        "tienda. ¿Quieres que te ponga en contacto con una persona o prefieres ver las ofertas?"
    ),
    offers_outro="¿Quieres precios y disponibilidad de alguno de estos productos?",
    offer_discount="{percent} de descuento",
    offer_until="hasta el {until}",
    offer_from="desde el {start}",
    offer_between="del {start} al {until}",
    offer_products="Productos: {names}",
    months=(
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),
    date_pattern="{day} de {month} de {year}",
)

PHRASEBOOKS: Mapping[str, Phrasebook] = {b.code: b for b in (ITALIAN, ENGLISH, SPANISH)}

FALLBACK_LANGUAGE = "en"


def phrasebook(language: str) -> Phrasebook:
    """The phrasebook for `language`, English when there is none."""
    return PHRASEBOOKS.get(language) or PHRASEBOOKS[FALLBACK_LANGUAGE]
