"""Benchmarks print the machine's load beside their figures (``footfall.machine``)."""

from __future__ import annotations

import os
import re

from footfall.machine import load_average


def test_the_load_line_names_the_three_averages_and_the_cores() -> None:
    line = load_average()
    match = re.fullmatch(r"load average (\d+\.\d\d) (\d+\.\d\d) (\d+\.\d\d) \(1, 5, 15 min\) on (\d+) cores", line)
    assert match, line
    assert int(match[4]) == os.cpu_count()
    assert all(float(x) >= 0 for x in match.groups()[:3])
