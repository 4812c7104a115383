"""Where the local stack keeps its state: one ignored folder, ``.state/`` in the repo by default."""

from __future__ import annotations

from pathlib import Path

from functions.settings import default_state_dir

REPO_ROOT = Path(__file__).resolve().parent.parent


def state_dir() -> Path:
    """The local state folder (``FOOTFALL_STATE_DIR``, default ``<repo>/.state``), created on demand."""
    path = default_state_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path
