"""An independent model of what footfall.asaql must output, in plain Python and pandas.

It shares no code with the engine: event ordering is a loop over events in arrival order,
windows are computed with datetime arithmetic, and groups with pandas. The expected outputs
of stream_analytics/test cases are generated from it (make_cases.py) and checked against it.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd

K = 5
BANDS = {"0-17": "age_0_17", "18-24": "age_18_24", "25-34": "age_25_34", "35-44": "age_35_44",
         "45-54": "age_45_54", "55-64": "age_55_64", "65+": "age_65_plus"}
EMOTIONS = ["anger", "contempt", "disgust", "fear", "happiness", "neutral", "sadness", "surprise"]
DEMOGRAPHICS = (["female", "male", "gender_unknown"] + list(BANDS.values()) + ["age_unknown"]
                + [f"emotion_{e}" for e in EMOTIONS])
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def window_end(ts: datetime, size: timedelta) -> datetime:
    """End of the tumbling window (end - size, end] that holds ts."""
    n, rem = divmod(ts - EPOCH, size)
    return EPOCH + (n + (1 if rem else 0)) * size


def event_times(events: list[dict], late_s: int, ooo_s: int, policy: str) -> list[tuple[dict, datetime]]:
    """Apply the late-arrival then the out-of-order policy; returns kept events with their timestamps."""
    arrivals = [parse(e["EventEnqueuedUtcTime"]) if e.get("EventEnqueuedUtcTime") else None for e in events]
    order = sorted(range(len(events)), key=lambda i: (arrivals[i] is not None, arrivals[i] or EPOCH, i))
    kept: list[tuple[dict, datetime]] = []
    latest: datetime | None = None
    for i in order:
        ts = parse(events[i]["captured_at"])
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


def load_stores(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="") as fh:
        return {r["store_id"]: r for r in csv.DictReader(fh)}


def _face_counts(faces: list[dict]) -> dict[str, int]:
    c = dict.fromkeys(DEMOGRAPHICS, 0)
    c.update(emotion_known=0, age_sum=0, age_known=0)
    for f in faces:
        g = f.get("gender")
        c[g if g in ("female", "male") else "gender_unknown"] += 1
        band = f.get("age_band")
        c[BANDS[band] if band in BANDS else "age_unknown"] += 1
        e = f.get("emotion")
        if e in EMOTIONS:
            c[f"emotion_{e}"] += 1
            c["emotion_known"] += 1
        if f.get("age") is not None:
            c["age_sum"] += f["age"]
            c["age_known"] += 1
    return c


def _parent_sums(stores: pd.DataFrame, count_cols: list[str]) -> dict[str, int]:
    """A city or region window from its store windows: frames and faces over all of them,
    demographics only over the published ones (faces >= K), and published_faces, their faces."""
    published = stores[stores["faces"] >= K]
    sums = published[count_cols].sum().to_dict()
    sums.update(frames=stores["frames"].sum(), faces=stores["faces"].sum(), published_faces=published["faces"].sum())
    return sums


def _publish(level: str, key: str, end: datetime, size: timedelta, attrs: dict[str, Any], sums: dict[str, int]) -> dict:
    row: dict[str, Any] = {
        "id": f"{level}|{key}|{iso(end)}", "pk": f"{level}|{key}", "level": level,
        "window_start": iso(end - size), "window_end": iso(end),
        "store_id": attrs.get("store_id"), "store_name": attrs.get("store_name"), "city": attrs.get("city"),
        "country": attrs.get("country"), "region": attrs.get("region"),
        "frames": int(sums["frames"]), "faces": int(sums["faces"]),
    }
    shown = sums.get("published_faces", sums["faces"]) >= K
    for col in DEMOGRAPHICS:
        row[col] = int(sums[col]) if shown else None
    row["avg_age"] = sums["age_sum"] / sums["age_known"] if shown and sums["age_known"] else None
    row["happiness_share"] = (sums["emotion_happiness"] / sums["emotion_known"]
                              if shown and sums["emotion_known"] else None)
    row["suppressed"] = not shown
    return row


def expected_cosmos(events: list[dict], stores: dict[str, dict[str, str]],
                    late_s: int = 300, ooo_s: int = 10, policy: str = "Adjust") -> list[dict]:
    """The rows footfall.asaql writes to cosmos for these events."""
    quarter, hour = timedelta(minutes=15), timedelta(hours=1)
    records = []
    for event, ts in event_times(events, late_s, ooo_s, policy):
        c = _face_counts(event["faces"])
        c.update(frames=1, faces=len(event["faces"]), store_id=event["store_id"], end=window_end(ts, quarter))
        records.append(c)
    if not records:
        return []
    df = pd.DataFrame(records)
    count_cols = ["frames", "faces"] + DEMOGRAPHICS + ["emotion_known", "age_sum", "age_known"]
    per_store = df.groupby(["store_id", "end"], as_index=False)[count_cols].sum()
    rows = []
    per_store["hour"] = [window_end(e, hour) for e in per_store["end"]]
    for rec in per_store.to_dict("records"):
        ref = stores.get(rec["store_id"], {})
        attrs = {"store_id": rec["store_id"], "store_name": ref.get("store_name"), "city": ref.get("city"),
                 "country": ref.get("country"), "region": ref.get("region")}
        rows.append(_publish("store", rec["store_id"], rec["end"], quarter, attrs, rec))
    for col in ("city", "region", "country"):
        per_store[col] = [stores.get(s, {}).get(col) for s in per_store["store_id"]]
    known = per_store[per_store["region"].notna()]
    for (city, country, region, end), grp in known.groupby(["city", "country", "region", "hour"]):
        rows.append(_publish("city", city, end, hour, {"city": city, "country": country, "region": region},
                             _parent_sums(grp, count_cols)))
    for (region, country, end), grp in known.groupby(["region", "country", "hour"]):
        rows.append(_publish("region", region, end, hour, {"country": country, "region": region},
                             _parent_sums(grp, count_cols)))
    return rows


def powerbi_rows(cosmos_rows: list[dict]) -> list[dict]:
    """The powerbi output: the cosmos rows without id and pk."""
    return [{k: v for k, v in r.items() if k not in ("id", "pk")} for r in cosmos_rows]
