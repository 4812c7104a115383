"""The whole Power BI project (PBIP) under ``powerbi/``: the semantic model, the report and their item files.

``render()`` returns every generated file by its path under ``powerbi/``; ``write()`` writes them and
removes generated files that are no longer rendered. ``powerbi/README.md``, ``access_groups.csv`` and
the screenshots are not generated.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from footfall.powerbi import report
from footfall.powerbi.access import ACCESS_GROUPS_CSV, groups, read_rows
from footfall.powerbi.model import POWERBI_DIR, PROJECT, REPO_ROOT, stable_id
from footfall.powerbi.model import render as render_model
from footfall.simulate.stores import DEFAULT_STORES_CSV, load_stores
from functions.contracts import DEFAULT_K, CameraRecord

DEFAULT_CAMERAS_CSV = REPO_ROOT / "stream_analytics" / "cameras.csv"
SCHEMAS = report.SCHEMAS
GENERATED_DIRS = (f"{PROJECT}.SemanticModel", f"{PROJECT}.Report")


def load_cameras(path: Path = DEFAULT_CAMERAS_CSV) -> list[CameraRecord]:
    """The rows of ``cameras.csv``."""
    with path.open(newline="", encoding="utf-8") as f:
        return [CameraRecord.model_validate(row) for row in csv.DictReader(f)]


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _platform(kind: str) -> str:
    return _dump({
        "$schema": f"{SCHEMAS}/gitIntegration/platformProperties/2.0.0/schema.json",
        "metadata": {"type": kind, "displayName": PROJECT},
        "config": {"version": "2.0", "logicalId": stable_id("item", kind, PROJECT)},
    })


def render(k: int = DEFAULT_K, stores_csv: Path = DEFAULT_STORES_CSV, cameras_csv: Path = DEFAULT_CAMERAS_CSV,
           access_csv: Path = ACCESS_GROUPS_CSV) -> dict[str, str]:
    """Every generated file of the project, by path under ``powerbi/``."""
    stores = load_stores(stores_csv)
    model_dir, report_dir = GENERATED_DIRS
    files = {
        ".gitignore": "**/.pbi/localSettings.json\n**/.pbi/cache.abf\n",
        f"{PROJECT}.pbip": _dump({
            "$schema": f"{SCHEMAS}/pbip/pbipProperties/1.0.0/schema.json",
            "version": "1.0",
            "artifacts": [{"report": {"path": report_dir}}],
            "settings": {"enableAutoRecovery": True},
        }),
        f"{model_dir}/definition.pbism": _dump({
            "$schema": f"{SCHEMAS}/item/semanticModel/definitionProperties/1.0.0/schema.json",
            "version": "4.0",
            "settings": {"qnaEnabled": False},
        }),
        f"{model_dir}/.platform": _platform("SemanticModel"),
        f"{report_dir}/definition.pbir": _dump({
            "$schema": f"{SCHEMAS}/item/report/definitionProperties/2.0.0/schema.json",
            "version": "4.0",
            "datasetReference": {"byPath": {"path": f"../{model_dir}"}},
        }),
        f"{report_dir}/.platform": _platform("Report"),
    }
    model = render_model(stores, load_cameras(cameras_csv), groups(read_rows(access_csv), stores), k)
    files |= {f"{model_dir}/definition/{path}": text for path, text in model.items()}
    files |= {f"{report_dir}/definition/{path}": text for path, text in report.render().items()}
    return files


def write(root: Path = POWERBI_DIR, k: int = DEFAULT_K) -> list[Path]:
    """Write the project under ``root``; generated files no longer rendered are removed."""
    files = render(k)
    written: list[Path] = []
    for folder in GENERATED_DIRS:
        for stale in sorted((root / folder).rglob("*"), reverse=True) if (root / folder).exists() else []:
            relative = stale.relative_to(root).as_posix()
            if stale.is_file() and relative not in files and ".pbi/" not in relative:
                stale.unlink()
            elif stale.is_dir() and not any(stale.iterdir()):
                stale.rmdir()
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8", newline="\n")
            written.append(path)
    return written
