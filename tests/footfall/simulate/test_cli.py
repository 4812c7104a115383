"""``footfall simulate`` (``footfall/simulate/cli.py``): a day the function accepts as it is."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from footfall.cli import main
from functions.settings import Settings


def test_without_a_date_every_photo_is_captured_in_the_past_and_within_the_age_the_function_accepts(
        tmp_path: Path) -> None:
    assert main(["simulate", "--folder", str(tmp_path), "--photos", "40", "--broken", "0",
                 "--stores", "20", "--seed", "3"]) == 0
    now = datetime.now(UTC)
    oldest = now - timedelta(days=Settings().capture_max_age_days)
    uploads = json.loads((tmp_path / "manifest.json").read_text())["uploads"]
    captured = [datetime.fromisoformat(u["captured_at"]) for u in uploads]
    assert len(captured) == 40
    assert all(oldest < t < now for t in captured), (min(captured), max(captured))
