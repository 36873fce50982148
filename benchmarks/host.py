"""How fast the host is at the moment: the same fixed work, timed.

The benchmarks run on a shared virtual machine whose speed changes from hour to hour (the same
pure-Python loop took 280 to 510 ms within a minute on 2026-12-07, with nothing else running
and no steal reported). A figure that misses its target on a slow hour and meets it on a fast
one says little without the host's speed beside it: `reference_ms()` times a fixed piece of
the work a request does (building, encoding and decoding rows, formatting text, sorting) with no
database and no I/O, and the report prints it at the start and end of a run and with each
section's figures. Lower is faster; compare runs by it.
"""

from __future__ import annotations

import json
import statistics
import time

ROWS = [
    {"id": i, "name": f"申请人{i:05d}", "deadline": f"2026-12-{1 + i % 28:02d}", "days": i % 17}
    for i in range(2_000)
]


def _work() -> int:
    rows = json.loads(json.dumps(ROWS, ensure_ascii=False))
    rows.sort(key=lambda row: (row["deadline"], -row["days"], row["id"]))
    text = "".join(
        f"<tr><td>{row['name']}</td><td>{row['deadline']}</td><td>{row['days']}</td></tr>"
        for row in rows
    )
    by_day: dict[str, int] = {}
    for row in rows:
        by_day[row["deadline"]] = by_day.get(row["deadline"], 0) + row["days"]
    return len(text) + sum(by_day.values())


def probe_ms() -> float:
    """One timing of the fixed work, taken between a benchmark's samples (`measure.repeat`)."""
    started = time.perf_counter()
    _work()
    return (time.perf_counter() - started) * 1000


def reference_ms(repeats: int = 9) -> float:
    """The median wall time of the fixed work, in ms (about 10 ms on a quiet hour here)."""
    _work()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        _work()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)
