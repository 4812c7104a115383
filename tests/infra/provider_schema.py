"""The azurerm provider's schema, offline, and a check of ``infra/terraform`` against it.

HashiCorp's prebuilt CDKTF bindings (``cdktf-cdktf-provider-azurerm`` on PyPI) are generated from
``terraform providers schema -json`` of one azurerm release. Their jsii assembly keeps, for every
resource and data source, the configurable arguments (required or optional), and every nested
block: a block of at most one item becomes a struct, a repeatable block a list of structs. That
is what this module reads into a compact :class:`ProviderSchema`; the Makefile writes one per
provider version into the git-ignored ``.cache/provider-schema``:

    python tests/infra/provider_schema.py extract WHEEL OUT_DIR

:func:`check_module` then compares every resource, data source and provider block in the
Terraform files with it: unknown types, arguments and blocks, a single-only block written twice,
and a required argument or block that is missing.
"""

from __future__ import annotations

import io
import json
import re
import sys
import tarfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions
from pydantic import BaseModel, Field

PROVIDER = "azurerm"
META_ARGUMENTS = frozenset({"count", "for_each", "depends_on", "provider"})
META_BLOCKS = frozenset({"lifecycle", "provisioner", "connection"})
"""Terraform's own arguments and blocks, valid in every resource whatever the provider."""

_LINK = re.compile(r"registry\.terraform\.io/providers/hashicorp/azurerm/(?P<version>[0-9.]+)/docs(?P<path>[^ }]*)")
_ANCHOR = re.compile(r"\{@link https://registry\.terraform\.io/[^#} ]*#(?P<name>[a-z0-9_]+) ")
_OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=True, with_comments=False)
_BLOCK_MARK = "__is_block__"


class Argument(BaseModel):
    """One argument a configuration may set (computed-only attributes are not listed)."""

    required: bool = Field(description="the provider rejects a configuration without it")


class Block(BaseModel):
    """A resource, data source, provider or nested block: its arguments and nested blocks."""

    arguments: dict[str, Argument] = Field(default_factory=dict, description="argument name -> its schema")
    blocks: dict[str, NestedBlock] = Field(default_factory=dict, description="nested block type -> its schema")


class NestedBlock(BaseModel):
    """A nested block type inside a :class:`Block`."""

    single: bool = Field(description="at most one such block (max_items = 1 in the provider schema)")
    required: bool = Field(description="at least one such block must be written")
    block: Block = Field(description="what the block itself may contain")


class ProviderSchema(BaseModel):
    """What ``terraform providers schema -json`` says of one azurerm release, as the tests use it."""

    provider_version: str = Field(description="the azurerm release the bindings were generated from")
    source_package: str = Field(description="the PyPI distribution and version it was read from")
    provider: Block = Field(description="the provider block")
    resources: dict[str, Block] = Field(description="resource type -> its schema")
    data_sources: dict[str, Block] = Field(description="data source type -> its schema")

    @classmethod
    def load(cls, path: Path) -> ProviderSchema:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))


# --- extraction from the jsii assembly ----------------------------------------------------------


def _docs_text(member: dict[str, Any]) -> str:
    docs = member.get("docs", {})
    return f"{docs.get('summary', '')} {docs.get('remarks', '')}"


def _struct_of(type_ref: dict[str, Any], types: dict[str, Any]) -> tuple[str, bool] | None:
    """(struct fqn, single) when the property's type is a block struct or a list of them."""
    fqn = type_ref.get("fqn")
    if fqn and types.get(fqn, {}).get("datatype"):
        return fqn, True
    for member in type_ref.get("union", {}).get("types", []):
        element = member.get("collection", {}).get("elementtype", {}).get("fqn")
        if element and types.get(element, {}).get("datatype"):
            return element, False
    return None


def _block(struct_fqn: str, types: dict[str, Any], depth: int = 0) -> Block:
    assert depth < 20, f"nesting too deep at {struct_fqn}"
    block = Block()
    for prop in types[struct_fqn].get("properties", []):
        text = _docs_text(prop)
        anchor = _ANCHOR.search(text)
        assert anchor, f"{struct_fqn}.{prop['name']}: no Terraform name in its docs: {text!r}"
        name = anchor.group("name")
        required = not prop.get("optional", False)
        struct = _struct_of(prop["type"], types)
        if struct and text.strip().startswith(f"{name} block."):
            fqn, single = struct
            block.blocks[name] = NestedBlock(single=single, required=required, block=_block(fqn, types, depth + 1))
        else:
            block.arguments[name] = Argument(required=required)
    return block


def schema_from_assembly(assembly: dict[str, Any], source_package: str) -> ProviderSchema:
    """Every resource and data source class of the jsii assembly, with its Config struct."""
    types: dict[str, Any] = assembly["types"]
    resources: dict[str, Block] = {}
    data_sources: dict[str, Block] = {}
    provider: Block | None = None
    versions: set[str] = set()
    for fqn, spec in types.items():
        if spec.get("kind") != "class" or "initializer" not in spec:
            continue
        link = _LINK.search(spec.get("docs", {}).get("summary", ""))
        config = next((p for p in spec["initializer"].get("parameters", []) if p["name"] == "config"), None)
        if not link or config is None:
            continue
        versions.add(link.group("version"))
        block = _block(config["type"]["fqn"], types)
        path = link.group("path")
        if path.startswith("/resources/"):
            resources[f"{PROVIDER}_{path.removeprefix('/resources/')}"] = block
        elif path.startswith("/data-sources/"):
            data_sources[f"{PROVIDER}_{path.removeprefix('/data-sources/')}"] = block
        elif fqn.endswith(".provider.AzurermProvider"):
            provider = block
    assert len(versions) == 1, f"the assembly links several provider versions: {sorted(versions)}"
    assert provider is not None and resources and data_sources, "not an azurerm provider assembly"
    return ProviderSchema(
        provider_version=versions.pop(), source_package=source_package, provider=provider,
        resources=resources, data_sources=data_sources,
    )


def extract(wheel: Path) -> ProviderSchema:
    """Read the jsii assembly out of a ``cdktf-cdktf-provider-azurerm`` wheel."""
    with zipfile.ZipFile(wheel) as archive:
        inner = next(n for n in archive.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(archive.read(inner)), mode="r:gz") as tar:
            member = tar.extractfile("package/.jsii")
            assert member is not None, f"{inner} has no package/.jsii"
            assembly = json.load(member)
    return schema_from_assembly(assembly, source_package=f"{assembly['name']}@{assembly['version']} ({wheel.name})")


# --- the check ---------------------------------------------------------------------------------


def _items(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict) and v.get(_BLOCK_MARK)] if isinstance(value, list) else []


def _check_block(body: dict[str, Any], schema: Block, where: str, top_level: bool) -> Iterable[str]:
    dynamic_names: set[str] = set()
    for dynamic in body.get("dynamic", []):
        for name, spec in dynamic.items():
            if name == _BLOCK_MARK:
                continue
            dynamic_names.add(name)
            nested = schema.blocks.get(name)
            if nested is None:
                yield f"{where}: dynamic block '{name}' is not a block of the provider schema"
                continue
            for content in _items(spec.get("content")):
                yield from _check_block(content, nested.block, f"{where}.{name}", top_level=False)
    for key, value in body.items():
        if key == _BLOCK_MARK or key == "dynamic":
            continue
        blocks = _items(value)
        if top_level and (key in META_ARGUMENTS or key in META_BLOCKS):
            continue
        if blocks:
            nested = schema.blocks.get(key)
            if nested is None:
                hint = " (it is an argument: write `name = value`)" if key in schema.arguments else ""
                yield f"{where}: block '{key}' does not exist in the provider schema{hint}"
                continue
            if nested.single and len(blocks) > 1:
                yield f"{where}: block '{key}' may appear once, found {len(blocks)}"
            for index, item in enumerate(blocks):
                suffix = f"[{index}]" if len(blocks) > 1 else ""
                yield from _check_block(item, nested.block, f"{where}.{key}{suffix}", top_level=False)
        elif key not in schema.arguments:
            hint = " (it is a block: write `name { ... }`)" if key in schema.blocks else ""
            yield f"{where}: argument '{key}' does not exist in the provider schema{hint}"
    for name, argument in schema.arguments.items():
        if argument.required and name not in body:
            yield f"{where}: required argument '{name}' is missing"
    for name, nested in schema.blocks.items():
        if nested.required and name not in body and name not in dynamic_names:
            yield f"{where}: required block '{name}' is missing"


def parse_module(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """Every top-level block kind of the ``*.tf`` files, blocks marked as python-hcl2 does."""
    merged: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(directory.glob("*.tf")):
        parsed = hcl2.loads(path.read_text(encoding="utf-8"), serialization_options=_OPTIONS)
        for kind, blocks in parsed.items():
            merged.setdefault(kind, []).extend(blocks)
    return merged


def check_module(directory: Path, schema: ProviderSchema) -> list[str]:
    """Every way the module's azurerm resources, data sources and provider block miss the schema."""
    parsed = parse_module(directory)
    problems: list[str] = []
    for kind, known in (("resource", schema.resources), ("data", schema.data_sources)):
        for block in parsed.get(kind, []):
            for rtype, named in block.items():
                if not rtype.startswith(f"{PROVIDER}_"):
                    continue
                for name, body in named.items():
                    where = f"{'data.' if kind == 'data' else ''}{rtype}.{name}"
                    if rtype not in known:
                        problems.append(
                            f"{where}: {kind} type {rtype} does not exist in azurerm {schema.provider_version}"
                        )
                        continue
                    problems.extend(_check_block(body, known[rtype], where, top_level=True))
    for block in parsed.get("provider", []):
        if PROVIDER in block:
            problems.extend(_check_block(block[PROVIDER], schema.provider, f"provider.{PROVIDER}", top_level=True))
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] != "extract":
        print("usage: provider_schema.py extract WHEEL OUT_DIR", file=sys.stderr)
        return 2
    schema = extract(Path(argv[1]))
    out = Path(argv[2]) / f"{PROVIDER}-{schema.provider_version}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(schema.model_dump_json(), encoding="utf-8")
    print(f"{out}: {len(schema.resources)} resources, {len(schema.data_sources)} data sources")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
