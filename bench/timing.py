"""The one timer the benchmarks share: the median of several rounds."""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
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


def child_peak_mb(module: str, way: str, *args: Path) -> tuple[float, float]:
    """Run `bench.<module>.WAYS[way](*args, 99)` once in a fresh Python and return its peak
    resident memory (VmHWM, which, unlike ru_maxrss, starts afresh at exec and so does not
    inherit this process's size) and how far that peak rose above the child's size just
    before the work (Python and the libraries every way loads alike): the work's own need."""
    root = str(Path(__file__).resolve().parents[1])
    paths = ", ".join(f"Path({str(arg)!r})" for arg in args)
    code = (f"import sys; sys.path.insert(0, {root!r}); from pathlib import Path;"
            f"from bench.{module} import WAYS;"
            "status = lambda key: int(next(l for l in open('/proc/self/status') if l.startswith(key)).split()[1]);"
            f"before = status('VmRSS'); WAYS[{way!r}]({paths}, 99); print(status('VmHWM'), before)")
    result = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    peak, before = (int(n) / 1024 for n in result.stdout.strip().splitlines()[-1].split())
    return peak, peak - before
