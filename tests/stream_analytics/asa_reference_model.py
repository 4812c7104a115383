"""An independent model of what footfall.asaql must output, in plain Python and pandas.

It shares no code with the engine or the query generator: event ordering is a loop over events in
arrival order, windows are computed with datetime arithmetic, groups with pandas, and the column
names are written out here by hand from the contract's prose (so a generator bug shows as a diff).
The expected outputs of stream_analytics/test cases are generated from it (make_cases.py).
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

K = 5
GENDERS = ["female", "male"]
BANDS = {"0-17": "age_0_17", "18-24": "age_18_24", "25-34": "age_25_34", "35-44": "age_35_44",
         "45-54": "age_45_54", "55-64": "age_55_64", "65+": "age_65_plus"}
EMOTIONS = ["anger", "contempt", "disgust", "fear", "happiness", "neutral", "sadness", "surprise"]
DEMOGRAPHICS = ([f"gender_{g}" for g in GENDERS] + ["gender_unknown"] + list(BANDS.values()) + ["age_unknown"]
                + [f"emotion_{e}" for e in EMOTIONS] + ["emotion_unknown"])
TOTALS = ["photos", "visit_photos", "visit_faces", "sightings", "visitors", "exits"]
DWELL = ["dwell_lt_30s", "dwell_lt_1m", "dwell_lt_2m", "dwell_lt_5m", "dwell_lt_10m", "dwell_lt_20m", "dwell_ge_20m"]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
QUARTER = timedelta(minutes=15)


def parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def window_end(ts: datetime, size: timedelta = QUARTER) -> datetime:
    """End of the tumbling window (end - size, end] that holds ts."""
    n, rem = divmod(ts - EPOCH, size)
    return EPOCH + (n + (1 if rem else 0)) * size


def event_times(events: list[dict], time_field: str, late_s: int, ooo_s: int,
                policy: str) -> list[tuple[dict, datetime]]:
    """Apply the late-arrival then the out-of-order policy; returns kept events with their timestamps."""
    arrivals = [parse(e["EventEnqueuedUtcTime"]) if e.get("EventEnqueuedUtcTime") else None for e in events]
    order = sorted(range(len(events)), key=lambda i: (arrivals[i] is not None, arrivals[i] or EPOCH, i))
    kept: list[tuple[dict, datetime]] = []
    latest: datetime | None = None
    for i in order:
        ts = parse(events[i][time_field])
        arrival = arrivals[i]
        if late_s >= 0 and arrival is not None and ts < arrival - timedelta(seconds=late_s):
            if policy == "Drop":
                continue
            ts = arrival - timedelta(seconds=late_s)
        previous_latest = latest
        latest = ts if latest is None else max(latest, ts)
        if previous_latest is not None and ts < previous_latest - timedelta(seconds=ooo_s):
            if policy == "Drop":
                continue
            ts = previous_latest - timedelta(seconds=ooo_s)
        kept.append((events[i], ts))
    return kept


def first_deliveries(kept: list[tuple[dict, datetime]], hours: int = 1) -> list[tuple[dict, datetime]]:
    """Drop redelivered events: an event whose event_id was seen at most ``hours`` before it (in time
    order, arrival order at a tie) is a copy of that one."""
    seen: dict[str, datetime] = {}
    out = []
    for _n, (event, ts) in sorted(enumerate(kept), key=lambda t: (t[1][1], t[0])):
        previous = seen.get(event["event_id"])
        seen[event["event_id"]] = ts
        if previous is None or previous < ts - timedelta(hours=hours):
            out.append((event, ts))
    return out


def load_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _visit_face_counts(faces: list[dict]) -> dict[str, int]:
    c = dict.fromkeys(DEMOGRAPHICS, 0)
    for f in faces:
        g = f.get("gender")
        c[f"gender_{g}" if g in GENDERS else "gender_unknown"] += 1
        band = f.get("age_band")
        c[BANDS[band] if band in BANDS else "age_unknown"] += 1
        e = f.get("emotion")
        c[f"emotion_{e}" if e in EMOTIONS else "emotion_unknown"] += 1
    return c


def _frame_record(event: dict, end: datetime) -> dict[str, Any]:
    visit = event["kind"] == "visit"
    rec: dict[str, Any] = dict.fromkeys(TOTALS, 0)
    rec.update(_visit_face_counts(event["faces"]) if visit else dict.fromkeys(DEMOGRAPHICS, 0))
    rec.update(store_id=event["store_id"], end=end, photos=1, visit_photos=int(visit),
               visit_faces=len(event["faces"]) if visit else 0, sightings=0 if visit else len(event["faces"]))
    return rec


def expected_outputs(frames: list[dict], counts: list[dict], stores: list[dict[str, str]],
                     cameras: list[dict[str, str]], late_s: int = 300, ooo_s: int = 10,
                     policy: str = "Adjust") -> dict[str, list[dict]]:
    """The rows footfall.asaql writes to store_windows and zone_windows for these events."""
    store_ref = {s["store_id"]: s for s in stores}
    entrance = {(c["store_id"], c["camera_id"]) for c in cameras if c["role"] == "entrance"}
    records = [_frame_record(e, window_end(ts))
               for e, ts in first_deliveries(event_times(frames, "captured_at", late_s, ooo_s, policy))]
    zone_records = []
    for event, ts in first_deliveries(event_times(counts, "window_end", late_s, ooo_s, policy)):
        end = window_end(ts)
        if (event["store_id"], event["camera_id"]) in entrance:
            rec = dict.fromkeys(TOTALS + DEMOGRAPHICS, 0)
            rec.update(store_id=event["store_id"], end=end,
                       visitors=sum(x["entries"] for x in event["lines"]),
                       exits=sum(x["exits"] for x in event["lines"]))
            if event["lines"]:  # CROSS APPLY: an event without lines adds no row
                records.append(rec)
        for zone in event["zones"]:
            zone_records.append({"store_id": event["store_id"], "zone": zone["zone"], "end": end,
                                 "visits": zone["visits"], "dwell_s_sum": zone["dwell_s_sum"],
                                 **{col: zone["dwell_histogram"][col.removeprefix("dwell_")] for col in DWELL},
                                 "occupancy_mean": zone["occupancy_mean"], "occupancy_max": zone["occupancy_max"]})
    store_rows = []
    if records:
        per_store = pd.DataFrame(records).groupby(["store_id", "end"], as_index=False)[TOTALS + DEMOGRAPHICS].sum()
        for rec in per_store.to_dict("records"):
            ref = store_ref.get(rec["store_id"], {})
            shown = rec["visit_faces"] >= K
            row: dict[str, Any] = {
                "id": f"{rec['store_id']}|{iso(rec['end'])}", "doc_type": "store_window", "store_id": rec["store_id"],
                **{f: ref.get(f) for f in ("store_name", "city", "country", "region", "time_zone")},
                "window_start": iso(rec["end"] - QUARTER), "window_end": iso(rec["end"]),
                **{t: int(rec[t]) for t in TOTALS},
                **{d: int(rec[d]) if shown else None for d in DEMOGRAPHICS},
                "suppressed": not shown,
            }
            store_rows.append(row)
    zone_rows = []
    if zone_records:
        df = pd.DataFrame(zone_records)
        grouped = df.groupby(["store_id", "zone", "end"], as_index=False).agg(
            visits=("visits", "sum"), dwell_s_sum=("dwell_s_sum", "sum"), **{c: (c, "sum") for c in DWELL},
            occupancy_mean=("occupancy_mean", "mean"), occupancy_max=("occupancy_max", "max"))
        for rec in grouped.to_dict("records"):
            zone_rows.append({
                "id": f"{rec['store_id']}|{rec['zone']}|{iso(rec['end'])}", "doc_type": "zone_window",
                "store_id": rec["store_id"], "zone": rec["zone"],
                "window_start": iso(rec["end"] - QUARTER), "window_end": iso(rec["end"]),
                "visits": int(rec["visits"]), "dwell_s_sum": float(rec["dwell_s_sum"]),
                **{c: int(rec[c]) for c in DWELL},
                "occupancy_mean": float(rec["occupancy_mean"]), "occupancy_max": int(rec["occupancy_max"]),
            })
    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        return (row["window_end"], row["id"])

    return {"store_windows": sorted(store_rows, key=key), "zone_windows": sorted(zone_rows, key=key)}
