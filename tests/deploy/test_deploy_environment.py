"""`environment` is never silently dev: no image sets it, no settings class defaults it, so a
container started without it fails at once (the manifests set it: see the settings policy)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from bancone_kit.settings import ServiceSettings

from .deploy_policy.settings_env import settings_class

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.parent.name for p in (REPO / "services").glob("*/pyproject.toml"))


def test_no_image_sets_an_environment() -> None:
    for dockerfile in (REPO / "deploy" / "docker").glob("**/Dockerfile*"):
        text = dockerfile.read_text(encoding="utf-8")
        assert not re.search(r"BANCONE_\w*ENVIRONMENT", text), dockerfile


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_defaults_its_environment(service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cls: type[ServiceSettings] = settings_class(service)
    assert cls.model_fields["environment"].is_required()
    prefix = str(cls.model_config.get("env_prefix") or "")
    monkeypatch.delenv("BANCONE_ENVIRONMENT", raising=False)
    monkeypatch.delenv(f"{prefix}ENVIRONMENT", raising=False)
    with pytest.raises(ValidationError, match="environment"):
        cls(_env_file=None)  # type: ignore[call-arg]
