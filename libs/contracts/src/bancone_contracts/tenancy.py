"""The tenant id: one pattern and one type for every model, path parameter and check.

A tenant id is a slug (`demo`, `enoteca-roma`): lowercase letters, digits and dashes, 2 to 63
characters, not starting with a dash — safe in URLs, Kafka keys and database names alike.
"""

from __future__ import annotations

import re
from typing import Annotated, Final

from pydantic import StringConstraints

TENANT_ID_PATTERN: Final = r"^[a-z0-9][a-z0-9-]{1,62}$"
"""The regular expression every tenant id matches (JSON Schema / OpenAPI `pattern`)."""

TENANT_ID_RE: Final = re.compile(TENANT_ID_PATTERN)

TenantId = Annotated[str, StringConstraints(pattern=TENANT_ID_PATTERN)]
"""A tenant id in pydantic models and FastAPI parameters (path, query or body)."""


def is_tenant_id(value: str) -> bool:
    """Whether `value` is a well-formed tenant id (for code that checks outside pydantic)."""
    return TENANT_ID_RE.fullmatch(value) is not None
