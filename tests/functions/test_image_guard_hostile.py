"""Bounded work per photo: every hostile file (each at most 6 MB) costs the guard at most 300 MB of
peak memory and 2 s of CPU, measured in a fresh process per file (Linux ``VmHWM`` after resetting
it, and ``getrusage``). The table is printed and kept in ``test-artifacts/hostile-images.json``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_images import hostile_files

from footfall.machine import load_average
from footfall.paths import REPO_ROOT

PEAK_MB_LIMIT = 300
CPU_S_LIMIT = 2.0

EXPECTED = {
    "progressive_jpeg_10000_scans": "too_many_scans",
    "progressive_jpeg_32_scans_12mp": "ok",
    "png_6300x6300_gray": "too_many_pixels",
    "png_4096x4096_rgba16": "ok",
    "png_4096x4096_rgb_ztxt_bomb": "ok",
    "png_header_65535x65535": "too_many_pixels",
    "jpeg_flat_20000x2000": "ok",
    "jpeg_noise_4096x4096_progressive": "ok",
    "jpeg_noise_4096x4096_cmyk": "ok",
    "jpeg_noise_4096x4096_exif_rotated": "ok",
    "jpeg_noise_8000x5000_progressive": "ok",
}

_CHILD = r'''
import io, json, re, resource, sys
from PIL import Image
from functions.errors import PermanentError
from functions.image_guard import prepare_image

def status(field):
    return int(re.search(field + r":\s+(\d+)", open("/proc/self/status").read()).group(1)) / 1024

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

warm = io.BytesIO()
Image.new("RGB", (64, 64)).save(warm, "JPEG")
prepare_image(warm.getvalue())  # imports and first-call set-up are not the photo's cost
data = sys.stdin.buffer.read()
open("/proc/self/clear_refs", "w").write("5")  # reset the peak (VmHWM) to the current RSS
base, started = status("VmRSS"), cpu()
try:
    prepared = prepare_image(data)
    outcome = "ok"
except PermanentError as exc:
    outcome = exc.reason
print(json.dumps({"outcome": outcome, "cpu_s": cpu() - started, "peak_mb": status("VmHWM") - base}))
'''


def measure(data: bytes) -> dict:
    """The guard's outcome, CPU seconds and peak memory above the baseline for one file, in a fresh process."""
    result = subprocess.run([sys.executable, "-c", _CHILD], input=data, capture_output=True, cwd=REPO_ROOT,
                            timeout=120, check=True)
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def measured() -> dict[str, dict]:
    table = {}
    for name, data in hostile_files().items():
        assert len(data) <= 6 * 1024 * 1024, name
        table[name] = {"bytes": len(data), **measure(data)}
    return table


def test_every_hostile_file_is_handled_within_300_mb_and_2_s_of_cpu(measured: dict[str, dict],
                                                                     artifacts_dir: Path) -> None:

    (artifacts_dir / "hostile-images.json").write_text(json.dumps(measured, indent=1))
    print(f"\n{load_average()}")
    for name, row in measured.items():
        print(f"{name:40s} {row['bytes'] / 1024:7.0f} KB  {row['outcome']:16s} "
              f"cpu {row['cpu_s']:.3f} s  peak +{row['peak_mb']:.0f} MB")
    worst_cpu = max(measured.values(), key=lambda r: r["cpu_s"])
    worst_mem = max(measured.values(), key=lambda r: r["peak_mb"])
    print(f"worst: cpu {worst_cpu['cpu_s']:.3f} s, peak +{worst_mem['peak_mb']:.0f} MB")
    assert {name: row["outcome"] for name, row in measured.items()} == EXPECTED
    for name, row in measured.items():
        assert row["peak_mb"] <= PEAK_MB_LIMIT, (name, row)
        assert row["cpu_s"] <= CPU_S_LIMIT, (name, row)


def test_the_many_scan_jpeg_is_refused_from_its_markers_in_milliseconds(measured: dict[str, dict]) -> None:
    row = measured["progressive_jpeg_10000_scans"]
    assert row["bytes"] < 400_000  # 300 KB that a plain decoder spends ~10 s of CPU on
    assert row["cpu_s"] < 0.2
