"""Where the local stack keeps its state: one ignored folder, ``.state/`` in the repo by default."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def state_dir() -> Path:
    """The local state folder (``FOOTFALL_STATE_DIR``, default ``<repo>/.state``), created on demand."""
    path = Path(os.environ.get("FOOTFALL_STATE_DIR") or REPO_ROOT / ".state")
    path.mkdir(parents=True, exist_ok=True)
    return path
