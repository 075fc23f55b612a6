"""URL fetching's pure parts and its settings: the file name a fetched document gets, and the
private-host exemption that only dev may configure."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bancone_ingest.domain.uploads import filename_for_url
from bancone_ingest.settings import IngestSettings

pytestmark = pytest.mark.unit

PROD: dict[str, Any] = {
    "environment": "prod",
    "kafka_security_protocol": "SASL_SSL",
    "jwks_url": "https://gateway.internal/.well-known/jwks.json",
}


@pytest.mark.parametrize(
    ("path", "content_type", "expected"),
    [
        ("/guides/care", "text/html; charset=utf-8", "care.html"),
        ("/terms.php", "application/pdf", "terms.pdf"),
        ("/", "text/plain", "index.txt"),
        ("/files/warranty.pdf", "application/octet-stream", "warranty.pdf"),
        ("", None, "index"),
    ],
)
def test_the_content_type_names_the_format_of_a_fetched_file(
    path: str, content_type: str | None, expected: str
) -> None:
    assert filename_for_url(path, content_type) == expected


def test_private_hosts_may_be_exempted_in_dev_only() -> None:
    dev = IngestSettings(environment="dev", url_fetch_allowed_hosts=("127.0.0.1:8999", "[::1]"))
    assert dev.url_fetch_trusted_hosts == {"127.0.0.1:8999", "::1"}
    assert IngestSettings(**PROD).url_fetch_allowed_hosts == ()
    with pytest.raises(ValidationError, match="url_fetch_allowed_hosts"):
        IngestSettings(**PROD, url_fetch_allowed_hosts=("127.0.0.1",))
