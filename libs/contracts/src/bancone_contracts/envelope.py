"""The one JSON envelope every Kafka message is wrapped in (DESIGN.md, Events)."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Self, TypeVar
from uuid import UUID, uuid4

from pydantic import Field, model_validator

from bancone_contracts.common import ContractModel, UtcDatetime, utc_now

DataT = TypeVar("DataT", bound=ContractModel)


class Envelope(ContractModel, Generic[DataT]):
    """Metadata common to all events plus the event-specific ``data``.

    Concrete events subclass ``Envelope[TheirData]``, pin ``type`` and ``version`` with
    ``Literal``s, set the ``topic`` class variable and say how the subject (which is also the
    partition key) derives from tenant and data in ``subject_for``.
    """

    topic: ClassVar[str]
    """The Kafka topic this event type is published on."""

    id: UUID = Field(
        default_factory=uuid4,
        description="Unique event id: the idempotency key consumers dedupe on.",
        examples=["0b7e1c1e-4f0c-4a6e-9a57-6f1b2f9d1c2a"],
    )
    type: str = Field(description="Event type, e.g. inbound.message.received.")
    version: int = Field(description="Version of this event type's schema.")
    source: str = Field(
        description="The service that produced the event.", examples=["gateway", "agent"]
    )
    time: UtcDatetime = Field(
        default_factory=utc_now,
        description="When the event was produced (UTC).",
        examples=["2025-11-26T10:15:00Z"],
    )
    tenant_id: str = Field(
        min_length=1, description="The tenant (business workspace) the event belongs to."
    )
    subject: str = Field(
        min_length=1,
        description="What the event is about; also its Kafka partition key "
        "(tenant_id:customer_id, tenant_id:entity_id or phone_number_id).",
        examples=["t_acme:393331234567"],
    )
    traceparent: str | None = Field(
        default=None,
        description="W3C trace context of the operation that produced the event.",
        examples=["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
    )
    data: DataT

    @classmethod
    def subject_for(cls, tenant_id: str, data: DataT) -> str:
        """The subject (and partition key) an event of this type with this data must carry."""
        raise NotImplementedError(f"{cls.__name__} does not define its subject")

    @classmethod
    def new(
        cls,
        *,
        tenant_id: str,
        source: str,
        data: DataT,
        traceparent: str | None = None,
        **envelope: Any,
    ) -> Self:
        """Build an event, deriving its subject from tenant and data."""
        return cls(
            tenant_id=tenant_id,
            source=source,
            subject=cls.subject_for(tenant_id, data),
            traceparent=traceparent,
            data=data,
            **envelope,
        )

    @model_validator(mode="after")
    def _subject_matches_data(self) -> Self:
        if type(self).subject_for.__func__ is not Envelope.subject_for.__func__:  # type: ignore[attr-defined]
            expected = type(self).subject_for(self.tenant_id, self.data)
            if self.subject != expected:
                raise ValueError(
                    f"subject must be {expected!r} for this event, not {self.subject!r}"
                )
        return self

    def key(self) -> str:
        """The Kafka partition key: equal to ``subject``. Encode it to bytes for the producer."""
        return self.subject

    def kafka_headers(self) -> dict[str, str]:
        """Headers published with the event, so routers and tracers need not parse the body."""
        headers = {"type": self.type, "tenant_id": self.tenant_id}
        if self.traceparent is not None:
            headers["traceparent"] = self.traceparent
        return headers

    def to_bytes(self) -> bytes:
        """The Kafka record value: the envelope as UTF-8 JSON."""
        return self.model_dump_json().encode()
