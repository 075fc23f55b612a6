"""The tools the model may call: pydantic argument models, their JSON schema, and dispatch.

Each tool is a typed function over `ShopTools`, which the caller bound to one tenant: no
argument names a tenant, and an unknown argument (`tenant_id` included) is refused, so no
prompt can make a tool read another shop. Arguments are validated before anything runs;
malformed ones come back to the model as a tool error it can correct, and are recorded.
Every result a tool returns this turn is kept (`Evidence`): it is what the grounding guard
checks the reply against, and what the offline assistant composes from if the model fails.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema

from bancone_agent.domain.assistant import KnowledgeHit, Product, ProductQuery, ShopTools
from bancone_agent.domain.cart_tools import (
    ORDER_TOOL_NAMES,
    AddToCartArgs,
    CartSession,
    OrderStatusArgs,
    RemoveFromCartArgs,
    RequestOrderConfirmationArgs,
    SetFulfilmentArgs,
    ViewCartArgs,
)
from bancone_agent.domain.run import ToolCallRecord

Price = Annotated[
    Decimal,
    Field(ge=0, le=1_000_000, max_digits=12, decimal_places=2),
    WithJsonSchema({"type": "number", "minimum": 0}),
]
"""A price bound: a JSON number for the model, an exact Decimal once validated."""

SEARCH_LIMIT = 6
TEXT_LIMIT = 600


class SearchProductsArgs(BaseModel):
    """Find products in the shop's catalogue."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        default="",
        max_length=200,
        description="What the customer is looking for: product names, grape, region, pairing.",
    )
    category: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9-]{0,62}$",
        description="Catalogue category slug, e.g. vino-rosso, vino-bianco, spumante, olio, "
        "pasta, formaggi, salumi, dolci.",
    )
    max_price: Price | None = Field(default=None, description="Highest price, shop currency.")
    min_price: Price | None = Field(default=None, description="Lowest price, shop currency.")
    in_stock_only: bool = Field(default=False, description="Only products in stock.")


class GetProductArgs(BaseModel):
    """Details of one product (price, stock, attributes) by the id a search returned."""

    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=64, description="A product `id`.")


class SearchKnowledgeArgs(BaseModel):
    """Search the shop's FAQs, offers and documents (shipping, opening hours, payment...)."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=500, description="The customer's question.")


class ListOffersArgs(BaseModel):
    """The shop's current offers and discounts: the only discounts that exist."""

    model_config = ConfigDict(extra="forbid")


class EscalateArgs(BaseModel):
    """Hand the conversation to a person of the shop; the customer is told one will answer."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=1, max_length=300, description="Why a person is needed, for the shop owner."
    )


@dataclass(frozen=True)
class ToolSpec:
    name: str
    args: type[BaseModel]

    @property
    def description(self) -> str:
        return (self.args.__doc__ or self.name).strip()

    def parameters(self) -> dict[str, Any]:
        """The argument model's JSON schema, without pydantic's `title`s and the model's own
        description (the tool's description already says it): tokens, no meaning."""
        schema = _untitled(self.args.model_json_schema())
        schema.pop("description", None)
        return dict(schema)

    def openai_tool(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters(),
            },
        }


ESCALATE = "escalate_to_human"
TOOLS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        ToolSpec("search_products", SearchProductsArgs),
        ToolSpec("get_product", GetProductArgs),
        ToolSpec("search_knowledge", SearchKnowledgeArgs),
        ToolSpec("list_offers", ListOffersArgs),
        ToolSpec(ESCALATE, EscalateArgs),
        ToolSpec("add_to_cart", AddToCartArgs),
        ToolSpec("remove_from_cart", RemoveFromCartArgs),
        ToolSpec("view_cart", ViewCartArgs),
        ToolSpec("set_fulfilment", SetFulfilmentArgs),
        ToolSpec("request_order_confirmation", RequestOrderConfirmationArgs),
        ToolSpec("order_status", OrderStatusArgs),
    )
}


def offered_tools(enabled: Sequence[str]) -> list[ToolSpec]:
    """The specs of the tenant's enabled tools, in a stable order; unknown names are ignored."""
    return [spec for name, spec in TOOLS.items() if name in enabled]


def _untitled(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {
            k: _untitled(v) for k, v in schema.items() if not (k == "title" and isinstance(v, str))
        }
    if isinstance(schema, list):
        return [_untitled(v) for v in schema]
    return schema


# -- what tools returned this turn -------------------------------------------------------------


@dataclass
class Evidence:
    """Everything the tools returned this turn: the only facts a reply may state."""

    products: dict[str, Product] = field(default_factory=dict)
    knowledge: list[KnowledgeHit] = field(default_factory=list)
    result_counts: set[int] = field(default_factory=set)
    """How many items each call returned: "I found 3 wines" is grounded by a 3-item result."""
    shown: list[Product] = field(default_factory=list)
    """Every product a call returned, in call order (repeats included)."""

    def add_products(self, products: Sequence[Product]) -> None:
        for product in products:
            self.products.setdefault(product.id, product)
        self.shown.extend(products)
        self.result_counts.add(len(products))

    def categories_since(self, start: int) -> tuple[str, ...]:
        """The categories of the products returned since `shown` had `start` entries."""
        return tuple(sorted({p.category for p in self.shown[start:] if p.category}))

    def add_knowledge(self, hits: Sequence[KnowledgeHit]) -> None:
        known = {(h.kind, h.entity_id) for h in self.knowledge}
        self.knowledge.extend(h for h in hits if (h.kind, h.entity_id) not in known)
        self.result_counts.add(len(hits))

    @property
    def empty(self) -> bool:
        return not self.products and not self.knowledge

    def knowledge_texts(self) -> Iterator[str]:
        """Knowledge hits as text, payload values included (an offer's discount_percent)."""
        for hit in self.knowledge:
            yield from (hit.title, hit.text, hit.answer)
            for value in hit.payload.values():
                if isinstance(value, str | int | float | Decimal) and not isinstance(value, bool):
                    yield str(value)


@dataclass(frozen=True)
class ToolOutcome:
    """One call's result as the model reads it, and as the run log records it."""

    content: str
    record: ToolCallRecord
    escalation: EscalateArgs | None = None


class ArgumentsError(ValueError):
    """The model's arguments for a tool are not what its schema says."""


def parse_arguments(spec: ToolSpec, raw: str | None) -> tuple[dict[str, Any], BaseModel]:
    """The raw JSON arguments as a dict and as the validated model; `ArgumentsError` if not."""
    try:
        data = json.loads(raw) if raw and raw.strip() else {}
    except ValueError as error:
        raise ArgumentsError(f"arguments are not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise ArgumentsError("arguments must be a JSON object")
    try:
        return data, spec.args.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}"
            for e in error.errors()
        )
        raise ArgumentsError(f"invalid arguments: {problems}") from error


class TurnTools:
    """The tools of one turn over one tenant's `ShopTools`, collecting `Evidence`.

    A `ToolError` (the shop's services down) propagates: the assistant falls back.
    """

    def __init__(
        self, shop: ShopTools, enabled: Sequence[str], cart: CartSession | None = None
    ) -> None:
        self.shop = shop
        self.cart = cart
        offered = offered_tools(enabled)
        if cart is None:  # no order API wired: no cart tools
            offered = [spec for spec in offered if spec.name not in ORDER_TOOL_NAMES]
        self.specs = {spec.name: spec for spec in offered}
        self.evidence = Evidence()
        self.records: list[ToolCallRecord] = []
        self._handlers: dict[str, Callable[[Any], Awaitable[tuple[Any, int]]]] = {
            "search_products": self._search_products,
            "get_product": self._get_product,
            "search_knowledge": self._search_knowledge,
            "list_offers": self._list_offers,
        }
        if cart is not None:
            self._handlers |= {
                "add_to_cart": cart.add_to_cart,
                "remove_from_cart": cart.remove_from_cart,
                "view_cart": cart.view_cart,
                "set_fulfilment": cart.set_fulfilment,
                "request_order_confirmation": cart.request_order_confirmation,
                "order_status": cart.order_status,
            }

    def openai_tools(self) -> list[dict[str, Any]]:
        return [spec.openai_tool() for spec in self.specs.values()]

    async def call(self, name: str, raw_arguments: str | None) -> ToolOutcome:
        spec = self.specs.get(name)
        if spec is None:
            return self._refused(name, raw_arguments, f"unknown tool {name!r}")
        try:
            arguments, args = parse_arguments(spec, raw_arguments)
        except ArgumentsError as error:
            return self._refused(name, raw_arguments, str(error))
        if isinstance(args, EscalateArgs):
            return self._done(name, arguments, {"ok": True}, 0, escalation=args)
        shown = len(self.evidence.shown)
        result, items = await self._handlers[name](args)
        categories = self.evidence.categories_since(shown)
        return self._done(name, arguments, result, items, categories=categories)

    def _done(
        self,
        name: str,
        arguments: dict[str, Any],
        result: Any,
        items: int,
        *,
        escalation: EscalateArgs | None = None,
        categories: tuple[str, ...] = (),
    ) -> ToolOutcome:
        content = json.dumps(result, ensure_ascii=False, default=str)
        record = ToolCallRecord(
            name=name,
            arguments=arguments,
            result_items=items,
            result_bytes=len(content.encode()),
            categories=categories,
        )
        self.records.append(record)
        return ToolOutcome(content, record, escalation)

    def _refused(self, name: str, raw: str | None, error: str) -> ToolOutcome:
        content = json.dumps({"error": error, "hint": "fix the arguments and call again"})
        try:
            arguments = json.loads(raw) if raw else {}
        except ValueError:
            arguments = {"_raw": (raw or "")[:500]}
        if not isinstance(arguments, dict):
            arguments = {"_raw": str(arguments)[:500]}
        record = ToolCallRecord(
            name=name,
            arguments=arguments,
            result_bytes=len(content.encode()),
            error=error[:500],
        )
        self.records.append(record)
        return ToolOutcome(content, record)

    async def _search_products(self, args: SearchProductsArgs) -> tuple[Any, int]:
        query = ProductQuery(
            text=args.text,
            category=args.category,
            min_price=args.min_price,
            max_price=args.max_price,
            in_stock_only=args.in_stock_only,
            limit=SEARCH_LIMIT,
        )
        found = [p for p in await self.shop.search_products(query) if p.active]
        self.evidence.add_products(found)
        result: dict[str, Any] = {"products": [product_view(p) for p in found]}
        if not found:
            result["note"] = "No product matches. Say so; do not name or price any other."
        return result, len(found)

    async def _get_product(self, args: GetProductArgs) -> tuple[Any, int]:
        product = await self.shop.get_product(args.product_id)
        if product is None:
            return {"product": None, "note": "No such product in this shop."}, 0
        self.evidence.add_products([product])
        return {"product": product_view(product, detailed=True)}, 1

    async def _search_knowledge(self, args: SearchKnowledgeArgs) -> tuple[Any, int]:
        hits = await self.shop.search_knowledge(args.query, ("faq", "offer", "document"))
        self.evidence.add_knowledge(hits)
        result: dict[str, Any] = {"results": [knowledge_view(h) for h in hits]}
        if not hits:
            result["note"] = "Nothing found. Say you don't know, or offer a person."
        return result, len(hits)

    async def _list_offers(self, _: ListOffersArgs) -> tuple[Any, int]:
        offers = await self.shop.list_offers()
        self.evidence.add_knowledge(offers)
        result: dict[str, Any] = {"offers": [offer_view(o) for o in offers]}
        if not offers:
            result["note"] = "There are no offers or discounts right now."
        return result, len(offers)


def product_view(product: Product, *, detailed: bool = False) -> dict[str, Any]:
    """A product as the model sees it: exact price as a string, stock as a count."""
    limit = TEXT_LIMIT if detailed else TEXT_LIMIT // 3
    return {
        "id": product.id,
        "sku": product.sku,
        "name": product.name,
        "price": str(product.price),
        "currency": product.currency,
        "stock": product.stock,
        "in_stock": product.stock > 0,
        "category": product.category,
        "description": product.description[:limit],
        "attributes": product.attributes,
        **(
            {
                "variants": [
                    {"sku": v.sku, "label": v.label, "price": str(v.price), "stock": v.stock}
                    for v in product.variants
                    if v.active
                ]
            }
            if product.variants
            else {}
        ),
    }


def knowledge_view(hit: KnowledgeHit) -> dict[str, Any]:
    if hit.kind == "offer":
        return offer_view(hit)
    view: dict[str, Any] = {
        "kind": hit.kind,
        "title": hit.title,
        "answer": hit.answer[:TEXT_LIMIT],
        "language": hit.language,
    }
    if hit.citation:
        view["source"] = hit.citation  # a document passage: the answer names where it is from
    return view


def offer_view(hit: KnowledgeHit) -> dict[str, Any]:
    payload = hit.payload
    return {
        "kind": "offer",
        "code": payload.get("code"),
        "title": hit.title,
        "description": payload.get("description", hit.text),
        "discount_percent": payload.get("discount_percent"),
        "product_skus": payload.get("product_skus", []),
        "valid_from": payload.get("valid_from"),
        "valid_until": payload.get("valid_until"),
    }
