#!/usr/bin/env bash
# `make deploy-check`: prove offline, without a cluster or a Docker engine, that the Kubernetes
# manifests and Dockerfiles agree with the code. Each step says what it checks and its time.
#
#  1. tools: pinned kustomize, checkov, kubernetes-validate, hadolint (deploy/tools/install.sh,
#     cached after the first run)
#  2. KafkaTopics generated from bancone_contracts are current (gen_topics.py --check)
#  3. kustomize builds every overlay, and base + each component alone
#  4. every core object validates against the Kubernetes schema (strict, two versions)
#  5. hadolint on the service Dockerfile template
#  6. checkov's Kubernetes checks on every rendered overlay (skips justified in checkov.yaml)
#  7. the template's builder stage replayed with uv for each service (dockerfile_replay.py)
#  8. policy tests over the rendered YAML (pytest tests/deploy)
#
# Rendered manifests are left in .bancone/deploy/rendered/ for a look.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"
OUT="${BANCONE_STATE_DIR:-$REPO/.bancone}/deploy"
K8S="deploy/k8s"
KUBE_VERSIONS=(1.30.0 1.37.0)
start=$SECONDS

step() { echo "==> deploy-check: $*"; t0=$SECONDS; }
took() { echo "    ($((SECONDS - t0))s)"; }

step "tools (pinned; installed once into the cache)"
eval "$(bash "$HERE/install.sh" all)"
export BANCONE_KUSTOMIZE="$KUSTOMIZE"
took

step "KafkaTopics match bancone_contracts.topics.ALL_TOPICS"
uv run --frozen python "$HERE/gen_topics.py" --check
took

step "kustomize build: every overlay, and base + each component alone"
rm -rf "$OUT" && mkdir -p "$OUT/rendered" "$OUT/combos"
for overlay in "$K8S"/overlays/*/; do
  name="$(basename "$overlay")"
  "$KUSTOMIZE" build "$overlay" > "$OUT/rendered/$name.yaml"
  echo "    overlays/$name: $(grep -c '^kind:' "$OUT/rendered/$name.yaml") objects"
done
for component in "$K8S"/components/*/; do
  name="$(basename "$component")"
  mkdir -p "$OUT/combos/$name"
  # A throwaway kustomization beside the repo's: base + this one component.
  rel="$(realpath --relative-to="$OUT/combos/$name" "$REPO/$K8S")"
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [%s/base]\ncomponents: [%s/components/%s]\n' \
    "$rel" "$rel" "$name" > "$OUT/combos/$name/kustomization.yaml"
  "$KUSTOMIZE" build --load-restrictor LoadRestrictionsNone "$OUT/combos/$name" > "$OUT/combos/$name.yaml"
  echo "    base + components/$name: $(grep -c '^kind:' "$OUT/combos/$name.yaml") objects"
done
took

step "kubernetes-validate (strict) on core kinds, Kubernetes ${KUBE_VERSIONS[*]}"
args=()
for version in "${KUBE_VERSIONS[@]}"; do args+=(--kubernetes-version "$version"); done
"$TOOLS_PYTHON" "$HERE/validate_core.py" "${args[@]}" "$OUT"/rendered/*.yaml
took

step "hadolint on deploy/docker/Dockerfile (one template, --build-arg SERVICE)"
"$HADOLINT" deploy/docker/Dockerfile
echo "    the Dockerfile template is clean"
took

step "checkov (Kubernetes checks) on the rendered overlays"
"$CHECKOV" --config-file "$HERE/checkov.yaml" --directory "$OUT/rendered"
echo "    no failed check in $(ls "$OUT"/rendered/*.yaml | wc -l) rendered overlays"
took

step "Dockerfile builder stage replayed with uv per service (no Docker engine here)"
uv run --frozen python "$HERE/dockerfile_replay.py"
took

step "policy tests over the rendered YAML (pytest tests/deploy)"
uv run --frozen pytest tests/deploy -m unit -q -p no:cacheprovider
took

echo "==> deploy-check: passed in $((SECONDS - start))s"
