"""What the benchmarks share: where results go, and how they are written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def save(
    results: dict[str, Any],
    out: Path,
    name: str,
    plot: Callable[[dict[str, Any], Path], None] | None = None,
) -> None:
    """Write OUT/NAME.json and, given a plot function, OUT/NAME.png."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(results, indent=1))
    written = [out / f"{name}.json"]
    if plot:
        import matplotlib

        matplotlib.use("Agg")  # files only, also on machines without a display
        plot(results, out / f"{name}.png")
        written.append(out / f"{name}.png")
    print("wrote", *written)
