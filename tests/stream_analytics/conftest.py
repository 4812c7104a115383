"""Make sure the real footfall package is imported (see tests/footfall/asa/conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path

# tests/footfall (a folder without __init__.py, on sys.path via tests/) can shadow the real
# ``footfall`` package as a namespace package; make sure the repository's package wins.
_REPO = str(Path(__file__).resolve().parents[2])
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)
for _name in [m for m in sys.modules if m == "footfall" or m.startswith("footfall.")]:
    if getattr(sys.modules[_name], "__file__", None) is None:
        del sys.modules[_name]
