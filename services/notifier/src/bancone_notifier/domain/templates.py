"""Message templates: what a new one must look like, and whether a send fills it in. Pure.

Components are kept in Meta's own shape (`{"type": "BODY", "text": "Ciao {{1}}", "example":
{"body_text": [["Giulia"]]}}`, `HEADER` with a `format`, `FOOTER`, `BUTTONS`), since that is
what the Graph API takes and lists. A send (`OutboundTemplate`) names components in the send
shape (`header`, `body`, `button` with `sub_type` and `index`); `parameter_mismatch` compares
the two slot by slot, so a template with missing or extra values never reaches Meta.

The refusal codes are Meta's: 132000 (parameter count), 132001 (unknown or not approved),
132015 (paused), 132016 (disabled).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from bancone_contracts.events.outbound import TemplateComponent

TemplateCategory = Literal["marketing", "utility", "authentication"]
TEMPLATE_STATUSES: Final = frozenset(
    {"PENDING", "APPROVED", "REJECTED", "PAUSED", "DISABLED", "IN_APPEAL", "DELETED"}
)
NAME = re.compile(r"^[a-z0-9_]{1,512}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
_VARIABLE = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
_MEDIA_FORMATS: Final = {"IMAGE": "image", "VIDEO": "video", "DOCUMENT": "document"}
_BUTTON_SUB_TYPES: Final = {"URL": "url", "QUICK_REPLY": "quick_reply", "COPY_CODE": "copy_code"}
MAX_BUTTONS = 10

PARAMETERS_CODE = 132000
UNKNOWN_CODE = 132001
PAUSED_CODE = 132015
DISABLED_CODE = 132016

Slot = tuple[str, int | None]
"""`("header", None)`, `("body", None)` or `("button", index)`."""


class InvalidTemplateError(ValueError):
    """A template that Meta would refuse, or that could never be filled in correctly."""


@dataclass(frozen=True, slots=True)
class Expected:
    """What a send must put in one slot: `count` parameters (of `media` type, for a media
    header); `optional` for a quick-reply payload, which Meta lets a send leave out."""

    count: int
    media: str | None = None
    sub_type: str | None = None
    optional: bool = False


def variables(text: str) -> list[str]:
    """The distinct `{{n}}` names of `text`, in order of first appearance."""
    seen: dict[str, None] = {}
    for name in _VARIABLE.findall(text):
        seen.setdefault(name)
    return list(seen)


def _numbered(text: str, where: str) -> int:
    """How many variables `text` has; they must be `{{1}}`…`{{n}}`, each at least once."""
    names = variables(text)
    if any(not n.isdigit() for n in names):
        raise InvalidTemplateError(f"{where}: variables are numbered, like {{{{1}}}}")
    if sorted(int(n) for n in names) != list(range(1, len(names) + 1)):
        raise InvalidTemplateError(f"{where}: variables must be {{{{1}}}} to {{{{{len(names)}}}}}")
    return len(names)


def _text(component: Mapping[str, Any], where: str) -> str:
    text = component.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InvalidTemplateError(f"{where}: text is required")
    return text


def _examples(raw: Any) -> list[Any]:
    return raw if isinstance(raw, list) else []


def _check_header(component: Mapping[str, Any]) -> None:
    header_format = str(component.get("format", "TEXT")).upper()
    if header_format in _MEDIA_FORMATS:
        return
    if header_format != "TEXT":
        raise InvalidTemplateError(f"header: unknown format {header_format}")
    count = _numbered(_text(component, "header"), "header")
    if count > 1:
        raise InvalidTemplateError("header: at most one variable")
    example = component.get("example")
    given = _examples(example.get("header_text")) if isinstance(example, Mapping) else []
    if len(given) != count:
        raise InvalidTemplateError(f"header: {count} example value(s) needed, {len(given)} given")


def _check_body(component: Mapping[str, Any]) -> None:
    count = _numbered(_text(component, "body"), "body")
    example = component.get("example")
    rows = _examples(example.get("body_text")) if isinstance(example, Mapping) else []
    given = _examples(rows[0]) if rows else []
    if len(given) != count:
        raise InvalidTemplateError(f"body: {count} example value(s) needed, {len(given)} given")


def _check_buttons(component: Mapping[str, Any]) -> None:
    buttons = component.get("buttons")
    if not isinstance(buttons, list) or not buttons:
        raise InvalidTemplateError("buttons: at least one button")
    if len(buttons) > MAX_BUTTONS:
        raise InvalidTemplateError(f"buttons: at most {MAX_BUTTONS}")
    for index, button in enumerate(buttons):
        where = f"button {index}"
        if not isinstance(button, Mapping):
            raise InvalidTemplateError(f"{where}: not an object")
        if button.get("type") == "URL":
            url = button.get("url")
            if not isinstance(url, str) or not url:
                raise InvalidTemplateError(f"{where}: url is required")
            count = _numbered(url, where)
            if count > 1:
                raise InvalidTemplateError(f"{where}: at most one variable, at the url's end")
            if count and len(_examples(button.get("example"))) != 1:
                raise InvalidTemplateError(f"{where}: one example url needed")


def check_new_template(name: str, language: str, components: Sequence[Mapping[str, Any]]) -> None:
    """Raise `InvalidTemplateError` for what Meta would refuse: a bad name or language, no
    body, a component twice, variables not numbered `{{1}}`…`{{n}}`, examples missing."""
    if not NAME.match(name):
        raise InvalidTemplateError("name: lowercase letters, digits and underscores")
    if not LANGUAGE.match(language):
        raise InvalidTemplateError("language: a code like it, en or en_US")
    kinds = [str(c.get("type", "")).upper() for c in components]
    for kind in set(kinds):
        if kinds.count(kind) > 1:
            raise InvalidTemplateError(f"{kind.lower()}: given twice")
    if "BODY" not in kinds:
        raise InvalidTemplateError("body: required")
    for kind, component in zip(kinds, components, strict=True):
        match kind:
            case "HEADER":
                _check_header(component)
            case "BODY":
                _check_body(component)
            case "FOOTER":
                if variables(_text(component, "footer")):
                    raise InvalidTemplateError("footer: no variables allowed")
            case "BUTTONS":
                _check_buttons(component)
            case _:
                raise InvalidTemplateError(f"unknown component {kind or '(no type)'}")


def expected_parameters(components: Sequence[Mapping[str, Any]]) -> dict[Slot, Expected]:
    """Every slot of a stored template a send must (or may) fill in."""
    expected: dict[Slot, Expected] = {}
    for component in components:
        kind = str(component.get("type", "")).upper()
        if kind == "HEADER":
            header_format = str(component.get("format", "TEXT")).upper()
            if header_format in _MEDIA_FORMATS:
                expected["header", None] = Expected(1, media=_MEDIA_FORMATS[header_format])
            elif count := len(variables(str(component.get("text", "")))):
                expected["header", None] = Expected(count)
        elif kind == "BODY":
            if count := len(variables(str(component.get("text", "")))):
                expected["body", None] = Expected(count)
        elif kind == "BUTTONS":
            expected.update(_button_slots(component.get("buttons")))
    return expected


def _button_slots(buttons: Any) -> dict[Slot, Expected]:
    slots: dict[Slot, Expected] = {}
    for index, button in enumerate(buttons if isinstance(buttons, list) else []):
        kind = str(button.get("type", "")).upper() if isinstance(button, Mapping) else ""
        sub_type = _BUTTON_SUB_TYPES.get(kind)
        if (kind == "URL" and variables(str(button.get("url", "")))) or kind == "COPY_CODE":
            slots["button", index] = Expected(1, sub_type=sub_type)
        elif kind == "QUICK_REPLY":
            slots["button", index] = Expected(1, sub_type=sub_type, optional=True)
    return slots


def _name(slot: Slot) -> str:
    kind, index = slot
    return kind if index is None else f"{kind} {index}"


def parameter_mismatch(
    stored: Sequence[Mapping[str, Any]], sent: Sequence[TemplateComponent]
) -> str | None:
    """Why the send's parameters do not fill the stored template in, if they do not."""
    expected = expected_parameters(stored)
    given: dict[Slot, TemplateComponent] = {}
    problems: list[str] = []
    for component in sent:
        slot: Slot = (component.type, component.index if component.type == "button" else None)
        if slot in given:
            problems.append(f"{_name(slot)} given twice")
        given[slot] = component
    for slot, component in given.items():
        want = expected.get(slot)
        got = len(component.parameters)
        if want is None:
            if got:
                problems.append(f"{_name(slot)} takes no parameters, got {got}")
            continue
        if want.sub_type is not None and component.sub_type != want.sub_type:
            problems.append(f"{_name(slot)} is a {want.sub_type} button, not {component.sub_type}")
        if got != want.count and not (want.optional and got == 0):
            problems.append(f"{_name(slot)} needs {want.count} parameter(s), got {got}")
        if want.media is not None and any(p.type != want.media for p in component.parameters):
            problems.append(f"{_name(slot)} needs an {want.media}")
    for slot, want in expected.items():
        if slot not in given and not want.optional:
            problems.append(f"{_name(slot)} needs {want.count} parameter(s), got none")
    return "; ".join(problems) or None


@dataclass(frozen=True, slots=True)
class TemplateRefusal:
    code: int
    title: str
    missing: bool = False
    """Unknown here: worth one lookup at the Graph API before refusing (sync on miss)."""


def send_refusal(
    name: str,
    language: str,
    status: str | None,
    stored: Sequence[Mapping[str, Any]] | None,
    sent: Sequence[TemplateComponent],
) -> TemplateRefusal | None:
    """Why a send of template `name` (`language`) must not leave: unknown (`status` None),
    not approved, or its parameters do not match."""
    label = f"template {name} ({language})"
    if status is None or stored is None:
        return TemplateRefusal(
            UNKNOWN_CODE, f"{label} does not exist for this number", missing=True
        )
    if status == "PAUSED":
        return TemplateRefusal(PAUSED_CODE, f"{label} is paused")
    if status == "DISABLED":
        return TemplateRefusal(DISABLED_CODE, f"{label} is disabled")
    if status != "APPROVED":
        return TemplateRefusal(UNKNOWN_CODE, f"{label} is {status}, not approved")
    mismatch = parameter_mismatch(stored, sent)
    if mismatch is not None:
        return TemplateRefusal(PARAMETERS_CODE, f"{label} parameters do not match: {mismatch}")
    return None


def category_of(meta_category: str) -> TemplateCategory | None:
    """Meta's `MARKETING` → `marketing`; None for anything else."""
    lowered = meta_category.lower()
    if lowered in ("marketing", "utility", "authentication"):
        return lowered  # type: ignore[return-value]
    return None


class TemplateNotFoundError(LookupError):
    """No such template (or channel) for this tenant: another tenant's reads the same."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class NoAccountError(ValueError):
    """The channel has no WhatsApp Business Account id (or usable token) to manage templates."""


class GraphTemplateError(Exception):
    """The Graph API refused a template call (`http_status` 4xx, Meta's `code`) or could not be
    reached (`http_status` None)."""

    def __init__(self, message: str, *, http_status: int | None, code: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.code = code


class GraphTemplateRefusedError(GraphTemplateError):
    """Meta refused what was sent (a 4xx other than 429): its code says why."""
