"""FastAPI dependencies of the gateway's routes: the handler deps, the settings and (from the
kit) the admin check."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from bancone_gateway.handlers.deps import GatewayDeps
from bancone_gateway.settings import GatewaySettings
from bancone_kit.http.auth import AdminOnly

__all__ = ["AdminOnly", "DepsDep", "SettingsDep", "get_deps", "get_settings"]


def get_deps(request: Request) -> GatewayDeps:
    deps: GatewayDeps = request.app.state.deps
    return deps


def get_settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


DepsDep = Annotated[GatewayDeps, Depends(get_deps)]
SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
