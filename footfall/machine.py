"""What a benchmark ran on: the load average and the cores, printed beside every figure."""

from __future__ import annotations

import os


def load_average() -> str:
    """``load average 1.52 1.20 0.98 (1, 5, 15 min) on 2 cores``: other work on the cores lowers every figure."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min) on {os.cpu_count()} cores"
