"""``footfall simulate``: a believable day of camera uploads for several stores.

Stores come from ``stream_analytics/stores.csv`` (spread over regions and time zones); each is
open 08:00-20:00 local, busiest at lunch and after work (:mod:`.schedule`). Photos are shop
interiors with real faces composited in at several scales, 0-6 people each, some facing away
(:mod:`.scene`). Capture times are in the blob name (``UploadPath.blob_name()``) and the
metadata (``capturedat``, ``cameraid``). A few uploads are broken on purpose (corrupt bytes, a
wrong path, an unknown store) so the quarantine path shows. The same ``--seed`` and ``--date``
give the same uploads, byte for byte.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from footfall.paths import state_dir
from footfall.simulate.plan import SimConfig
from footfall.simulate.stores import DEFAULT_STORES_CSV
from footfall.simulate.targets import BlobTarget, FolderTarget, UploadTarget
from footfall.simulate.uploads import simulate
from functions.settings import Settings


def main(argv: list[str]) -> int:
    """``footfall simulate``: upload a day to Azurite (``AzureWebJobsStorage``) or a folder."""
    parser = argparse.ArgumentParser(prog="footfall simulate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--connection-string", help="storage connection string (default: $AzureWebJobsStorage)")
    where.add_argument("--folder", type=Path, help="write files to this folder instead of Blob Storage")
    parser.add_argument("--container", default="uploads")
    parser.add_argument("--photos", type=int, default=300, help="valid photos in the day (scale)")
    parser.add_argument("--stores", type=int, default=8, help="stores to simulate, spread over regions")
    parser.add_argument("--broken", type=int, default=6, help="deliberately broken uploads")
    parser.add_argument(
        "--date", type=date.fromisoformat, default=None,
        help="the day (default: two days ago, UTC: a day over in every store's time zone, so the function, "
        "which refuses captures in the future, accepts every photo)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rate", type=float, default=None, help="photos per second (default: as fast as possible)")
    parser.add_argument("--stores-csv", type=Path, default=DEFAULT_STORES_CSV)
    parser.add_argument("--manifest", type=Path, default=None, help="where to write the plan as JSON")
    args = parser.parse_args(argv)

    if args.folder:
        target: UploadTarget = FolderTarget(args.folder)
    else:
        storage = Settings().storage_connection  # AzureWebJobsStorage, as the Functions app reads it
        conn = args.connection_string or (storage.get_secret_value() if storage else None)
        if not conn:
            print("footfall simulate: give --connection-string, --folder or set AzureWebJobsStorage", file=sys.stderr)
            return 2
        target = BlobTarget(conn, args.container)
    config = SimConfig(photos=args.photos, stores=args.stores, broken=args.broken, seed=args.seed,
                       day=args.date or datetime.now(UTC).date() - timedelta(days=2))
    from tqdm import tqdm

    with tqdm(total=config.photos + config.broken, unit="photo", desc="uploading") as bar:
        manifest = simulate(config, target, args.stores_csv, rate=args.rate, on_upload=lambda _: bar.update())
    default = args.folder / "manifest.json" if args.folder else state_dir() / "simulate" / "manifest.json"
    path = args.manifest or default
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(manifest.model_dump_json(indent=1))
    print(f"footfall simulate: {len(manifest.photos)} photos + {len(manifest.broken)} broken uploads "
          f"from {len(manifest.stores)} stores to {target.describe()}; plan in {path}")
    return 0
