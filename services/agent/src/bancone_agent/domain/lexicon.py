"""The words behind intents and slots, one `Lexicon` per language: adding a language is data.

Everything is accent-folded and lower-case ("piu", "envio", "rose"), because customers type
accents or not. Patterns are regex fragments matched on word boundaries; `understanding.py`
merges all lexicons, so a Spanish word in an Italian sentence still counts.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Lexicon:
    """Intent cues, slot words and stopwords of one language."""

    code: str
    stopwords: frozenset[str]
    """Words that are never product keywords: function words, verbs, politeness."""
    shopping: tuple[str, ...]
    """"Do you have / I'm looking for": the customer wants products."""
    greeting: tuple[str, ...]
    thanks: tuple[str, ...]
    """Thanks and acknowledgements ("ok", "perfetto")."""
    help: tuple[str, ...]
    """Asking what the assistant can do, or not understanding it."""
    human: tuple[str, ...]
    """Asking for a person."""
    price: tuple[str, ...]
    availability: tuple[str, ...]
    faq_topics: Mapping[str, tuple[str, ...]]
    """Topic -> cues; topics are shared keys (shipping, hours, payment, returns, location,
    offers)."""
    colours: Mapping[str, str]
    """Word -> canonical colour as catalog attributes spell it (red, white, rose, sparkling)."""
    cheap: tuple[str, ...]
    budget_max_before: tuple[str, ...]
    """Precede an amount that is a ceiling: "sotto i", "under", "menos de"."""
    budget_max_after: tuple[str, ...] = ()
    """Follow an amount that is a ceiling: "max", "o meno", "or less"."""
    budget_min_before: tuple[str, ...] = ()
    range_open: tuple[str, ...] = ()
    """Open a price range: "tra", "between", "entre"."""
    range_join: tuple[str, ...] = ()
    """Join its two amounts: "e", "and", "y"."""
    currencies: Mapping[str, str] = field(default_factory=dict)
    """Currency words of this language -> ISO code."""
    categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Product type -> cues naming it ("olio", "olive oil", "aceite"); types are shared keys
    of `CATEGORY_SLUGS`. Only words that name a type, never a product ("biscotti" is a
    product the search finds by its tags, "dolci" is the type)."""


def _w(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _t(text: str) -> tuple[str, ...]:
    """Split "a|b(?:c|d)" on its top-level bars only: "a", "b(?:c|d)"."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "|" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return tuple(part.strip() for part in parts if part.strip())


ITALIAN = Lexicon(
    code="it",
    stopwords=_w(
        """il lo la i gli le un uno una di da in con su per tra fra del dello della dei degli
        delle al allo alla ai agli alle dal dalla dai nel nello nella nei nelle sul sulla col
        che chi cui non e ed o oppure ma anche piu meno molto tanto poco ci ne mi ti si vi me
        te ce sono sei e siamo siete ho hai ha abbiamo avete hanno avere essere c l d un dell
        all nell sull dall quest quell questo questa questi queste quello quella quale quali
        quanto quanta quanti quante come dove quando perche cosa qualcosa qualche tutto tutti
        ogni ancora gia sempre mai oggi domani ora adesso poi allora bene grazie mille prego
        ciao salve buongiorno buonasera buondi vorrei volevo voglio vuoi posso puoi potete
        potreste potrei serve servirebbe cerco cercavo cercando sapere dire fare fate mio mia
        miei mie tuo tua vostro vostra vostri vostre nostro sotto sopra circa tipo vendete
        consigliate consigliami consiglio avreste prodotto prodotti euro prezzo prezzi costa
        costano costo disponibile disponibili disponibilita scusate scusi per favore piacere
        perfetto ottimo ok va benissimo prendo comprare acquistare ordinare un po grazie
        economico economica economici economiche conveniente convenienti caro cari massimo max
        budget almeno oltre spendere sui sul intorno attorno bottiglia bottiglie due tre
        scusa scusate capito chiaro periodo momento settimana mese attualmente attiva attive
        attivo attivi corso"""
    ),
    shopping=_t(
        "avete|avreste|vendete|cerco|cercavo|sto cercando|vorrei|volevo|mi serve|"
        "mi servirebbe|consigliate|consigliami|mi consigli|c'e|ce l'avete|tenete"
    ),
    greeting=_t("ciao|salve|buongiorno|buonasera|buon pomeriggio|buondi|hey|ehi"),
    thanks=_t(
        "grazie|grazie mille|ti ringrazio|vi ringrazio|perfetto|ottimo|va bene|ok|capito|"
        "tutto chiaro|a presto|arrivederci|ciao ciao|alla prossima"
    ),
    help=_t("aiuto|aiutami|aiutatemi|non ho capito|non capisco|cosa sai fare"),
    human=_t(
        r"(?:parlare|parlo|parli|passami|passarmi|mettermi in contatto|contattare|sentire)\b.*"
        r"\b(?:persona|qualcuno|operatore|umano|commess[oa]|titolare|negozio|responsabile|"
        r"proprietari[oa]|gestore|negoziante)|"
        r"operatore|un umano|persona (?:vera|reale|in carne)|"
        # "c'è qualcuno?", "mi chiamate?", "potete richiamarmi?", "servizio clienti"
        r"c'e (?:qualcuno|nessuno)|ce qualcuno|qualcuno (?:che )?mi (?:risponde|chiama|richiama)|"
        r"(?:ri)?chiamatemi|mi (?:ri)?chiam(?:ate|i|a)\b|"
        r"mi (?:puo|puoi|potete|potreste|fate) (?:ri)?(?:chiamare|telefonare)|"
        r"(?:potete|puoi|puo|potreste) (?:ri)?(?:chiamarmi|telefonarmi)|essere richiamat\w*|"
        r"(?:servizio|assistenza) clienti|customer care|"
        # frustration with the assistant: a person takes over
        r"non (?:mi )?capisci|non mi (?:stai )?(?:aiutando|aiuti|servi)|sei inutile|"
        r"(?:bot|robot|assistente) inutile|basta (?:con )?(?:il |questo |sto )?(?:bot|robot)|"
        r"non (?:voglio|sopporto) (?:\w+ ){0,3}(?:bot|robot)"
    ),
    price=_t(r"quanto costa\w*|quanto viene|quanto vengono|prezz[oi]|costo|quanto e"),
    availability=_t(
        r"disponibil\w*|c'e ancora|ce l'avete|avete ancora|e rimast\w*|in magazzino|esaurit\w*"
    ),
    faq_topics={
        "shipping": _t(
            r"spedi\w*|consegn\w*|corriere|domicilio|pacco|"
            r"(?:portate|portereste|portano) (?:\w+ )?a casa|"
            r"non (?:mi )?e (?:ancora )?arrivat\w*|dov'e il mio ordine"
        ),
        "hours": _t(r"orari\w*|apert[oi]|aprite|chius[oi]|chiudete"),
        "payment": _t(r"pagare|pagament\w*|bancomat|paypal|satispay|contanti|carta di credito"),
        "returns": _t(r"reso|resi|restitu\w*|rimbors\w*"),
        "location": _t(r"dove siete|dove vi trovo|indirizzo|ritir\w*"),
        "offers": _t(r"offert\w*|promozion\w*|promo|scont[oi]"),
    },
    colours={
        "rosso": "red",
        "rossi": "red",
        "rossa": "red",
        "rosse": "red",
        "bianco": "white",
        "bianchi": "white",
        "bianca": "white",
        "bianche": "white",
        "rosato": "rose",
        "rosati": "rose",
        "rosa": "rose",
        "bollicine": "sparkling",
        "spumante": "sparkling",
        "spumanti": "sparkling",
        "frizzante": "sparkling",
    },
    cheap=_t(
        r"economic\w*|poco costos\w*|non troppo car\w*|conveniente|convenienti|meno car\w*|low cost"
    ),
    budget_max_before=_t(
        "sotto|al di sotto di|meno di|non piu di|massimo|max|fino a|entro|budget|budget di|"
        "inferiore a|non oltre"
    ),
    budget_max_after=_t("max|massimo|al massimo|o meno|non di piu"),
    budget_min_before=_t("sopra|piu di|oltre|almeno|minimo|a partire da|superiore a"),
    range_open=_t("tra|fra|da"),
    range_join=_t("e|a"),
    currencies={"euro": "EUR", "sterline": "GBP", "sterlina": "GBP", "dollari": "USD"},
    categories={
        "vino": _t(r"vin[oi]|vinello"),
        "olio": _t(r"olio(?: d'oliva| di oliva| evo)?|oli"),
        "pasta": _t("pasta"),
        "formaggi": _t(r"formagg[io]|cacio"),
        "salumi": _t(r"salum[ei]|salam[ei]|affettat[io]|insaccat[io]"),
        "dolci": _t("dolci|dolciumi"),
        "birra": _t(r"birr[ae]"),
        "distillati": _t(
            r"distillat[io]|superalcolic[io]|liquor[ei]|whisk(?:e)?y|grappa|gin|rum|vodka|cognac"
        ),
    },
)

ENGLISH = Lexicon(
    code="en",
    stopwords=_w(
        """the a an and or but of to for from with without in on at by about into is are am
        was were be been do does did have has had having you your yours we our us i me my it
        its this that these those there here what which who how much many where when why can
        could would will should may might any some something anything please thanks thank thx
        ty cheers hi hello hey good morning afternoon evening bye yes no not don t s d m ll re
        ve looking look need want wanted like would sell selling buy recommend suggest get got
        please price prices cost costs available stock still left under below less than more
        over between around max maximum most least budget euro euros pounds dollars cheap
        cheaper cheapest inexpensive affordable ok okay great perfect product products one
        ones kind sort type stuff spend lot goes go around bottle bottles two three sorry as
        right now currently current today week month moment special specials running"""
    ),
    shopping=_t(
        "do you have|have you got|got any|do you sell|looking for|i want|i need|i'd like|"
        "i would like|recommend|suggest|any"
    ),
    greeting=_t("hi|hello|hey|hiya|good morning|good afternoon|good evening"),
    thanks=_t(
        "thanks|thank you|thx|ty|cheers|great|perfect|ok|okay|cool|got it|understood|bye|"
        "goodbye|see you"
    ),
    help=_t("help|help me|i don't understand|what can you do"),
    human=_t(
        r"(?:talk|speak|chat|connect|put me through)\b.*"
        r"\b(?:person|human|someone|somebody|anyone|anybody|agent|operator|staff|owner|"
        r"representative|manager)|"
        r"human|operator|real person|get me (?:to )?(?:the |a |an )?(?:real )?"
        r"(?:person|manager|owner|someone|somebody|agent)\b|"
        # "is anyone there?", "can someone call me back", "customer service"
        r"(?:is )?(?:there )?(?:anyone|anybody|someone|somebody) (?:there|here|around|home)\b|"
        r"(?:someone|somebody|anyone|anybody|person|staff)\b.{0,40}?"
        r"\b(?:call|ring|phone|text|contact|message|get back to)(?:s|ed)? (?:me|us)\b|"
        r"(?:call|ring|phone) me(?: back)?\b|give me a (?:call|ring)|"
        r"customer (?:service|support|care)|member of (?:the )?staff|"
        # frustration with the assistant: a person takes over
        r"useless|you(?:'re| are) not (?:helping|listening|understanding)|not helpful|"
        r"you (?:don't|do not) (?:understand|get it)|(?:stupid|dumb) (?:bot|robot)|"
        r"fed up|waste of (?:my )?time"
    ),
    price=_t(r"how much|price\w*|cost\w*"),
    availability=_t(r"in stock|available|availability|any left|still have|sold out|out of stock"),
    faq_topics={
        "shipping": _t(
            r"ship\w*|deliver\w*|courier|postage|parcel|"
            r"(?:hasn't|has not|not|didn't|did not|never) (?:yet )?arrived?|where is my order|where's my order"
        ),
        "hours": _t(r"open\w*|hours|close\w*"),
        "payment": _t(r"pay|payment\w*|paypal|credit card\w*|card|cards|cash"),
        "returns": _t(r"return\w*|refund\w*|(?:bring|take|send) (?:\w+ ){0,3}back|exchange\w*"),
        "location": _t(
            r"where are you|where is your|where's your|address|located|pick\w*(?: it)? up|collect"
        ),
        "offers": _t(
            r"offer\w*|promo\w*|discount\w*|deal|deals|coupon\w*|"
            r"\d+(?:[.,]\d+)?\s*(?:%|percent|per cent)\s+off"
        ),
    },
    colours={
        "red": "red",
        "reds": "red",
        "white": "white",
        "whites": "white",
        "rose": "rose",
        "roses": "rose",
        "pink": "rose",
        "sparkling": "sparkling",
        "bubbly": "sparkling",
        "bubbles": "sparkling",
        "fizz": "sparkling",
    },
    cheap=_t(r"cheap\w*|inexpensive|affordable|low cost|not too expensive"),
    budget_max_before=_t(
        "under|below|less than|cheaper than|no more than|not more than|up to|at most|max|"
        "maximum|within|budget|budget of|lower than"
    ),
    budget_max_after=_t("max|maximum|or less|tops|at most"),
    budget_min_before=_t("over|above|more than|at least|minimum|from|starting at"),
    range_open=_t("between|from"),
    range_join=_t("and|to"),
    currencies={
        "eur": "EUR",
        "euro": "EUR",
        "euros": "EUR",
        "gbp": "GBP",
        "pound": "GBP",
        "pounds": "GBP",
        "quid": "GBP",
        "usd": "USD",
        "dollar": "USD",
        "dollars": "USD",
        "bucks": "USD",
    },
    categories={
        "vino": _t(r"wines?"),
        "olio": _t(r"(?:olive )?oils?"),
        "pasta": _t("pasta"),
        "formaggi": _t(r"cheeses?"),
        "salumi": _t(r"cured meats?|charcuterie|salami|cold cuts"),
        "dolci": _t("sweets|confectionery"),
        "birra": _t(r"beers?|ales?|lagers?|ipa"),
        "distillati": _t(
            r"spirits|liquors?|whisk(?:e)?y|scotch|bourbon|grappa|gin|rum|vodka|cognac|brandy"
        ),
    },
)

SPANISH = Lexicon(
    code="es",
    stopwords=_w(
        """el la los las un una unos unas de del al a y e o u que quien cual cuales como cuando
        donde cuanto cuanta cuantos cuantas por para con sin en es son esta estan estoy soy hay
        ha he tener tengo tienes tiene tenemos teneis tienen me te se nos os le les lo mi mis tu
        tus su sus nuestro vuestro muy mas menos mucho muchos muchas poco algo alguno alguna
        algun nada todo todos tambien ya todavia aun hoy manana ahora luego bien si no hola
        gracias buenos buenas dias tardes noches adios vale bueno quiero quisiera queria busco
        buscando necesito puedo puede pueden podria hacen haceis hace venden vendeis recomiendas
        recomiendan recomendais precio precios cuesta cuestan valen disponible disponibles stock
        favor tal producto productos tipo euros euro perfecto genial llevo barato barata baratos
        baratas economico economica economicos asequible caro entre hasta maximo minimo
        presupuesto gastar quedan queda botella botellas dos tres perdona perdon momento semana
        mes actualmente activa activas vigente vigentes especial especiales"""
    ),
    shopping=_t(
        "teneis|tienen|tienes|venden|vendeis|busco|buscando|quiero|quisiera|necesito|"
        "me recomiendas|recomiendan|recomendais|hay"
    ),
    greeting=_t("hola|buenos dias|buenas tardes|buenas noches|buenas|que tal"),
    thanks=_t(
        "gracias|muchas gracias|mil gracias|te lo agradezco|perfecto|genial|vale|entendido|"
        "hasta luego|adios|chao|nos vemos"
    ),
    help=_t("ayuda|ayudame|no entiendo|no entendi|que sabes hacer"),
    human=_t(
        r"(?:hablar|hable|comunicarme|contactar|pasame|ponerme en contacto|atienda|atender)\b.*"
        r"\b(?:persona|humano|alguien|agente|operador|encargad[oa]|duen[oa]|responsable|"
        r"gerente|propietari[oa])|"
        r"humano|operador|persona real|(?:persona|alguien) de verdad|"
        # "¿hay alguien?", "que me llame alguien", "¿me podéis llamar?", "atención al cliente"
        r"hay alguien|alguien (?:ahi|me (?:atiende|responde|lee))|"
        r"llam(?:adme|ame|arme|eme|enme)\b|me (?:llame|llamen|llameis)\b|"
        r"me (?:podeis|puedes|puede|pueden|podrias|podria|podrian) llamar|"
        r"(?:atencion|servicio) (?:al|de) cliente\w*|"
        # frustration with the assistant: a person takes over
        r"no me (?:entiendes|entiende|ayudas|estas ayudando)|no entiendes nada|"
        r"no sirve\w* (?:para|de) nada|eres inutil|(?:bot|robot) inutil|estoy hart[oa]"
    ),
    price=_t(r"cuanto cuesta\w*|cuanto vale\w*|cuanto es|precio\w*"),
    availability=_t(r"disponible\w*|quedan|queda|hay stock|en stock|agotad\w*|todavia teneis"),
    faq_topics={
        "shipping": _t(
            r"envi\w*|entreg\w*|mensajer\w*|paquete|a domicilio|"
            r"no (?:me )?ha llegado|donde esta mi pedido"
        ),
        "hours": _t(r"horario\w*|abr[eia]\w*|abiert[oa]s?|cierra\w*|cerrad[oa]s?"),
        "payment": _t(r"pagar|pago|tarjeta\w*|efectivo|bizum|paypal"),
        "returns": _t(r"devoluci\w*|devolver|reembols\w*"),
        "location": _t(r"donde estan|donde esta la tienda|direccion|ubicaci\w*|recoger"),
        "offers": _t(r"oferta\w*|promoci\w*|descuento\w*|rebaja\w*"),
    },
    colours={
        "tinto": "red",
        "tintos": "red",
        "blanco": "white",
        "blancos": "white",
        "rosado": "rose",
        "rosados": "rose",
        "espumoso": "sparkling",
        "espumosos": "sparkling",
        "cava": "sparkling",
        "burbujas": "sparkling",
    },
    cheap=_t(r"barat\w*|economic\w*|asequible\w*|no muy car\w*|low cost"),
    budget_max_before=_t(
        "menos de|por debajo de|no mas de|como maximo|maximo|hasta|presupuesto de|presupuesto|"
        "inferior a"
    ),
    budget_max_after=_t("maximo|como maximo|o menos|max"),
    budget_min_before=_t("mas de|al menos|minimo|desde|por encima de"),
    range_open=_t("entre|de"),
    range_join=_t("y|a"),
    currencies={"euros": "EUR", "euro": "EUR", "libras": "GBP", "libra": "GBP", "dolares": "USD"},
    categories={
        "vino": _t(r"vinos?"),
        "olio": _t(r"aceites?(?: de oliva)?"),
        "pasta": _t(r"pastas?"),
        "formaggi": _t(r"quesos?"),
        "salumi": _t(r"embutidos?|fiambres?|salchichon"),
        "dolci": _t("dulces"),
        "birra": _t(r"cervezas?"),
        "distillati": _t(
            r"destilados?|licores?|whisk(?:e)?y|aguardientes?|grappa|ginebra|gin|ron|vodka|conac"
        ),
    },
)

LEXICONS: Mapping[str, Lexicon] = {lex.code: lex for lex in (ITALIAN, ENGLISH, SPANISH)}

CURRENCY_SYMBOLS: Mapping[str, str] = {"€": "EUR", "£": "GBP", "$": "USD", "eur": "EUR"}

WINE_SLUGS = frozenset({"vino-rosso", "vino-bianco", "vino-rosato", "spumante"})

CATEGORY_SLUGS: Mapping[str, frozenset[str]] = {
    "vino": WINE_SLUGS,
    "olio": frozenset({"olio"}),
    "pasta": frozenset({"pasta"}),
    "formaggi": frozenset({"formaggi"}),
    "salumi": frozenset({"salumi"}),
    "dolci": frozenset({"dolci"}),
    "birra": frozenset({"birra"}),
    "distillati": frozenset({"distillati"}),
}
"""Product type -> the catalog category slugs holding it (the shared convention: see the
catalog import format). A type a shop doesn't sell still has its slug: asked for it, the
search finds nothing in it and the assistant says so instead of matching a shared word."""

COLOUR_CATEGORIES: Mapping[str, str] = {
    "red": "vino-rosso",
    "white": "vino-bianco",
    "rose": "vino-rosato",
    "sparkling": "spumante",
}
"""Canonical wine colour -> its category slug: "un rosso" is a search in `vino-rosso`."""

KNOWN_SLUGS = frozenset().union(*CATEGORY_SLUGS.values(), COLOUR_CATEGORIES.values())
"""Slugs the lexicon knows: a product in one of them is of a known type; a product in any
other category (a shop's own slug) is judged by its words instead."""
