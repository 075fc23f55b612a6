"""Meta's sending rules, enforced so tests can prove compliance rather than assume it.

- the 24-hour window: a free-form message (anything but a template) to a customer who has not
  written to that number in the last 24 hours is refused with 131047 (setting `enforce_window`,
  off by default: the sandbox learns of customer messages only through `POST /sandbox/inbound`,
  and tests that post webhooks straight to the gateway do not call it);
- templates: one that is not registered for the number's WABA, or not `APPROVED`, is refused
  with 132001 (setting `enforce_templates`, on by default);
- throughput: more than `number_rate_per_second` accepted sends from one number within a
  second → 130429; pair rate: a second message to the same customer from the same number within
  `pair_interval_seconds` → 131056. Both off unless configured.

Every refusal is kept (`GET /sandbox/compliance`) for assertions.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from bancone_sandbox.errors import GraphError
from bancone_sandbox.settings import SandboxSettings

WINDOW = timedelta(hours=24)
TemplateStatus = Literal["APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"]
TemplateCategory = Literal["MARKETING", "UTILITY", "AUTHENTICATION"]
_template_ids = itertools.count(9_000_000_000_001)


@dataclass
class Template:
    """A message template as Meta keeps it for one WhatsApp Business Account."""

    id: str
    waba_id: str
    name: str
    language: str
    category: TemplateCategory
    status: TemplateStatus
    components: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "language": self.language,
            "category": self.category,
            "status": self.status,
            "components": self.components,
        }


@dataclass(frozen=True)
class Refusal:
    """A send the rules refused, for tests to read back."""

    code: int
    phone_number_id: str
    to: str
    type: str
    reason: str
    at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "phone_number_id": self.phone_number_id,
            "to": self.to,
            "type": self.type,
            "reason": self.reason,
            "at": self.at.isoformat(),
        }


@dataclass
class MetaRules:
    """The rule settings (changeable at run time through `PUT /sandbox/rules`) and what the
    rules need to remember: customer messages, templates, recent sends."""

    enforce_window: bool = False
    enforce_templates: bool = True
    number_rate_per_second: float | None = None
    pair_interval_seconds: float | None = None
    template_initial_status: TemplateStatus = "APPROVED"
    inbound: dict[tuple[str, str], datetime] = field(default_factory=dict)
    templates: dict[str, Template] = field(default_factory=dict)
    refusals: list[Refusal] = field(default_factory=list)
    _recent: dict[str, deque[float]] = field(default_factory=dict)
    _last_to: dict[tuple[str, str], float] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: SandboxSettings) -> MetaRules:
        return cls(
            enforce_window=settings.enforce_window,
            enforce_templates=settings.enforce_templates,
            number_rate_per_second=settings.number_rate_per_second,
            pair_interval_seconds=settings.pair_interval_seconds,
            template_initial_status=settings.template_initial_status,
        )

    # --- what the rules learn -----------------------------------------------------------------

    def record_inbound(self, phone_number_id: str, wa_id: str, at: datetime) -> None:
        """A customer wrote to the number at `at`: the window runs 24 hours from the latest."""
        key = (phone_number_id, wa_id)
        if key not in self.inbound or self.inbound[key] < at:
            self.inbound[key] = at

    def add_template(
        self,
        waba_id: str,
        name: str,
        language: str,
        category: TemplateCategory,
        components: list[dict[str, Any]],
    ) -> Template:
        if self.find_template(waba_id, name, language) is not None:
            raise GraphError(
                400,
                100,
                error_subcode=2388024,
                message="Invalid parameter",
                details=f"Content in this language already exists for {name} ({language})",
            )
        template = Template(
            id=str(next(_template_ids)),
            waba_id=waba_id,
            name=name,
            language=language,
            category=category,
            status=self.template_initial_status,
            components=components,
        )
        self.templates[template.id] = template
        return template

    def remove_templates(self, waba_id: str, name: str) -> int:
        """Drop every language of `name` in the account; how many went."""
        gone = [k for k, t in self.templates.items() if (t.waba_id, t.name) == (waba_id, name)]
        for key in gone:
            del self.templates[key]
        return len(gone)

    def find_template(self, waba_id: str, name: str, language: str) -> Template | None:
        return next(
            (
                t
                for t in self.templates.values()
                if (t.waba_id, t.name, t.language) == (waba_id, name, language)
            ),
            None,
        )

    # --- the check before a send is recorded ----------------------------------------------------

    def check(
        self,
        *,
        phone_number_id: str,
        waba_id: str,
        to: str,
        message_type: str,
        template: tuple[str, str] | None,
        now: datetime,
        clock: float,
    ) -> None:
        """Raise (and record) the error Meta would answer this send with, if any.

        `now` is wall time (for the 24-hour window), `clock` a monotonic second count (rates).
        """
        error = self._violation(phone_number_id, waba_id, to, message_type, template, clock, now)
        if error is not None:
            self.refusals.append(
                Refusal(error.code, phone_number_id, to, message_type, error.details or "", now)
            )
            raise error

    def note_sent(self, phone_number_id: str, to: str, clock: float) -> None:
        """An accepted send counts toward the number's throughput and the pair rate."""
        self._recent.setdefault(phone_number_id, deque()).append(clock)
        self._last_to[(phone_number_id, to)] = clock

    def _violation(
        self,
        phone_number_id: str,
        waba_id: str,
        to: str,
        message_type: str,
        template: tuple[str, str] | None,
        clock: float,
        now: datetime,
    ) -> GraphError | None:
        if message_type == "template" and template is not None and self.enforce_templates:
            name, language = template
            found = self.find_template(waba_id, name, language)
            if found is None or found.status != "APPROVED":
                state = "does not exist" if found is None else f"is {found.status}"
                return GraphError(
                    404,
                    132001,
                    message="Template name does not exist in the translation",
                    details=f"template {name} ({language}) {state}",
                )
        if message_type != "template" and self.enforce_window:
            last = self.inbound.get((phone_number_id, to))
            if last is None or now - last >= WINDOW:
                return GraphError(
                    400,
                    131047,
                    details="Message failed to send because more than 24 hours have passed "
                    "since the customer last replied to this number.",
                )
        if self.pair_interval_seconds is not None:
            previous = self._last_to.get((phone_number_id, to))
            if previous is not None and clock - previous < self.pair_interval_seconds:
                return GraphError(
                    400, 131056, details=f"more than one message in {self.pair_interval_seconds}s"
                )
        if self.number_rate_per_second is not None:
            recent = self._recent.setdefault(phone_number_id, deque())
            while recent and clock - recent[0] >= 1.0:
                recent.popleft()
            if len(recent) >= self.number_rate_per_second:
                return GraphError(
                    429, 130429, details=f"above {self.number_rate_per_second} messages/s"
                )
        return None
