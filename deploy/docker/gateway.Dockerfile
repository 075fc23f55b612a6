# syntax=docker/dockerfile:1.7
# Bancone gateway: `bancone-gateway serve` (HTTP :8080) and `bancone-gateway migrate`.
# Build from the repository root (the context needs uv.lock and the workspace):
#   docker build -f deploy/docker/gateway.Dockerfile -t bancone/gateway:0.1.0 .
# Only the gateway's packages are installed, from the lock file; the final stage has no uv,
# no pip and no compiler, runs as UID 10001 and works on a read-only root filesystem.
ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.9

FROM ${UV_IMAGE} AS uv

FROM ${PYTHON_IMAGE} AS builder
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# Third-party dependencies first: this layer is rebuilt only when the lock changes.
COPY uv.lock pyproject.toml ./
COPY libs/contracts/pyproject.toml libs/contracts/
COPY libs/kit/pyproject.toml libs/kit/
COPY services/gateway/pyproject.toml services/gateway/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package bancone-gateway --no-install-workspace
# Then the service and the two libraries it imports, installed as wheels (not editable).
COPY libs/contracts libs/contracts
COPY libs/kit libs/kit
COPY services/gateway services/gateway
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package bancone-gateway

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/app/.venv/bin:$PATH \
    HOME=/tmp \
    XDG_CACHE_HOME=/tmp/.cache
# The base image's pip/setuptools are installers, not runtime: drop them; add the app user.
RUN python -m pip uninstall --yes --quiet pip setuptools wheel \
    && groupadd --system --gid 10001 bancone \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin bancone
# Owned by root and read-only to the app user: the code cannot be changed at run time.
COPY --from=builder /app/.venv /app/.venv
WORKDIR /app
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["bancone-gateway"]
CMD ["serve"]
