"""Simulated stores: a day of camera uploads (:mod:`.uploads`, the command in :mod:`.cli`), planned
(:mod:`.plan`) over the reference stores (:mod:`.stores`), rendered (:mod:`.scene`, :mod:`.figures`),
and the entrance footage the edge module counts (:mod:`.entrance`, :mod:`.counts`)."""

from __future__ import annotations

from footfall.simulate.cli import main
from footfall.simulate.plan import Manifest, PlannedUpload, SimConfig, plan_day
from footfall.simulate.stores import Store, load_stores, pick_stores
from footfall.simulate.targets import BlobTarget, FolderTarget, UploadTarget
from footfall.simulate.uploads import render_upload, simulate

__all__ = [
    "BlobTarget", "FolderTarget", "Manifest", "PlannedUpload", "SimConfig", "Store", "UploadTarget",
    "load_stores", "main", "pick_stores", "plan_day", "render_upload", "simulate",
]
