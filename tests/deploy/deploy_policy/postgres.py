"""PostgreSQL: one role and one database per service, and pg_hba that admits nothing else."""

from __future__ import annotations

from .documents import Doc, by_kind, service_names

# --------------------------------------------------------------------------- PostgreSQL


def postgres_problems(docs: list[Doc]) -> list[str]:
    """One role and one database per service, owned by it; pg_hba admits each role to its
    own database only and rejects the rest."""
    problems: list[str] = []
    clusters = by_kind(docs, "Cluster")
    if len(clusters) != 1:
        return [f"expected one CloudNativePG Cluster, found {len(clusters)}"]
    cluster = clusters[0]
    roles = {r["name"]: r for r in cluster["spec"].get("managed", {}).get("roles", [])}
    databases = {d["spec"]["name"]: d["spec"] for d in by_kind(docs, "Database")}
    hba = [
        " ".join(line.split()) for line in cluster["spec"].get("postgresql", {}).get("pg_hba", [])
    ]
    for service in service_names():
        role = roles.get(service)
        if role is None or role.get("ensure", "present") != "present" or not role.get("login"):
            problems.append(f"{service}: no login role")
        elif role.get("superuser") or role.get("createrole") or role.get("bypassrls"):
            problems.append(f"{service}: its role has more than it needs")
        elif role.get("passwordSecret", {}).get("name") != f"{service}-db":
            problems.append(f"{service}: its role's password is not the Secret {service}-db")
        database = databases.get(service)
        if database is None or database.get("owner") != service:
            problems.append(f"{service}: no database {service} owned by {service}")
        elif database.get("cluster", {}).get("name") != cluster["metadata"]["name"]:
            problems.append(f"{service}: its Database is on another cluster")
        admits = [
            line for line in hba if line.split()[2:3] == [service] and not line.endswith("reject")
        ]
        if admits != [f"hostssl {service} {service} all scram-sha-256"]:
            problems.append(
                f"{service}: pg_hba admits it by {admits}, not to its own database only"
            )
    if not hba or hba[-1] != "host all all all reject":
        problems.append("pg_hba does not end with `host all all all reject`")
    if cluster["spec"].get("enableSuperuserAccess"):
        problems.append("the superuser can log in over the network")
    return problems
