"""``bancone.catalog.v1``: a product, service, FAQ or offer changed (feeds the knowledge index)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, ClassVar, Literal, Self

from pydantic import Field, model_validator

from bancone_contracts import topics
from bancone_contracts.common import ContractModel, Money, UtcDatetime
from bancone_contracts.envelope import Envelope

EntityKind = Literal["product", "service", "faq", "offer"]
CatalogOp = Literal["upserted", "deleted", "stock_changed"]


class VariantSnapshot(ContractModel):
    sku: str = Field(examples=["ESP-1KG"])
    name: str | None = Field(default=None, examples=["1 kg"])
    price: Money | None = None
    stock_quantity: int | None = None
    attributes: dict[str, str] = Field(default_factory=dict, examples=[{"size": "1 kg"}])


class ProductSnapshot(ContractModel):
    kind: Literal["product"] = "product"
    name: str = Field(examples=["Caffè espresso in grani"])
    description: str | None = None
    category: str | None = Field(default=None, examples=["Caffè"])
    price: Money | None = None
    in_stock: bool | None = None
    stock_quantity: int | None = None
    variants: tuple[VariantSnapshot, ...] = ()
    tags: tuple[str, ...] = ()
    attributes: dict[str, str] = Field(default_factory=dict)
    language: str | None = Field(default=None, examples=["it"])
    active: bool = True


class ServiceSnapshot(ContractModel):
    kind: Literal["service"] = "service"
    name: str = Field(examples=["Macinatura su misura"])
    description: str | None = None
    price: Money | None = None
    duration_minutes: int | None = Field(default=None, ge=0)
    tags: tuple[str, ...] = ()
    language: str | None = None
    active: bool = True


class FaqSnapshot(ContractModel):
    kind: Literal["faq"] = "faq"
    question: str = Field(examples=["Spedite all'estero?"])
    answer: str = Field(examples=["Sì, in tutta l'UE."])
    tags: tuple[str, ...] = ()
    language: str | None = None


class OfferSnapshot(ContractModel):
    kind: Literal["offer"] = "offer"
    title: str = Field(examples=["-20% sul decaffeinato"])
    description: str | None = None
    discount_percent: Decimal | None = Field(default=None, ge=0, le=100, examples=["20"])
    price: Money | None = None
    product_ids: tuple[str, ...] = ()
    valid_from: UtcDatetime | None = None
    valid_until: UtcDatetime | None = None
    language: str | None = None
    active: bool = True


EntitySnapshot = Annotated[
    ProductSnapshot | ServiceSnapshot | FaqSnapshot | OfferSnapshot,
    Field(discriminator="kind"),
]


class StockLevel(ContractModel):
    sku: str | None = Field(default=None, description="The variant; absent for the product.")
    quantity: int = Field(description="Units available after the change.")
    in_stock: bool


class CatalogChange(ContractModel):
    """What changed: the whole entity after an upsert, just the id on delete, stock levels."""

    entity_kind: EntityKind
    entity_id: str = Field(min_length=1, examples=["prod_42"])
    op: CatalogOp
    snapshot: EntitySnapshot | None = Field(
        default=None, description="The entity as it is now (upserted only)."
    )
    stock: StockLevel | None = Field(default=None, description="New stock (stock_changed only).")

    @model_validator(mode="after")
    def _payload_fits_op(self) -> Self:
        if self.op == "upserted":
            if self.snapshot is None or self.snapshot.kind != self.entity_kind:
                raise ValueError("an upsert carries a snapshot of the same entity kind")
        elif self.snapshot is not None:
            raise ValueError(f"a {self.op} change carries no snapshot")
        if self.op == "stock_changed":
            if self.stock is None or self.entity_kind != "product":
                raise ValueError("a stock change carries the stock of a product")
        elif self.stock is not None:
            raise ValueError(f"a {self.op} change carries no stock")
        return self


class CatalogEntityChanged(Envelope[CatalogChange]):
    """A catalog entity was upserted or deleted, or a product's stock changed."""

    topic: ClassVar[str] = topics.CATALOG
    type: Literal["catalog.entity.changed"] = "catalog.entity.changed"
    version: Literal[1] = 1

    @classmethod
    def subject_for(cls, tenant_id: str, data: CatalogChange) -> str:
        return topics.entity_key(tenant_id, data.entity_id)
