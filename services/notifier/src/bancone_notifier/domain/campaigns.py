"""Campaigns: a template sent once to each customer of an audience, and the rules of their life.

Pure: the state machine (draft → scheduled → running ⇄ paused → completed, cancel from any
unfinished state) and the per-recipient variables (fixed values or fields of the customer),
checked when the campaign is written and rendered once per recipient when the audience is
materialised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

CampaignState = Literal["draft", "scheduled", "running", "paused", "completed", "cancelled"]
Action = Literal["schedule", "start", "pause", "resume", "cancel", "complete"]
TemplateCategory = Literal["marketing", "utility", "authentication"]

FINISHED: Final[frozenset[str]] = frozenset({"completed", "cancelled"})
CUSTOMER_FIELDS: Final[frozenset[str]] = frozenset({"name", "customer_id", "language"})
"""What a variable may take from the customer: the WhatsApp profile name, the id (wa_id),
the language the notifier knows for them."""

_MOVES: Final[Mapping[tuple[str, Action], CampaignState]] = {
    ("draft", "schedule"): "scheduled",
    ("scheduled", "start"): "running",
    ("scheduled", "pause"): "paused",
    ("running", "pause"): "paused",
    ("paused", "resume"): "running",
    ("running", "complete"): "completed",
    ("draft", "cancel"): "cancelled",
    ("scheduled", "cancel"): "cancelled",
    ("running", "cancel"): "cancelled",
    ("paused", "cancel"): "cancelled",
}


class CampaignError(ValueError):
    """A campaign that cannot be written as asked (422)."""


class CampaignStateError(CampaignError):
    """The action does not apply to the campaign's current state (409)."""


class CampaignExistsError(CampaignStateError):
    """A campaign from this origin (a catalog offer) exists already (409)."""


class CampaignNotFoundError(LookupError):
    """No such campaign for this tenant (404; another tenant's is not found either)."""


def next_state(state: str, action: Action, *, started: bool = False) -> CampaignState:
    """The state after `action`, or `CampaignStateError` saying why not.

    A campaign paused before it started resumes as `scheduled` (its time may not have come).
    """
    if action == "resume" and state == "paused" and not started:
        return "scheduled"
    new = _MOVES.get((state, action))
    if new is None:
        if state in FINISHED:
            raise CampaignStateError(f"the campaign is already {state}")
        if action == "resume" and state in ("running", "scheduled"):
            raise CampaignStateError(f"the campaign is not paused (it is {state})")
        raise CampaignStateError(f"cannot {action} a campaign that is {state}")
    return new


def check_send_at(send_at: datetime | None, now: datetime) -> datetime:
    """When to start: `send_at`, or now when absent; a time in the past is refused."""
    if send_at is None:
        return now
    if send_at.tzinfo is None:
        raise CampaignError("send_at needs a time zone (e.g. 2026-12-24T09:00:00Z)")
    if send_at < now:
        raise CampaignError("send_at is in the past")
    return send_at


# --- variables ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variable:
    """One template parameter: a fixed `value`, or the customer's `field` (with a `fallback`
    for customers without it; without a fallback such a customer is skipped)."""

    value: str | None = None
    field: str | None = None
    fallback: str | None = None


@dataclass(frozen=True)
class TemplateSpec:
    name: str
    language: str
    category: TemplateCategory
    variables: tuple[Variable, ...] = ()
    placeholders: int | None = None
    """How many parameters the template's body takes ({{1}}..{{n}}), when the caller knows
    (from the template registry): then missing or extra variables are refused."""


def check_template(spec: TemplateSpec) -> None:
    """Refuse variables that can never render, and a count that does not match the template."""
    if not spec.name.strip() or not spec.language.strip():
        raise CampaignError("the template needs a name and a language")
    for number, variable in enumerate(spec.variables, start=1):
        where = f"variable {{{{{number}}}}}"
        if (variable.value is None) == (variable.field is None):
            raise CampaignError(f"{where} needs exactly one of value or field")
        if variable.value is not None and not variable.value.strip():
            raise CampaignError(f"{where} has an empty value")
        if variable.field is not None and variable.field not in CUSTOMER_FIELDS:
            known = ", ".join(sorted(CUSTOMER_FIELDS))
            raise CampaignError(f"{where}: unknown customer field {variable.field!r} ({known})")
    if spec.placeholders is not None and spec.placeholders != len(spec.variables):
        missing = spec.placeholders > len(spec.variables)
        raise CampaignError(
            f"the template takes {spec.placeholders} variables, {len(spec.variables)} given "
            f"({'missing' if missing else 'extra'} variables)"
        )


class MissingFieldError(ValueError):
    """This customer lacks a field a variable needs and it has no fallback: skip them."""


def render(variables: Sequence[Variable], customer: Mapping[str, str | None]) -> tuple[str, ...]:
    """The parameters for one customer, in order ({{1}} first)."""
    rendered: list[str] = []
    for number, variable in enumerate(variables, start=1):
        if variable.value is not None:
            rendered.append(variable.value)
            continue
        assert variable.field is not None
        found = (customer.get(variable.field) or "").strip() or variable.fallback
        if not found:
            raise MissingFieldError(f"no {variable.field} for variable {{{{{number}}}}}")
        rendered.append(found)
    return tuple(rendered)


# --- progress -------------------------------------------------------------------------------

Bucket = Literal["queued", "sending", "sent", "delivered", "read", "failed", "skipped", "unknown"]
BUCKETS: Final[tuple[Bucket, ...]] = (
    "queued",
    "sending",
    "sent",
    "delivered",
    "read",
    "failed",
    "skipped",
    "unknown",
)
OPTED_OUT_CODE: Final = 131050


def bucket(recipient_state: str, outbound_state: str | None, error_code: int | None) -> Bucket:
    """Where one recipient stands: each recipient is in exactly one bucket, its furthest step
    (a read message is counted in `read`, not also in `sent` and `delivered`)."""
    if recipient_state == "skipped":
        return "skipped"
    match outbound_state:
        case None:
            return "queued"
        case "sending":
            return "sending"
        case "accepted" | "sent":
            return "sent"
        case "delivered" | "read" | "unknown":
            return outbound_state
        case _:
            return "skipped" if error_code == OPTED_OUT_CODE else "failed"


@dataclass
class Progress:
    total: int = 0
    counts: dict[str, int] | None = None
    skipped: dict[str, int] | None = None
    """Skipped recipients by reason."""
    failed: dict[str, int] | None = None
    """Failed recipients by error (`<code> <title>`)."""
    retrying: dict[int, int] | None = None
    """Recipients queued again after a retryable failure (also in `queued`), by how many of
    their attempts failed so far."""
    next_retry_at: datetime | None = None
    """The earliest time one of those may be tried again."""

    def add_retrying(self, attempt: int, count: int, not_before: datetime | None) -> None:
        self.retrying = self.retrying or {}
        self.retrying[attempt] = self.retrying.get(attempt, 0) + count
        if not_before is not None and (
            self.next_retry_at is None or not_before < self.next_retry_at
        ):
            self.next_retry_at = not_before

    def add(self, where: Bucket, count: int, reason: str | None = None) -> None:
        self.total += count
        self.counts = self.counts or dict.fromkeys(BUCKETS, 0)
        self.counts[where] += count
        if where in ("skipped", "failed") and reason:
            target = self.skipped if where == "skipped" else self.failed
            target = target if target is not None else {}
            target[reason] = target.get(reason, 0) + count
            if where == "skipped":
                self.skipped = target
            else:
                self.failed = target
