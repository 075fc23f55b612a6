"""FAQs: the shop's own answers (shipping, opening hours, payment) the assistant may quote."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from bancone_catalog.domain.fields import (
    LanguageCode,
    NaturalKey,
    PartialUpdate,
    Tags,
    Text,
    Translations,
    check_translations,
)

Question = Text
Answer = Text
FAQ_TRANSLATABLE = frozenset({"question", "answer"})


class FaqBase(BaseModel):
    """`key` is the natural key a re-import matches on."""

    model_config = ConfigDict(extra="forbid")

    key: NaturalKey = Field(examples=["shipping"])
    question: Question = Field(min_length=1, examples=["Quanto costa la spedizione?"])
    answer: Answer = Field(min_length=1, examples=["Gratis sopra i 50 euro, altrimenti 7,90 euro."])
    language: LanguageCode = "it"
    tags: Tags = Field(default_factory=list)
    translations: Translations = Field(default_factory=dict)
    """Per-language question and answer: `{"en": {...}}`."""

    @model_validator(mode="after")
    def _translatable(self) -> Self:
        check_translations(self.translations, FAQ_TRANSLATABLE)
        return self


class FaqCreate(FaqBase):
    """A new FAQ, as posted to `POST /faqs` or read from one import row."""


class FaqUpdate(PartialUpdate):
    """A partial change; the key never changes."""

    question: Question | SkipJsonSchema[None] = Field(default=None, min_length=1)
    answer: Answer | SkipJsonSchema[None] = Field(default=None, min_length=1)
    language: LanguageCode | SkipJsonSchema[None] = None
    tags: Tags | SkipJsonSchema[None] = None
    translations: Translations | SkipJsonSchema[None] = None


class FaqPublic(FaqBase):
    """A stored FAQ as the API and the catalog events show it."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    id: uuid.UUID
    tenant_id: str
    created_at: datetime
    updated_at: datetime
