"""Validate recorded ARM request bodies against the ARM OpenAPI (Swagger 2.0) specs.

Input: a JSON Lines file written by `capz emulator serve --record-requests FILE`, one
request per line: {"method", "path", "api_version", "status", "body"}.
Specs: the repository's vendor/arm-specs (override with --specs or CAPZ_ARM_SPECS).

For every PUT/PATCH line the validator finds the operation whose path template matches
the path (case-insensitively, `{param}` = one segment, `{scope}` = one or more; the most
literal template wins)
in a spec file whose `info.version` equals the line's api-version, takes that operation's
body parameter schema and checks the body against it with `jsonschema` (Draft 4, the
dialect Swagger 2.0 schemas are written in). The Swagger schema is first turned into
plain JSON Schema:

- `$ref`s are resolved across files (relative paths, `#/definitions/...`,
  `#/parameters/...`); a `$ref` into a file that was not copied accepts anything and is
  reported once as unresolved.
- `allOf` is flattened: an object's properties and `required` are the union of its own
  and its parents'.
- Objects are closed: the specs never say `additionalProperties: false`, yet an unknown
  property in a body capz sends is a capz bug (ARM ignores it or rejects it), so an
  object schema that lists `properties` and no `additionalProperties` rejects others.
  `--open` turns this off (then only an explicit `additionalProperties: false` closes).
- `readOnly` properties are allowed in a request body (ARM ignores them) and are never
  required. `x-ms-client-flatten` is ignored: bodies are in wire shape. `x-nullable:
  true` allows null. `enum` is enforced exactly (x-ms-enum `modelAsString` lets SDKs
  pass other strings; capz must not). `format` is not checked.

Usage: python validate_bodies.py RECORDED.jsonl [--specs DIR] [--open]
Exit status 0 when every body is valid, 1 when any is not (each problem printed as
`METHOD PATH (api-version): at JSON-PATH: message`), 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

HERE = Path(__file__).resolve().parent
DEFAULT_SPECS = HERE.parent.parent / "vendor" / "arm-specs"

# Keywords copied as they are from a Swagger schema into JSON Schema.
_PLAIN = (
    "type", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems",
    "multipleOf",
)


@dataclass
class Operation:
    """One PUT/PATCH operation of a spec file."""

    file: Path
    method: str
    template: str
    regex: re.Pattern
    literal_segments: int
    body: dict | None  # the body parameter's schema node (unresolved), or None


@dataclass
class Finding:
    """One invalid body."""

    method: str
    path: str
    api_version: str | None
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.api_version}): at {self.where}: {self.message}"


@dataclass
class Specs:
    """The loaded spec files and the JSON Schema built from them so far."""

    root: Path
    closed: bool = True
    files: dict[Path, dict] = field(default_factory=dict)
    ops: dict[str, list[Operation]] = field(default_factory=dict)  # by api-version
    definitions: dict[str, Any] = field(default_factory=dict)
    _keys: dict[tuple[Path, str], str] = field(default_factory=dict)
    unresolved: set[str] = field(default_factory=set)
    fallbacks: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def load(cls, root: Path, closed: bool = True) -> "Specs":
        specs = cls(root=root, closed=closed)
        for f in sorted(root.rglob("*.json")):
            if "examples" in f.parts:
                continue
            doc = json.loads(f.read_text(encoding="utf-8"))
            specs.files[f.resolve()] = doc
            version = doc.get("info", {}).get("version")
            for template, item in (doc.get("paths") or {}).items():
                for method in ("put", "patch"):
                    op = item.get(method)
                    if op is None:
                        continue
                    body = None
                    for p in list(item.get("parameters", [])) + list(op.get("parameters", [])):
                        p_file, p = specs._deref(f.resolve(), p)
                        if p is not None and p.get("in") == "body":
                            body = {"file": p_file, "schema": p.get("schema", {})}
                    specs.ops.setdefault(version, []).append(Operation(
                        file=f.resolve(), method=method.upper(), template=template,
                        regex=_template_regex(template),
                        literal_segments=sum(1 for s in template.split("/") if s and "{" not in s),
                        body=body,
                    ))
        return specs

    # --- $ref resolution -------------------------------------------------------------

    def _deref(self, file: Path, node: dict) -> tuple[Path, dict | None]:
        """Follow `$ref` chains; returns (file the node lives in, node) or (file, None)."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            target = self._target(file, node["$ref"])
            if target is None:
                self.unresolved.add(f"{file.name}: {node['$ref']}")
                return file, None
            file, node = target
            seen += 1
            if seen > 50:
                return file, None
        return file, node

    def _target(self, file: Path, ref: str) -> tuple[Path, Any] | None:
        path_part, _, pointer = ref.partition("#")
        target_file = (file.parent / path_part).resolve() if path_part else file
        doc = self.files.get(target_file)
        if doc is None:
            if target_file.exists():
                doc = json.loads(target_file.read_text(encoding="utf-8"))
                self.files[target_file] = doc
            else:
                return None
        node: Any = doc
        for part in [p for p in pointer.split("/") if p]:
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return target_file, node

    # --- Swagger -> JSON Schema ----------------------------------------------------------

    def schema(self, file: Path, node: dict) -> dict:
        """JSON Schema (Draft 4) for a Swagger schema node; `$ref`s become references into
        `self.definitions`."""
        if not isinstance(node, dict):
            return {}
        if "$ref" in node:
            return self._ref(file, node["$ref"])
        props, required, additional, types = self._flatten(file, node, set())
        out: dict[str, Any] = {}
        for k in _PLAIN:
            if k in node:
                out[k] = node[k]
        if types is not None and "type" not in out:
            out["type"] = types
        if props:
            out["properties"] = {name: self.schema(f, sub) for name, (f, sub) in props.items()}
            req = sorted(r for r in required if r in props and not props[r][1].get("readOnly"))
            if req:
                out["required"] = req
        if additional is not None:
            if additional is False or additional is True:
                out["additionalProperties"] = additional
            else:
                out["additionalProperties"] = self.schema(additional[0], additional[1])
        elif props and self.closed:
            out["additionalProperties"] = False
        if "items" in node:
            out["items"] = self.schema(file, node["items"])
        if node.get("x-nullable") is True and "type" in out:
            t = out["type"]
            out["type"] = (t if isinstance(t, list) else [t]) + ["null"]
            if "enum" in out:
                out["enum"] = list(out["enum"]) + [None]
        return out

    def _ref(self, file: Path, ref: str) -> dict:
        target = self._target(file, ref)
        if target is None:
            self.unresolved.add(f"{file.name}: {ref}")
            return {}
        t_file, t_node = target
        pointer = ref.partition("#")[2]
        key = (t_file, pointer)
        if key not in self._keys:
            name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{t_file.stem}{pointer}")
            while name in self.definitions:
                name += "_"
            self._keys[key] = name
            self.definitions[name] = {}  # placeholder: recursion stops here
            self.definitions[name] = self.schema(t_file, t_node)
        return {"$ref": f"#/definitions/{self._keys[key]}"}

    def _flatten(self, file: Path, node: dict, seen: set):
        """(properties {name: (file, node)}, required set, additionalProperties
        (None | bool | (file, node)), type) of a node merged with its allOf parents."""
        props: dict[str, tuple[Path, dict]] = {}
        required: set[str] = set()
        additional = None
        types = None
        for parent in node.get("allOf", []):
            p_file, p_node = self._deref(file, parent)
            if p_node is None:
                continue
            key = (p_file, id(p_node))
            if key in seen:
                continue
            pp, pr, pa, pt = self._flatten(p_file, p_node, seen | {key})
            props.update(pp)
            required |= pr
            additional = pa if pa is not None else additional
            types = pt or types
        for name, sub in (node.get("properties") or {}).items():
            props[name] = (file, sub)
        required |= set(node.get("required", []))
        if "additionalProperties" in node:
            a = node["additionalProperties"]
            additional = a if isinstance(a, bool) else (file, a)
        types = node.get("type", types)
        if types is None and props:
            types = "object"
        return props, required, additional, types

    # --- operations ----------------------------------------------------------------------

    def operation(self, method: str, path: str, api_version: str | None) -> Operation | None:
        """The most literal PUT/PATCH template of this api-version matching `path`."""
        best = None
        for op in self.ops.get(api_version, []):
            if op.method == method and op.regex.fullmatch(path):
                if best is None or op.literal_segments > best.literal_segments:
                    best = op
        return best

    def nearest_older(self, method: str, path: str, api_version: str | None) -> str | None:
        """The newest vendored api-version older than `api_version` that has an operation
        for this path (None if there is none)."""
        if not api_version:
            return None
        older = sorted((v for v in self.ops if v and v[:10] < api_version[:10]), reverse=True)
        return next((v for v in older if self.operation(method, path, v) is not None), None)

    def validate(self, record: dict, older_ok: bool = False) -> list[Finding]:
        """Problems with one recorded request (empty when valid or not a body write).

        With `older_ok`, a body whose api-version has no vendored spec is checked against
        the newest vendored older version of the same operation instead (so a property that
        version does not know is still a finding); `self.fallbacks` records each such use as
        (recorded version, version checked against)."""
        method = str(record.get("method", "")).upper()
        path = record.get("path", "")
        api = record.get("api_version")
        if method not in ("PUT", "PATCH"):
            return []
        op = self.operation(method, path, api)
        if op is None and older_ok:
            older = self.nearest_older(method, path, api)
            if older is not None:
                self.fallbacks.add((api, older))
                op = self.operation(method, path, older)
        if op is None:
            return [Finding(method, path, api, "path", f"no {method} operation in the specs "
                                                        f"for this path and api-version {api}")]
        if op.body is None:
            return []
        root = self.schema(op.body["file"], op.body["schema"])
        full = dict(root)
        full["definitions"] = self.definitions
        validator = jsonschema.Draft4Validator(full)
        out = []
        for err in sorted(validator.iter_errors(record.get("body")), key=lambda e: list(e.absolute_path)):
            where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
            out.append(Finding(method, path, api, where, _message(err)))
        return out


def _template_regex(template: str) -> re.Pattern:
    parts = []
    for seg in template.strip("/").split("/"):
        if seg == "{scope}":
            # ARM's scope parameter (x-ms-skip-url-encoding) is a resource ID: many segments.
            parts.append("[^/]+(?:/[^/]+)*")
        elif "{" in seg:
            # A whole-segment parameter, or a literal with parameters inside.
            pieces = re.split(r"(\{[^}]+\})", seg)
            parts.append("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in pieces))
        else:
            parts.append(re.escape(seg))
    return re.compile("/" + "/".join(parts), re.IGNORECASE)


def _message(err: jsonschema.ValidationError) -> str:
    if err.validator == "additionalProperties" and err.validator_value is False:
        allowed = sorted((err.schema.get("properties") or {}).keys())
        extra = sorted(set(err.instance) - set(allowed)) if isinstance(err.instance, dict) else []
        return f"unknown propert{'y' if len(extra) == 1 else 'ies'} {', '.join(map(repr, extra))} (known: {', '.join(allowed)})"
    return err.message


def validate_file(jsonl: Path, specs: Specs, older_ok: bool = False) -> tuple[int, list[Finding]]:
    """(number of PUT/PATCH bodies checked, findings) for a recording (`older_ok`: see
    `Specs.validate`)."""
    checked = 0
    findings: list[Finding] = []
    for n, line in enumerate(jsonl.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        rec = json.loads(line)
        if str(rec.get("method", "")).upper() in ("PUT", "PATCH"):
            checked += 1
        findings.extend(specs.validate(rec, older_ok))
    return checked, findings


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("recording", type=Path)
    ap.add_argument("--specs", type=Path,
                    default=Path(os.environ.get("CAPZ_ARM_SPECS", DEFAULT_SPECS)))
    ap.add_argument("--open", action="store_true",
                    help="objects accept unknown properties unless the spec closes them")
    args = ap.parse_args(argv)
    if not args.specs.is_dir():
        print(f"spec folder {args.specs} not found", file=sys.stderr)
        return 2
    specs = Specs.load(args.specs, closed=not args.open)
    checked, findings = validate_file(args.recording, specs)
    for f in findings:
        print(f)
    for u in sorted(specs.unresolved):
        print(f"note: unresolved $ref (file not copied), accepted as anything: {u}", file=sys.stderr)
    print(f"{checked} request bodies checked, {len(findings)} problems")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
