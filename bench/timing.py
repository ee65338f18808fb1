"""The one timer the benchmarks share: the median of several rounds."""
from __future__ import annotations

import statistics
import time
from typing import Callable


def median_ms(run: Callable[[], object], rounds: int, repeat: int = 1) -> float:
    """Median over `rounds` of the milliseconds one call of `run` takes (averaged over
    `repeat` calls per round, for calls too quick to time one by one)."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(repeat):
            run()
        samples.append((time.perf_counter() - started) / repeat * 1000)
    return statistics.median(samples)
