"""The cost of the optional l-diversity rule (FOOTFALL_L_DIVERSITY) on the demo day.

Runs ``footfall demo --no-serve`` (``--photos`` photos in ``--stores`` stores, seed 7, on ``--date``;
the default demo of 300 photos in 8 stores has no window of k = 5 visit faces, so the default here
is a busier day) into a temporary state folder, then reads its report database with the reports
service twice, k = 5 with and without the rule, and prints how many breakdowns each shows: the
15-minute store windows, the store days, and the visit faces they describe. Totals never change. A
store day's breakdown sums only the windows published under the rule in force (with l-diversity,
the l-diverse ones), so it describes fewer faces too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from footfall.machine import load_average
from footfall.reports.database import ReportDatabase
from functions.contracts import DEFAULT_K
from functions.reports.models import WindowSelection
from functions.reports.service import breakdown

REPO = Path(__file__).resolve().parent.parent


def measure(database_path: Path, k: int = DEFAULT_K) -> dict[str, int]:
    """Breakdowns shown with k alone and with l-diversity too, per store window and per store day."""
    rows = ReportDatabase(database_path, k=k).store_windows(WindowSelection())
    figures = {"store_windows": len(rows), "visit_faces": sum(r.visit_faces for r in rows)}
    for diverse in (False, True):
        tag = "with_l" if diverse else "k_only"
        shown = [r for r in rows if not breakdown([r], k, diverse=diverse).suppressed]
        figures[f"windows_shown_{tag}"] = len(shown)
        figures[f"faces_in_shown_windows_{tag}"] = sum(r.visit_faces for r in shown)
        days: dict[tuple[str | None, str], list[Any]] = {}
        for r in rows:
            days.setdefault((r.store_id, r.window_start.date().isoformat()), []).append(r)
        day_breakdowns = [breakdown(group, k, diverse=diverse) for group in days.values()]
        figures[f"store_days_shown_{tag}"] = sum(not b.suppressed for b in day_breakdowns)
        figures[f"faces_in_shown_days_{tag}"] = sum(b.breakdown_faces for b in day_breakdowns)
    figures["store_days"] = len(days)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--date", default=(datetime.now().date() - timedelta(days=1)).isoformat())
    parser.add_argument("--photos", type=int, default=1500)
    parser.add_argument("--stores", type=int, default=3)
    parser.add_argument("--database", type=Path, default=None, help="an existing reports.duckdb instead of a demo run")
    args = parser.parse_args()
    if args.database is None:
        state = Path(tempfile.mkdtemp(prefix="bench-l-diversity-"))
        subprocess.run([sys.executable, "-m", "footfall.cli", "demo", "--no-serve", "--date",
                        date.fromisoformat(args.date).isoformat(), "--photos", str(args.photos),
                        "--stores", str(args.stores)], cwd=REPO, check=True,
                       env={**os.environ, "FOOTFALL_STATE_DIR": str(state)}, stdout=subprocess.DEVNULL)
        args.database = state / "reports.duckdb"
    f = measure(args.database)
    print(f"{load_average()}; demo day ({args.photos} photos, {args.stores} stores), "
          f"k = {DEFAULT_K}")
    print(f"15-min store windows with a breakdown: {f['windows_shown_k_only']} of {f['store_windows']} (k alone), "
          f"{f['windows_shown_with_l']} with l-diversity "
          f"({f['windows_shown_k_only'] - f['windows_shown_with_l']} more hidden)")
    print(f"visit faces in those windows: {f['faces_in_shown_windows_k_only']} -> {f['faces_in_shown_windows_with_l']} "
          f"of {f['visit_faces']}")
    print(f"store days with a breakdown: {f['store_days_shown_k_only']} -> {f['store_days_shown_with_l']} "
          f"of {f['store_days']}, describing {f['faces_in_shown_days_k_only']} -> "
          f"{f['faces_in_shown_days_with_l']} visit faces")
    return 0


if __name__ == "__main__":
    sys.exit(main())
