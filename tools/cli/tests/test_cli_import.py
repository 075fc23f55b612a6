"""`bancone import` sends the file as the catalog's import endpoint expects and reports back."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from bancone_cli.importer import ImportFileError, prepare_import, run_import

pytestmark = pytest.mark.unit

DEMO = Path(__file__).resolve().parents[3] / "deploy" / "local" / "demo"
CATALOG = "http://catalog.test"


def run(
    path: Path, handler: Callable[[httpx.Request], httpx.Response], **kwargs: object
) -> tuple[int, str, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=False)
    with httpx.Client(transport=httpx.MockTransport(record)) as client:
        code = run_import(
            path,
            tenant=str(kwargs.get("tenant", "demo")),
            kind=kwargs.get("kind"),  # type: ignore[arg-type]
            catalog_url=CATALOG,
            token="admin-token",
            console=console,
            client=client,
        )
    return code, out.getvalue(), seen


def test_json_file_is_posted_byte_for_byte_with_the_admin_token() -> None:
    path = DEMO / "enoteca.json"
    summary = {"products": {"created": 35, "updated": 0}, "faqs": {"created": 5, "updated": 0}}

    code, output, [request] = run(path, lambda _: httpx.Response(200, json=summary))

    assert code == 0
    assert request.method == "POST"
    assert request.url.copy_with(query=None) == f"{CATALOG}/v1/tenants/demo/import"
    assert "kind" not in request.url.params
    assert request.headers["authorization"] == "Bearer admin-token"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["content-length"] == str(path.stat().st_size)
    assert request.content == path.read_bytes()
    assert "products" in output
    assert "35" in output


def test_csv_kind_comes_from_the_file_name() -> None:
    path = DEMO / "enoteca-products.csv"

    code, _, [request] = run(path, lambda _: httpx.Response(200, json={"products": {"created": 6}}))

    assert code == 0
    assert request.url.params["kind"] == "product"
    assert request.url.params["filename"] == "enoteca-products.csv"
    assert request.headers["content-type"].startswith("text/csv")
    assert request.content == path.read_bytes()


def test_rejected_rows_are_listed_by_line_and_exit_1() -> None:
    problem = {
        "title": "Invalid rows",
        "status": 422,
        "errors": [
            {"line": 7, "kind": "products", "field": "price", "message": "must be > 0"},
            {"line": 3, "kind": "products", "field": "sku", "message": "is required"},
        ],
    }

    code, output, _ = run(
        DEMO / "enoteca-products.csv", lambda _: httpx.Response(422, json=problem)
    )

    assert code == 1
    assert output.index("is required") < output.index("must be > 0")
    assert "price" in output


def test_json_issues_without_a_line_show_their_path() -> None:
    problem = {
        "status": 422,
        "issues": [{"kind": "product", "path": "products[3].price", "message": "must be > 0"}],
    }

    code, output, _ = run(DEMO / "enoteca.json", lambda _: httpx.Response(422, json=problem))

    assert code == 1
    assert "products[3].price" in output
    assert "must be > 0" in output


def test_refused_token_exits_1() -> None:
    code, output, _ = run(DEMO / "enoteca.json", lambda _: httpx.Response(401, json={}))

    assert code == 1
    assert "token" in output


def test_unknown_file_type_is_refused_before_any_request(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.xlsx"
    path.write_bytes(b"PK")

    code, _, seen = run(path, lambda _: httpx.Response(200))

    assert code == 2
    assert seen == []


def test_csv_without_a_recognisable_name_needs_a_kind(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("key,question,answer\n")

    with pytest.raises(ImportFileError):
        prepare_import(path)
    assert prepare_import(path, "faqs").kind == "faqs"


@pytest.mark.parametrize(
    ("name", "kind"),
    [("products.csv", "products"), ("offers_2026.csv", "offers"), ("enoteca-faq.csv", "faqs")],
)
def test_csv_kind_is_the_one_word_of_the_file_name_naming_it(
    tmp_path: Path, name: str, kind: str
) -> None:
    path = tmp_path / name
    path.write_text("x\n")

    assert prepare_import(path).kind == kind


def test_bare_json_list_is_wrapped_under_its_kind(tmp_path: Path) -> None:
    path = tmp_path / "faq.json"
    path.write_text(json.dumps([{"key": "orari", "question": "Orari?", "answer": "9-13"}]))

    prepared = prepare_import(path, "faqs")

    assert json.loads(prepared.body) == {
        "faqs": [{"key": "orari", "question": "Orari?", "answer": "9-13"}]
    }
