"""Decide whether a new JSON Schema of an event can replace a committed one on the same topic.

Compatible means old and new producers and consumers can share the topic: optional properties
may be added; nothing may be removed, retyped, newly required or no longer required, and the
values a field may take (enums, consts, union alternatives) may not change either way, because
an old consumer would reject a value it does not know. Descriptions, examples, titles, defaults
and length limits are documentation here and are ignored.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

_UNION_KEYS = ("anyOf", "oneOf")


def schema_incompatibilities(old: Schema, new: Schema) -> list[str]:
    """Every incompatible difference from ``old`` to ``new``, as ``path: problem`` lines."""
    return _Comparison(old, new).run()


class _Comparison:
    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.old_root = old_root
        self.new_root = new_root
        self.problems: list[str] = []
        self._seen: set[tuple[str, str, str]] = set()

    def run(self) -> list[str]:
        self._compare(self.old_root, self.new_root, "$")
        return self.problems

    def _problem(self, path: str, text: str) -> None:
        self.problems.append(f"{path}: {text}")

    def _resolve(self, schema: Schema, root: Schema) -> tuple[Schema, str]:
        ref_name = ""
        while True:
            if "$ref" in schema:
                ref = str(schema["$ref"])
                ref_name = ref
                target = _follow(root, ref)
                siblings = {k: v for k, v in schema.items() if k != "$ref"}
                schema = {**target, **siblings}
            elif "allOf" in schema and len(schema["allOf"]) == 1:
                siblings = {k: v for k, v in schema.items() if k != "allOf"}
                schema = {**schema["allOf"][0], **siblings}
            else:
                return schema, ref_name

    def _compare(self, old: Schema, new: Schema, path: str) -> None:
        old, old_ref = self._resolve(old, self.old_root)
        new, new_ref = self._resolve(new, self.new_root)
        if old_ref and new_ref:
            marker = (old_ref, new_ref, path)
            if marker in self._seen:
                return
            self._seen.add(marker)

        old_branches = self._branches(old, self.old_root)
        new_branches = self._branches(new, self.new_root)
        if len(old_branches) > 1 or len(new_branches) > 1:
            self._compare_unions(old_branches, new_branches, path)
            return
        self._compare_single(old, new, path)

    def _branches(self, schema: Schema, root: Schema) -> list[Schema]:
        for key in _UNION_KEYS:
            if key in schema:
                flat: list[Schema] = []
                for branch in schema[key]:
                    resolved, _ = self._resolve(branch, root)
                    flat.extend(self._branches(resolved, root))
                return flat
        return [schema]

    def _compare_unions(self, old: list[Schema], new: list[Schema], path: str) -> None:
        old_keyed = {_branch_key(b): b for b in old}
        new_keyed = {_branch_key(b): b for b in new}
        for key, branch in old_keyed.items():
            if key not in new_keyed:
                self._problem(path, f"alternative {key} was removed or retyped")
            else:
                self._compare_single(branch, new_keyed[key], f"{path}<{key}>")
        for key in new_keyed.keys() - old_keyed.keys():
            self._problem(path, f"alternative {key} was added (old consumers cannot read it)")

    def _compare_single(self, old: Schema, new: Schema, path: str) -> None:
        old_types, new_types = _types(old), _types(new)
        if old_types != new_types:
            self._problem(path, f"type changed from {sorted(old_types)} to {sorted(new_types)}")
            return
        if old.get("format") != new.get("format"):
            self._problem(path, f"format changed from {old.get('format')} to {new.get('format')}")
        old_values, new_values = _values(old), _values(new)
        if old_values != new_values:
            self._problem(path, f"allowed values changed from {old_values} to {new_values}")
        if "object" in old_types:
            self._compare_objects(old, new, path)
        if "array" in old_types:
            self._compare_arrays(old, new, path)

    def _compare_objects(self, old: Schema, new: Schema, path: str) -> None:
        old_props: Schema = old.get("properties", {})
        new_props: Schema = new.get("properties", {})
        old_required = set(old.get("required", []))
        new_required = set(new.get("required", []))
        for name, old_prop in old_props.items():
            if name not in new_props:
                self._problem(f"{path}.{name}", "property was removed")
                continue
            if name in new_required and name not in old_required:
                self._problem(f"{path}.{name}", "property became required")
            if name in old_required and name not in new_required:
                self._problem(f"{path}.{name}", "property is no longer required")
            self._compare(old_prop, new_props[name], f"{path}.{name}")
        for name in new_props.keys() - old_props.keys():
            if name in new_required:
                self._problem(f"{path}.{name}", "new property is required")
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_extra, dict) and isinstance(new_extra, dict):
            self._compare(old_extra, new_extra, f"{path}.*")

    def _compare_arrays(self, old: Schema, new: Schema, path: str) -> None:
        old_items, new_items = old.get("items"), new.get("items")
        if isinstance(old_items, dict) and isinstance(new_items, dict):
            self._compare(old_items, new_items, f"{path}[]")
        elif (old_items is None) != (new_items is None):
            self._problem(f"{path}[]", "item schema was added or removed")


def _follow(root: Schema, ref: str) -> Schema:
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are supported, not {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    if not isinstance(node, dict):
        raise ValueError(f"{ref!r} does not point at a schema")
    return node


def _types(schema: Schema) -> frozenset[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return frozenset({declared})
    if isinstance(declared, list):
        return frozenset(str(t) for t in declared)
    if "properties" in schema:
        return frozenset({"object"})
    if "const" in schema:
        return frozenset({type(schema["const"]).__name__})
    return frozenset()


def _values(schema: Schema) -> list[str] | None:
    if "const" in schema:
        return [repr(schema["const"])]
    if "enum" in schema:
        return sorted(repr(v) for v in schema["enum"])
    return None


def _branch_key(schema: Schema) -> str:
    """Identify a union alternative: objects by their const (discriminator) fields or title."""
    types = sorted(_types(schema))
    if "object" in types:
        consts = sorted(
            f"{name}={prop['const']!r}"
            for name, prop in schema.get("properties", {}).items()
            if isinstance(prop, dict) and "const" in prop
        )
        return f"object({','.join(consts) or schema.get('title', '')})"
    values = _values(schema)
    suffix = f"={values}" if values else ""
    fmt = f":{schema['format']}" if "format" in schema else ""
    return f"{'|'.join(types) or 'any'}{fmt}{suffix}"
