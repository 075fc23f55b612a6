"""The console's UI strings (`i18n.js` and the outreach pages' `strings_outreach.js`, merged at
load): Italian, English and Spanish each have every key, no key is defined twice, and every key
a page asks for with `t("...")` exists (a missing one would show the raw key to the operator)."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

CONSOLE = Path(str(files("bancone_gateway") / "console"))
LANGUAGE_BLOCK = re.compile(r"^  (\w\w): \{\n(.*?)^  \},", re.M | re.S)
KEY = re.compile(r'^    "([\w.]+)":', re.M)
ASKED = re.compile(r'\bt\("([\w.]+)"\)')


STRING_FILES = ("i18n.js", "strings_outreach.js")


def _blocks() -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []
    for name in STRING_FILES:
        source = (CONSOLE / "js" / name).read_text(encoding="utf-8")
        found += [(lang, KEY.findall(body)) for lang, body in LANGUAGE_BLOCK.findall(source)]
    return found


def strings() -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {}
    for lang, keys in _blocks():
        merged.setdefault(lang, set()).update(keys)
    return merged


def test_no_key_is_defined_twice_in_a_language() -> None:
    seen: dict[str, list[str]] = {}
    for lang, keys in _blocks():
        seen.setdefault(lang, []).extend(keys)
    for lang, keys in seen.items():
        assert len(keys) == len(set(keys)), (lang, sorted({k for k in keys if keys.count(k) > 1}))


def test_every_language_has_every_key() -> None:
    found = strings()
    assert set(found) == {"it", "en", "es"}
    assert found["en"], "no strings parsed"
    for lang in ("it", "es"):
        assert found[lang] == found["en"], (
            lang,
            sorted(found["en"] - found[lang]),
            sorted(found[lang] - found["en"]),
        )


def test_every_key_the_pages_ask_for_exists() -> None:
    known = strings()["en"]
    asked = {
        key
        for script in (CONSOLE / "js").rglob("*.js")
        for key in ASKED.findall(script.read_text(encoding="utf-8"))
    }
    assert asked, "no t(...) calls found"
    assert asked <= known, sorted(asked - known)
