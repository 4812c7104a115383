"""Every JSON file of the Power BI project validates against Microsoft's published schema it names.

The schemas are copies of github.com/microsoft/json-schemas (MIT; see schemas/SOURCE.md), read
offline; their cross-file ``$ref``s resolve through a ``referencing`` registry keyed by the URLs
Microsoft publishes them at.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from footfall.powerbi.model import POWERBI_DIR

SCHEMAS = Path(__file__).resolve().parent / "schemas"
PUBLISHED = "https://developer.microsoft.com/json-schemas/"


def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.rglob("*.json"):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents, default_specification=DRAFT7)
        resources.append((PUBLISHED + path.relative_to(SCHEMAS).as_posix(), resource))
        if "$id" in contents:  # some embedded schemas' $id differs from where they are published
            resources.append((contents["$id"], resource))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def json_files(root: Path = POWERBI_DIR) -> list[Path]:
    """Every JSON document of the project (``.json``, ``.pbip``, ``.pbir``, ``.pbism``, ``.platform``)."""
    suffixes = {".json", ".pbip", ".pbir", ".pbism"}
    return sorted(p for p in root.rglob("*") if p.is_file() and (p.suffix in suffixes or p.name == ".platform")
                  and ".pbi" not in p.parts)


def schema_errors(document: dict[str, Any]) -> list[str]:
    """The validation errors of a PBIP document against the schema its ``$schema`` names."""
    url = document.get("$schema")
    if not isinstance(url, str) or not url.startswith(PUBLISHED):
        return [f"names no Microsoft schema ($schema = {url!r})"]
    try:
        schema = REGISTRY.contents(url)
    except LookupError:
        return [f"names {url}, which is not among the vendored schemas"]
    validator = Draft7Validator(schema, registry=REGISTRY)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(document)]


def test_the_project_has_the_files_desktop_opens() -> None:
    names = {p.relative_to(POWERBI_DIR).as_posix() for p in json_files()}
    for required in ("Footfall.pbip", "Footfall.Report/definition.pbir", "Footfall.SemanticModel/definition.pbism",
                     "Footfall.Report/definition/report.json", "Footfall.Report/definition/version.json",
                     "Footfall.Report/definition/pages/pages.json"):
        assert required in names
    pages = json.loads((POWERBI_DIR / "Footfall.Report/definition/pages/pages.json").read_text())["pageOrder"]
    assert pages == ["overview", "store", "comparison", "demographics"]
    for page in pages:
        assert f"Footfall.Report/definition/pages/{page}/page.json" in names


@pytest.mark.parametrize("path", json_files(), ids=lambda p: p.relative_to(POWERBI_DIR).as_posix())
def test_each_json_file_validates_against_the_schema_it_names(path: Path) -> None:
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "Power BI project files are UTF-8 without a BOM"
    assert schema_errors(json.loads(raw)) == []


def test_every_vendored_schema_is_a_valid_draft_7_schema_and_all_its_refs_resolve() -> None:
    for path in SCHEMAS.rglob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft7Validator.check_schema(schema)
        resolver = REGISTRY.resolver(base_uri=PUBLISHED + path.relative_to(SCHEMAS).as_posix())
        stack: list[Any] = [schema]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if isinstance(node.get("$ref"), str):
                    resolver.lookup(node["$ref"])  # raises when a referenced schema is missing
                stack += node.values()
            elif isinstance(node, list):
                stack += node


def _visual() -> dict[str, Any]:
    path = POWERBI_DIR / "Footfall.Report/definition/pages/overview/visuals/overview-trend/visual.json"
    return json.loads(path.read_text())


def test_the_schemas_catch_what_desktop_would_refuse() -> None:
    """The validation has teeth: a visual without a position, with an unknown property or a field
    written the wrong way fails, as Power BI Desktop would refuse to open it."""
    assert schema_errors(_visual()) == []
    no_position = copy.deepcopy(_visual())
    del no_position["position"]
    assert any("position" in e for e in schema_errors(no_position))
    unknown = copy.deepcopy(_visual())
    unknown["visual"]["colour"] = "red"
    assert schema_errors(unknown)
    bad_field = copy.deepcopy(_visual())
    projection = bad_field["visual"]["query"]["queryState"]["Y"]["projections"][0]
    projection["field"] = {"Measure": {"Table": "Store days", "Property": "Visitors (store days)"}}
    assert schema_errors(bad_field)
    wrong_schema = copy.deepcopy(_visual())
    wrong_schema["$schema"] = wrong_schema["$schema"].replace("2.1.0", "9.9.9")
    assert "not among the vendored schemas" in schema_errors(wrong_schema)[0]
