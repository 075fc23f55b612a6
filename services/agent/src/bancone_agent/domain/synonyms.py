"""Shop words across languages, for query expansion: a customer writing "hammer" or
"martillo" finds the shop's "martello".

Each group is one thing named in Italian, English and Spanish (folded, singular; `mentions`
matches plurals by stem). The groups cover the trades the platform serves — food and wine,
bakery and pastry, hardware and DIY, cosmetics — and are shop-independent: a word maps to its
translations, never to a product. A query word expands to its group; a product naming any
word of the group names the customer's word (`expand`, `product_match.select_products`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from bancone_agent.domain.text import fold

_GROUPS: Final[tuple[str, ...]] = (
    # food, bakery, pastry
    "torta tortas cake cakes tarta pastel",
    "crostata tart tarta",
    "biscotto biscotti biscuit biscuits cookie cookies galleta galletas",
    "cornetto cornetti croissant croissants brioche cruasan medialuna",
    "bombolone bomboloni doughnut donut krapfen berlina bolas",
    "pasticcino pasticcini pastry pastries pastel pasteles paste",
    "cioccolato chocolate cioccolatino cioccolatini bombon bombones",
    "pralina praline praline pralines",
    "cioccolato chocolate chocolates",
    "fondente dark negro amargo",
    "pistacchio pistachio pistacho",
    "mandorla mandorle almond almonds almendra almendras",
    "nocciola hazelnut avellana",
    "crema cream custard",
    "panna whipped nata",
    "ricotta ricotta requeson",
    "albicocca apricot albaricoque",
    "frutti bosco berries frutos rojos",
    "formaggio formaggi cheese queso",
    "glutine gluten gluten",
    "vegano vegana vegan vegano",
    "integrale wholemeal wholegrain integral",
    "miele honey miel",
    "caffe coffee cafe",
    "te tea",
    "decaffeinato decaf descafeinado",
    "pane bread pan",
    "gelato icecream helado",
    "compleanno birthday cumpleanos",
    "celiaco celiaci celiaca celiachia coeliac coeliacs celiac celiacs celiacos celiacas",
    "allergene allergeni allergen allergens alergeno alergenos",
    "regalo gift present",
    "meringa meringhe meringue meringues merengue merengues",
    "amaretto amaretti macaroon macaroons amarettis",
    "panettone panettone panetone",
    "colomba colomba",
    "olio oil aceite",
    "vino wine",
    "birra beer cerveza",
    "pasta pasta",
    "miele honey miel",
    "salame salami salchichon",
    "prosciutto ham jamon",
    "aceto vinegar vinagre",
    "dolce dolci dessert sweet sweets postre dulce dulces",
    # hardware and DIY
    "trapano drill taladro",
    "avvitatore screwdriver atornillador",
    "batteria battery cordless bateria inalambrico",
    "percussione percussion percutor",
    "martello hammer martillo",
    "cacciavite giravite screwdriver screwdrivers destornillador destornilladores",
    "metro flessometro tape measure cinta metrica",
    "misura measure medida",
    "livella level nivel",
    "vite viti screw screws tornillo tornillos",
    "tassello tasselli plug plugs anchor anchors taco tacos",
    "chiodo chiodi nail nails clavo clavos",
    "legno wood madera",
    "muro wall pared",
    "parete pareti wall walls pared paredes",
    "vernice vernici paint varnish pintura barniz",
    "pittura paint pintura",
    "smalto enamel esmalte",
    "pennello pennelli brush brushes pincel pinceles brocha",
    "rullo roller rodillo",
    "nastro tape cinta",
    "lampadina bulb lightbulb bombilla bombillas",
    "luce light luz",
    "prolunga extension alargador alargadera",
    "cavo cable cable",
    "presa socket plug enchufe",
    "silicone silicone silicona",
    "sigillante sealant sellador",
    "colla glue pegamento cola",
    "lucchetto padlock candado",
    "chiave chiavi key keys llave llaves",
    "copia copie copy copies copias duplicazione duplicare duplicate duplicar duplicado",
    "tinta tinte tint tinted tinting tintometro",
    "guanto guanti glove gloves guante guantes",
    "lavoro work trabajo",
    "smerigliatrice grinder amoladora radial",
    "sega saw sierra",
    "pinza pinze pliers alicates",
    "scala ladder escalera",
    "bagno bathroom bano",
    "cucina kitchen cocina",
    # cosmetics
    "crema cream crema",
    "shampoo shampoo champu",
    "sapone soap jabon",
    "profumo perfume perfume",
    "rossetto lipstick pintalabios",
    "smalto polish esmalte",
    "viso face cara",
    "mani hands manos",
    "capelli hair pelo cabello",
    "solare sunscreen solar",
    # colours and other facets written as words on products
    "colore colori colour colours color colors colores",
    "rosso red rojo",
    "bianco white blanco",
    "nero black negro",
    "verde green verde",
    "blu blue azul",
    "giallo yellow amarillo",
)


def _index(groups: Iterable[str]) -> Mapping[str, frozenset[str]]:
    """Word -> every word it shares a group with (itself included)."""
    index: dict[str, set[str]] = {}
    for group in groups:
        members = {fold(w) for w in group.split()}
        for word in members:
            index.setdefault(word, {word}).update(members)
    return {word: frozenset(found) for word, found in index.items()}


SYNONYMS: Final[Mapping[str, frozenset[str]]] = _index(_GROUPS)


def variants(word: str) -> frozenset[str]:
    """The word and its translations (just the word when none are known)."""
    folded = fold(word)
    found = SYNONYMS.get(folded)
    if found is None and len(folded) > 4 and folded.endswith("s"):
        found = SYNONYMS.get(folded[:-1])
    return found or frozenset({folded})


def expand(words: Iterable[str]) -> tuple[str, ...]:
    """The words followed by their translations, each once: a keyword search's query."""
    out: dict[str, None] = {}
    for word in words:
        out[fold(word)] = None
        out.update(dict.fromkeys(sorted(variants(word))))
    return tuple(out)
