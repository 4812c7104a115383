"""``footfall count``: the measuring tool, on a synthetic clip with known crossings and on vtest.avi."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from footfall.cli import main as footfall
from footfall.simulate.entrance import WALK_S, Walker, render
from footfall.simulate.figures import Appearance
from footfall.simulate.scene import background


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 s at 4 frames/s: three people walk down the image, one walks up, one walks left to right."""
    folder = tmp_path_factory.mktemp("clip")
    rng = np.random.default_rng(9)
    walks = [Walker(1 + 6 * i, WALK_S, (0.4 + 0.2 * i, 0.36), (0.42 + 0.2 * i, 0.99), Appearance.random(rng), True)
             for i in range(3)]
    walks.append(Walker(20, WALK_S, (0.6, 0.99), (0.6, 0.36), Appearance.random(rng), False))
    walks.append(Walker(24, 4.0, (0.3, 0.8), (0.95, 0.8), Appearance.random(rng), True))
    scene = background(4)
    staff = Appearance.random(rng)
    for i in range(120):
        cv2.imwrite(str(folder / f"{i:04d}.jpg"), render(scene, walks, staff, i / 4, staff_at=lambda t: (0.08, 0.5)))
    return folder


def test_counts_of_a_clip_with_known_crossings(clip: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert footfall(["count", "--source", str(clip), "--fps", "4", "--line", "0.1,0.62,0.95,0.62",
                     "--line", "0.5,0.3,0.5,1", "--zone", "0.7,0.5,1,0.5,1,1,0.7,1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["frames"] == 120
    door, middle = result["lines"]
    assert door == {"line": "0.1,0.62,0.95,0.62", "in": 3, "out": 1}
    # The vertical line is drawn top to bottom: moving right is "out". The walker along y=0.8 crosses it.
    assert middle["line"] == "0.5,0.3,0.5,1" and (middle["in"], middle["out"]) == (0, 1)
    assert result["zones"][0]["zone"] == "0.7,0.5,1,0.5,1,1,0.7,1" and result["zones"][0]["visits"] >= 1


def test_pixel_coordinates_give_the_same_counts(clip: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert footfall(["count", "--source", str(clip), "--fps", "4", "--line", "64,298,608,298", "--json"]) == 0
    (door,) = json.loads(capsys.readouterr().out)["lines"]
    assert (door["in"], door["out"]) == (3, 1)


def test_bad_lines_are_reported_not_raised(clip: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert footfall(["count", "--source", str(clip), "--line", "0.1,0.5,0.9"]) == 2
    assert "x,y pairs" in capsys.readouterr().err


def test_vtest_prints_the_issues_json(vtest_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert footfall(["count", "--source", str(vtest_path), "--fps", "2", "--line", "0,0.5,1,0.5",
                     "--line", "0.5,0,0.5,1", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"frames", "tracks", "lines", "zones"}
    assert result["frames"] == 159 and result["tracks"] >= 15 and result["zones"] == []  # 10 fps video at 2 fps
    assert [line["line"] for line in result["lines"]] == ["0,0.5,1,0.5", "0.5,0,0.5,1"]
    assert all(set(line) == {"line", "in", "out"} and line["in"] + line["out"] > 0 for line in result["lines"])
