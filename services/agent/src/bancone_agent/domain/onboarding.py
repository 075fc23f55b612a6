"""The setup assistant's offline script: a fixed sequence of questions about the shop (what
it sells, hours, shipping, returns, payments, tone) and the draft configuration and FAQs the
answers make. Pure; nothing here stores anything (the owner confirms the draft first)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from bancone_agent.domain.config import AgentConfig

LANGUAGES: Final = ("it", "en", "es")


@dataclass(frozen=True)
class Question:
    key: str
    text: Mapping[str, str]
    faq: Mapping[str, str] | None = None
    """The FAQ question the answer becomes (None: no FAQ)."""


QUESTIONS: Final[tuple[Question, ...]] = (
    Question(
        "sell",
        {
            "it": "Ciao! Ti aiuto a preparare l'assistente. Cosa vende il tuo negozio?",
            "en": "Hi! Let's set up your assistant. What does your shop sell?",
            "es": "¡Hola! Preparemos tu asistente. ¿Qué vende tu tienda?",
        },
    ),
    Question(
        "hours",
        {
            "it": "Quali sono gli orari di apertura? (es. lun-sab 9:00-19:00)",
            "en": "What are your opening hours? (e.g. mon-sat 9:00-19:00)",
            "es": "¿Cuál es el horario de apertura? (p. ej. lun-sab 9:00-19:00)",
        },
        {
            "it": "Quali sono gli orari?",
            "en": "What are your opening hours?",
            "es": "¿Cuál es el horario?",
        },
    ),
    Question(
        "shipping",
        {
            "it": "Come funzionano le spedizioni (tempi, costi, zone)?",
            "en": "How does shipping work (times, costs, areas)?",
            "es": "¿Cómo funcionan los envíos (plazos, costes, zonas)?",
        },
        {
            "it": "Come funzionano le spedizioni?",
            "en": "How does shipping work?",
            "es": "¿Cómo funcionan los envíos?",
        },
    ),
    Question(
        "returns",
        {
            "it": "Qual è la politica sui resi?",
            "en": "What is your returns policy?",
            "es": "¿Cuál es la política de devoluciones?",
        },
        {
            "it": "Posso fare un reso?",
            "en": "Can I return an item?",
            "es": "¿Puedo devolver un producto?",
        },
    ),
    Question(
        "payments",
        {
            "it": "Quali metodi di pagamento accettate?",
            "en": "Which payment methods do you accept?",
            "es": "¿Qué métodos de pago aceptáis?",
        },
        {"it": "Come posso pagare?", "en": "How can I pay?", "es": "¿Cómo puedo pagar?"},
    ),
    Question(
        "tone",
        {
            "it": "Che tono deve usare l'assistente? (es. amichevole, formale)",
            "en": "What tone should the assistant use? (e.g. friendly, formal)",
            "es": "¿Qué tono debe usar el asistente? (p. ej. cercano, formal)",
        },
    ),
)

_CONTEXT_LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "it": {
        "sell": "Vendiamo",
        "hours": "Orari",
        "shipping": "Spedizioni",
        "returns": "Resi",
        "payments": "Pagamenti",
    },
    "en": {
        "sell": "We sell",
        "hours": "Opening hours",
        "shipping": "Shipping",
        "returns": "Returns",
        "payments": "Payments",
    },
    "es": {
        "sell": "Vendemos",
        "hours": "Horario",
        "shipping": "Envíos",
        "returns": "Devoluciones",
        "payments": "Pagos",
    },
}

_DAYS: Final[Mapping[str, int]] = {
    **{d: n for n, d in enumerate(("lun", "mar", "mer", "gio", "ven", "sab", "dom"), 1)},
    **{d: n for n, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), 1)},
    **{d: n for n, d in enumerate(("lun", "mar", "mie", "jue", "vie", "sab", "dom"), 1)},
    "mié": 3,
}
_TIME = r"(\d{1,2})(?:[:.](\d{2}))?"
_RANGE = re.compile(_TIME + r"\s*(?:-|\u2013|a|to|alle)\s*" + _TIME)
_DAY_RANGE = re.compile(r"\b([a-zé]{3})[a-zé]*\.?\s*(?:-|\u2013|a|to|al)\s*([a-zé]{3})[a-zé]*")


def language_of(value: str | None) -> str:
    return value if value in LANGUAGES else "it"


def question(step: int, language: str) -> str | None:
    """The question at `step` (None past the last)."""
    if step >= len(QUESTIONS):
        return None
    return QUESTIONS[step].text[language_of(language)]


def _hhmm(hour: str, minute: str | None) -> str | None:
    h, m = int(hour), int(minute or 0)
    if h > 24 or m > 59:
        return None
    return f"{min(h, 23):02d}:{m:02d}" if h < 24 else "23:59"


def parse_hours(text: str) -> dict[str, list[list[str]]]:
    """Opening hours from a sentence like "lun-sab 9-13 e 15:30-19:30" (ISO weekday →
    intervals); days default to Monday to Saturday; {} when no time range is found."""
    lowered = text.lower()
    intervals: list[list[str]] = []
    for match in _RANGE.finditer(lowered):
        start, end = _hhmm(match[1], match[2]), _hhmm(match[3], match[4])
        if start and end and start < end:
            intervals.append([start, end])
    if not intervals:
        return {}
    days = list(range(1, 7))
    span = _DAY_RANGE.search(lowered)
    if span and span[1] in _DAYS and span[2] in _DAYS:
        first, last = _DAYS[span[1]], _DAYS[span[2]]
        days = list(range(first, last + 1)) if first <= last else list(range(first, 8))
    return {str(day): intervals for day in days}


def persona_for(tone: str) -> str:
    lowered = tone.lower()
    formal = any(word in lowered for word in ("formal", "formale", "lei", "usted"))
    style = "courteous and formal" if formal else "warm and friendly"
    return (
        f"You are the {style} shop assistant of {{shop_name}} on WhatsApp. "
        f"Tone asked by the owner: {tone.strip()[:200]}"
    )


def draft(
    answers: Mapping[str, str], base: Mapping[str, Any], language: str
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The draft configuration (the current one with the answers laid over it) and FAQ
    drafts (`key`, `question`, `answer`, `language`) the answers make."""
    language = language_of(language)
    labels = _CONTEXT_LABELS[language]
    context = "\n".join(
        f"{labels[key]}: {answers[key].strip()}" for key in labels if answers.get(key, "").strip()
    )
    config = dict(base)
    config["business_context"] = context
    config["default_language"] = language
    if answers.get("tone", "").strip():
        config["persona"] = persona_for(answers["tone"])
    days = parse_hours(answers.get("hours", ""))
    if days:
        hours = dict(config.get("opening_hours") or {})
        hours["days"] = days
        config["opening_hours"] = hours
    faqs = [
        {
            "key": f"setup-{q.key}",
            "question": q.faq[language],
            "answer": answers[q.key].strip(),
            "language": language,
        }
        for q in QUESTIONS
        if q.faq is not None and answers.get(q.key, "").strip()
    ]
    return config, faqs


class OnboardingNotFoundError(LookupError):
    """No such setup session in this tenant."""


class OnboardingStateError(Exception):
    """The session cannot take this step (not finished yet, or already confirmed)."""


def answered(keys: Sequence[str]) -> int:
    """How many questions of the script `keys` answer, in order."""
    step = 0
    while step < len(QUESTIONS) and QUESTIONS[step].key in keys:
        step += 1
    return step


@dataclass(frozen=True)
class SetupReply:
    """One reply of the setup assistant's LLM: its next message, or (done) the answers."""

    message: str | None
    answers: dict[str, str] | None = None


def setup_prompt(shop_name: str, language: str) -> str:
    """The system prompt of the conversing setup assistant."""
    keys = ", ".join(q.key for q in QUESTIONS)
    return (
        f"You help the owner of {shop_name} set up a WhatsApp shop assistant. Speak "
        f"{language_of(language)}. Ask short questions, one at a time, until you know: what the "
        "shop sells (sell), opening hours (hours), shipping, returns, payments and the tone the "
        "assistant should use (tone). When you know all of them, answer ONLY with the JSON "
        f'object {{"answers": {{...}}}} with exactly these keys: {keys}.'
    )


def read_setup_reply(text: str) -> SetupReply:
    """The model's text as a message, or the final answers when it is the JSON object."""
    body = text.strip().removeprefix("```json").removeprefix("```").removesuffix("```").strip()
    if body.startswith("{"):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and isinstance(parsed.get("answers"), dict):
            answers = {str(k): str(v) for k, v in parsed["answers"].items() if v is not None}
            return SetupReply(None, answers)
    return SetupReply(text.strip() or None)


class SetupChat(Protocol):
    """The conversing setup assistant (an LLM); offline questions when it is unavailable."""

    def available(self, config: AgentConfig) -> bool: ...

    async def reply(
        self, config: AgentConfig, transcript: Sequence[Mapping[str, str]], language: str
    ) -> SetupReply: ...


@dataclass(frozen=True)
class FaqResult:
    created: list[str]
    existing: list[str]
    """Keys the catalog already had (left as they were)."""


class FaqWriter(Protocol):
    """Stores FAQ drafts in the catalog, as the confirming owner."""

    async def create(
        self, tenant_id: str, faqs: Sequence[Mapping[str, str]], authorization: str
    ) -> FaqResult: ...
