"""`python -m bench` (or `make bench`) runs every benchmark in this folder."""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path


def main() -> None:
    for module in sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                         if m.name.startswith("bench_")):
        print(f"== {module}")
        importlib.import_module(f"bench.{module}").main()
        print()


if __name__ == "__main__":
    main()
