"""Network flows: which pod may reach which port under the NetworkPolicies, against the
flows DESIGN.md draws."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from .documents import Doc, by_kind, labels_match, main_container, pod_spec, service_names

# --------------------------------------------------------------------------- network flows


@dataclass(frozen=True)
class Endpoint:
    """A pod (or address) traffic can come from or go to, and the ports it listens on."""

    name: str
    namespace: str | None  # None: outside the cluster
    labels: tuple[tuple[str, str], ...] = ()
    ip: str = "10.0.0.1"
    ports: tuple[tuple[int, str], ...] = ()

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)


def endpoints(docs: list[Doc], namespace: str) -> list[Endpoint]:
    """Bancone's pods (from the rendered workloads), the engines' pods as their operators label
    them, and the peers outside the namespace that DESIGN.md names."""
    found = []
    for number, workload in enumerate(
        [*by_kind(docs, "Deployment"), *by_kind(docs, "StatefulSet")]
    ):
        labels = workload["spec"]["template"]["metadata"].get("labels", {})
        ports = tuple(
            (p["containerPort"], p.get("protocol", "TCP"))
            for c in pod_spec(workload)["containers"]
            for p in c.get("ports", [])
        )
        found.append(
            Endpoint(
                workload["metadata"]["name"],
                namespace,
                tuple(sorted(labels.items())),
                f"10.1.0.{number + 1}",
                ports,
            )
        )
    for kafka in by_kind(docs, "Kafka"):
        labels = {
            "strimzi.io/cluster": kafka["metadata"]["name"],
            "strimzi.io/kind": "Kafka",
            "strimzi.io/broker-role": "true",
            "strimzi.io/controller-role": "true",
        }
        found.append(
            Endpoint(
                "kafka",
                namespace,
                tuple(sorted(labels.items())),
                "10.2.0.1",
                ((9093, "TCP"), (9090, "TCP"), (9091, "TCP")),
            )
        )
    for cluster in by_kind(docs, "Cluster"):
        labels = {"cnpg.io/cluster": cluster["metadata"]["name"], "cnpg.io/instanceRole": "primary"}
        found.append(
            Endpoint(
                "postgres",
                namespace,
                tuple(sorted(labels.items())),
                "10.3.0.1",
                ((5432, "TCP"), (8000, "TCP")),
            )
        )
    outside = [
        ("ingress", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}, ()),
        ("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"}, ()),
        (
            "otel",
            "observability",
            {"app.kubernetes.io/name": "opentelemetry-collector"},
            ((4318, "TCP"), (4317, "TCP")),
        ),
        ("keda", "keda", {"app": "keda-operator"}, ()),
        ("strimzi-operator", "strimzi", {"name": "strimzi-cluster-operator"}, ()),
        ("cnpg-operator", "cnpg-system", {"app.kubernetes.io/name": "cloudnative-pg"}, ()),
        ("dns", "kube-system", {"k8s-app": "kube-dns"}, ((53, "UDP"), (53, "TCP"))),
        ("other-namespace", "default", {"app": "anything"}, ((8080, "TCP"),)),
    ]
    for number, (name, ns, labels, ports) in enumerate(outside):
        found.append(
            Endpoint(name, ns, tuple(sorted(labels.items())), f"10.9.0.{number + 1}", ports)
        )
    found.append(Endpoint("internet", None, (), "157.240.0.1", ((443, "TCP"), (80, "TCP"))))
    return found


def _peer_matches(peer: Doc, policy_namespace: str, other: Endpoint) -> bool:
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        address = ipaddress.ip_address(other.ip)
        if address not in ipaddress.ip_network(block["cidr"]):
            return False
        return not any(address in ipaddress.ip_network(e) for e in block.get("except", []))
    if other.namespace is None:
        return False
    if "namespaceSelector" in peer:
        namespace_labels = {"kubernetes.io/metadata.name": other.namespace}
        if not labels_match(peer["namespaceSelector"], namespace_labels):
            return False
    elif other.namespace != policy_namespace:
        return False
    if "podSelector" in peer:
        return labels_match(peer["podSelector"], other.label_map)
    return True


def _port_matches(rule: Doc, port: int, protocol: str) -> bool:
    if not rule.get("ports"):
        return True
    for item in rule["ports"]:
        if item.get("protocol", "TCP") != protocol:
            continue
        if "port" not in item:
            return True
        start = item["port"]
        if not isinstance(start, int):
            raise ValueError(f"named port {start!r} in a NetworkPolicy: use numbers")
        if start <= port <= item.get("endPort", start):
            return True
    return False


def _allowed(
    policies: list[Doc],
    namespace: str,
    direction: str,
    pod: Endpoint,
    other: Endpoint,
    port: int,
    protocol: str,
) -> bool:
    """Whether `pod`'s policies let traffic `direction` (Ingress from / Egress to) `other`."""
    if pod.namespace != namespace:
        return True  # we do not model other namespaces' policies
    selecting = [
        p
        for p in policies
        if direction in p["spec"].get("policyTypes", ["Ingress"])
        and (not p["spec"]["podSelector"] or labels_match(p["spec"]["podSelector"], pod.label_map))
    ]
    if not selecting:
        return True
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    for policy in selecting:
        for rule in policy["spec"].get(key) or []:
            peers = rule.get(peers_key)
            peer_ok = peers is None or any(_peer_matches(p, namespace, other) for p in peers)
            if peer_ok and _port_matches(rule, port, protocol):
                return True
    return False


def allowed_flows(docs: list[Doc], namespace: str) -> set[tuple[str, str, int]]:
    """Every (source, destination, port) the NetworkPolicies let through."""
    policies = by_kind(docs, "NetworkPolicy")
    flows = set()
    nodes = endpoints(docs, namespace)
    for source in nodes:
        for target in nodes:
            if source.namespace != namespace and target.namespace != namespace:
                continue
            for port, protocol in target.ports:
                if _allowed(
                    policies, namespace, "Egress", source, target, port, protocol
                ) and _allowed(policies, namespace, "Ingress", target, source, port, protocol):
                    flows.add((source.name, target.name, port))
    return flows


def design_flows(docs: list[Doc]) -> set[tuple[str, str, int]]:
    """The flows of DESIGN.md (plus what the engines need to run), as (source, target, port)."""
    ports = {
        w["metadata"]["name"]: main_container(w)["ports"][0]["containerPort"]
        for w in by_kind(docs, "Deployment")
    }
    flows = {
        ("ingress", "gateway", ports["gateway"]),
        # the console's tenant API calls go straight to the owning service (tenant-apis)
        ("ingress", "agent", ports["agent"]),
        ("ingress", "catalog", ports["catalog"]),
        ("ingress", "ingest", ports["ingest"]),
        ("ingress", "notifier", ports["notifier"]),  # message templates
        ("agent", "catalog", ports["catalog"]),
        ("agent", "ingest", ports["ingest"]),
        ("agent", "gateway", ports["gateway"]),  # service tokens, JWKS
        ("catalog", "gateway", ports["gateway"]),  # JWKS: tokens are verified locally
        ("gateway", "catalog", ports["catalog"]),  # invoice PDFs behind signed links
        ("ingest", "gateway", ports["gateway"]),
        ("notifier", "gateway", ports["gateway"]),  # JWKS
        ("agent", "internet", 443),  # the LLM (OpenAI-compatible, HTTPS)
        ("notifier", "internet", 443),  # Meta's Graph API
        ("ingest", "internet", 443),  # documents from URLs, S3 blobs, OpenAI embeddings
        ("ingest", "qdrant", 6333),
        ("keda", "kafka", 9093),  # consumer-group lag
        # the engines among themselves, with their operators and the Kubernetes API
        ("kafka", "kafka", 9093),
        ("kafka", "kafka", 9090),
        ("kafka", "kafka", 9091),
        ("strimzi-operator", "kafka", 9093),
        ("strimzi-operator", "kafka", 9090),
        ("strimzi-operator", "kafka", 9091),
        ("kafka", "internet", 443),
        ("postgres", "postgres", 5432),
        ("postgres", "postgres", 8000),
        ("cnpg-operator", "postgres", 5432),
        ("cnpg-operator", "postgres", 8000),
        ("postgres", "internet", 443),
    }
    for service in service_names():
        flows |= {
            (service, "kafka", 9093),
            (service, "postgres", 5432),
            (service, "otel", 4318),
            ("prometheus", service, ports[service]),
        }
    in_namespace = [*ports, "kafka", "postgres", "qdrant"]
    flows |= {(name, "dns", 53) for name in in_namespace}
    return flows


def network_problems(docs: list[Doc], namespace: str) -> list[str]:
    allowed = allowed_flows(docs, namespace)
    expected = design_flows(docs)
    problems = [
        f"allowed but not a flow of DESIGN.md: {f[0]} -> {f[1]}:{f[2]}"
        for f in sorted(allowed - expected)
    ]
    problems += [
        f"a flow of DESIGN.md is blocked: {f[0]} -> {f[1]}:{f[2]}"
        for f in sorted(expected - allowed)
    ]
    return problems


# --------------------------------------------------------------------------- ingress

PUBLISHED_PATHS = {
    "/webhooks/whatsapp",
    "/l/",  # signed customer links (the token is the credential)
    "/v1/payments/[^/]+/callback$",  # payment providers' callbacks (signature checked)
    "/.well-known/jwks.json",
    "/v1/auth/login",
    "/v1/auth/refresh",
    "/v1/auth/logout",
    "/v1/auth/password",
    "/v1/auth/invites/accept",
    "/v1/auth/password-resets/complete",
    "/v1/tenants",
    "/console",
    "/v1/tenants/[^/]+/(conversations|events|assistant-config|onboarding|usage|dead-letters|whatsapp-notices)(/|$)",
    "/v1/tenants/[^/]+/(products|faqs|offers|import|imports|orders|carts|invoice-settings)(/|:|$)",
    "/v1/tenants/[^/]+/(documents|ingestion-jobs|search|stats|knowledge-settings)(/|$)",
    "/v1/tenants/[^/]+/(templates|campaigns|customers|consent)(/|:|$)",
}
"""What the Ingress may publish: the webhook, the operators' identity routes, the JWKS, the
console's static files and the tenant-scoped
API (every route under it needs a token for the path's tenant), some of it routed straight to
the service that owns it. The platform
API (`/v1/platform/...`) and the service-token route stay inside the cluster."""

INTERNAL_ONLY = (
    "/v1/platform",
    "/v1/auth/service-token",
    "/v1/internal",  # service-to-service (minting signed links)
    "/metrics",
    "/healthz",
    "/readyz",
)


def _regex_hosts(ingresses: list[Doc]) -> set[str]:
    """Hosts where ingress-nginx matches every path as a case-insensitive regex prefix: one
    Ingress with `use-regex` on a host turns all of that host's paths (Exact too) into
    `~* "^<path>"` locations."""
    return {
        rule.get("host", "")
        for ingress in ingresses
        if ingress["metadata"].get("annotations", {}).get("nginx.ingress.kubernetes.io/use-regex")
        == "true"
        for rule in ingress["spec"].get("rules", [])
    }


def _exposes(path: str, kind: str, regex: bool, internal: str) -> bool:
    if regex:
        pattern = re.compile("^" + path, re.IGNORECASE)
        return any(pattern.match(probe) for probe in (internal, internal + "/x"))
    return internal == path or (kind == "Prefix" and internal.startswith(path.rstrip("/") + "/"))


def ingress_problems(docs: list[Doc]) -> list[str]:
    problems = []
    ingresses = by_kind(docs, "Ingress")
    regex_hosts = _regex_hosts(ingresses)
    for ingress in ingresses:
        for rule in ingress["spec"].get("rules", []):
            regex = rule.get("host", "") in regex_hosts
            for item in rule.get("http", {}).get("paths", []):
                path, kind = item["path"], item.get("pathType", "Prefix")
                if path not in PUBLISHED_PATHS:
                    problems.append(f"ingress publishes {path} ({kind})")
                covered = [p for p in INTERNAL_ONLY if _exposes(path, kind, regex, p)]
                problems.extend(f"ingress {path} ({kind}) exposes {p}" for p in covered)
    return problems
