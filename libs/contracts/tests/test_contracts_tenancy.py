"""One tenant id pattern: slugs pass, anything else is refused the same way everywhere."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from bancone_contracts.tenancy import TenantId, is_tenant_id

pytestmark = pytest.mark.unit


class _Scoped(BaseModel):
    tenant_id: TenantId


@pytest.mark.parametrize("value", ["demo", "enoteca-roma", "a1", "0" * 63])
def test_slugs_are_tenant_ids(value: str) -> None:
    assert is_tenant_id(value)
    assert _Scoped(tenant_id=value).tenant_id == value


@pytest.mark.parametrize("value", ["", "a", "-demo", "Demo", "demo_1", "de mo", "a" * 64, "demo\n"])
def test_other_strings_are_refused(value: str) -> None:
    assert not is_tenant_id(value)
    with pytest.raises(ValidationError):
        _Scoped(tenant_id=value)
