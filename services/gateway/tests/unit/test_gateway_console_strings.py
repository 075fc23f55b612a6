"""The console's UI strings: Italian, English and Spanish each have every key, and every key a
page asks for with `t("...")` exists (a missing one would show the raw key to the operator)."""

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


def strings() -> dict[str, set[str]]:
    source = (CONSOLE / "js" / "i18n.js").read_text(encoding="utf-8")
    return {lang: set(KEY.findall(body)) for lang, body in LANGUAGE_BLOCK.findall(source)}


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
