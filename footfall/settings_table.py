"""The settings tables of ``functions/README.md`` and ``face_service/README.md``, generated from the settings
models' field descriptions.

``python -m footfall.settings_table`` rewrites it; ``--check`` exits 1 when the README is stale (so does
``tests/footfall/test_settings_table.py``). One home for each setting's name, default and meaning: the model.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import AliasChoices
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from face_service.config import ServiceSettings
from footfall.paths import REPO_ROOT
from functions.settings import Settings, StateSettings
from functions.telemetry import TelemetrySettings

END = "<!-- end of the generated settings table -->"


class Table:
    """A generated table in a README: the models it lists, in order."""

    def __init__(self, readme: Path, models: tuple[type[BaseSettings], ...]) -> None:
        self.readme = readme
        self.models = models

    @property
    def begin(self) -> str:
        sources = ", ".join(f"{m.__module__}.{m.__name__}" for m in self.models)
        return (f"<!-- generated from {sources} by `python -m footfall.settings_table`: "
                "edit the field descriptions, not this table -->")


TABLES = (
    Table(REPO_ROOT / "functions" / "README.md", (Settings, TelemetrySettings, StateSettings)),
    Table(REPO_ROOT / "face_service" / "README.md", (ServiceSettings,)),
)


def env_names(model: type[BaseSettings], name: str, field: FieldInfo) -> list[str]:
    """The environment variables a field reads, first the preferred one: its aliases, else the model's
    ``env_prefix`` and the field's name."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    if alias:
        return [str(alias)]
    prefix = model.model_config.get("env_prefix")
    return [f"{prefix}{name}".upper()] if prefix else []


def default_text(field: FieldInfo) -> str:
    """The default as the table shows it: unset, derived, or the value (paths under the repo as ``<repo>/...``)."""
    if field.default_factory is not None:
        return "derived"
    value: Any = field.default
    if value is None:
        return "unset"
    if isinstance(value, Path):
        try:
            value = f"<repo>/{value.relative_to(REPO_ROOT)}"
        except ValueError:
            pass
    if isinstance(value, bool):
        value = str(value).lower()
    return f"`{value}`" if str(value) else "empty"


_CODE = re.compile(
    r"(?<![`\w])("
    r"\w*__\w+(?:=\w+)?"  # AzureWebJobsStorage__accountName, __credential=managedidentity
    r"|[A-Z][A-Z0-9]*_[A-Z0-9_]+"  # FOOTFALL_K
    r"|[^\s`(]*<[\w ]+>(?:[^\s`),;]*[^\s`),;.])?"  # https://<name>.blob.core.windows.net
    r")(?![`\w])"
)
"""Setting names and placeholders in a description (``FOOTFALL_K``, ``AzureWebJobsStorage__accountName``,
``https://<name>.blob.core.windows.net``), shown as code."""


def _cell(text: str) -> str:
    parts = " ".join(text.split()).split("`")  # odd parts are code already
    parts = [part if i % 2 else _CODE.sub(r"`\1`", part) for i, part in enumerate(parts)]
    return "`".join(parts).replace("|", "\\|")


def settings_table(models: tuple[type[BaseSettings], ...]) -> str:
    """Markdown: one row per field of ``models`` (inherited fields once), ``variable | default | meaning``."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    seen: set[str] = set()
    for model in models:
        for name, field in model.model_fields.items():
            names = env_names(model, name, field)
            if not names or names[0] in seen:
                continue
            seen.add(names[0])
            variable = " or ".join(f"`{n}`" for n in names)
            rows.append(f"| {variable} | {default_text(field)} | {_cell(field.description or '')} |")
    return "\n".join(rows)


def with_table(readme: str, table: Table) -> str:
    """``readme`` with its generated block (from the begin marker to :data:`END`) made anew."""
    start = readme.index("<!-- generated from ")
    stop = readme.index(END, start) + len(END)
    return readme[:start] + f"{table.begin}\n{settings_table(table.models)}\n{END}" + readme[stop:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m footfall.settings_table", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when a README's table is stale")
    args = parser.parse_args(argv)
    stale = []
    for table in TABLES:
        text = table.readme.read_text(encoding="utf-8")
        fresh = with_table(text, table)
        if fresh != text:
            stale.append(table.readme)
            if not args.check:
                table.readme.write_text(fresh, encoding="utf-8")
    for path in stale:
        print(f"{path}: {'stale' if args.check else 'rewritten'}")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
