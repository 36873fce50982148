"""The report: the figures of the last runs as tables, printed and written to
docs/performance.md with the machine they ran on.

Reads the results the other steps wrote under var/bench/ (small.json, full.json, load.json,
sweep.json and run.json, whichever exist) and the notes on what was done about the figures
that missed (benchmarks/notes.md).

    python -m benchmarks.report [--out docs/performance.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
from pathlib import Path

from . import env

DOC = env.ROOT / "docs" / "performance.md"
NOTES = Path(__file__).with_name("notes.md")


def machine() -> dict:
    """CPU model, cores, memory, PostgreSQL's version, load: read off this machine."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    try:
        postgres = subprocess.run(
            ["psql", env.database_url("postgres"), "-Atc", "SHOW server_version"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        postgres = "?"
    import django

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "postgres": postgres,
        "python": platform.python_version(),
        "django": django.get_version(),
        "kernel": platform.release(),
        "load": os.getloadavg(),
    }


def load(name: str) -> dict | None:
    path = env.RESULTS / f"{name}.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())


def ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(row: dict) -> str:
    if row.get("target_ms") is None:
        return ""
    return "✓" if row.get("met") else "✗"


def census_table(results: dict[str, dict]) -> str:
    keys = [
        ("applications", "applications"),
        ("reviews", "reviews"),
        ("open_reviews", "open reviews"),
        ("overdue_reviews", "overdue (running, past the deadline)"),
        ("application_history", "application history rows"),
        ("review_history", "review history rows"),
        ("clock_events", "clock events"),
        ("documents", "documents"),
        ("cards", "cards"),
        ("first_received", "first application received"),
    ]
    names = list(results)
    rows = [
        [label]
        + [
            f"{results[n]['census'].get(k):,}"
            if isinstance(results[n]["census"].get(k), int)
            else str(results[n]["census"].get(k))
            for n in names
        ]
        for k, label in keys
    ]
    rows.append(
        ["database size"] + [f"{results[n]['census']['bytes'] / 2**30:.1f} GiB" for n in names]
    )
    built = []
    for n in names:
        spec = results[n].get("spec") or {}
        generated = (spec.get("generated") or {}).get("seconds")
        added = (spec.get("added") or {}).get("seconds")
        text = f"{generated:.0f} s" if generated else "–"
        if added:
            text += f" + {added:.0f} s for the open reviews"
        if spec.get("demo_seconds"):
            text += f" (demo center {spec['demo_seconds']:.0f} s before)"
        if spec.get("copied_seconds"):
            text += f"; this copy of the full set made in {spec['copied_seconds']:.0f} s"
        built.append(text)
    rows.append(["generated in", *built])
    return table(["", *names], rows)


def sweep_table(figures: list[dict]) -> str:
    rows, pending = [], None
    for row in figures:
        if row.get("bare"):
            if pending is not None:
                ratio = pending["median_ms"] / row["median_ms"] if row["median_ms"] else 0
                rows.append(
                    [
                        pending["name"],
                        f"{ms(pending['median_ms'])} / {ms(pending['p95_ms'])}",
                        f"{ms(row['median_ms'])} / {ms(row['p95_ms'])}",
                        f"{ratio:.1f}× {'✓' if ratio <= 1.5 else '✗'}",
                        f"{ms(pending['p95_ms'])} ms {verdict(pending)}"
                        if pending.get("target_ms")
                        else "",
                        f"{pending.get('written', 0):,} / {row.get('written', 0):,}",
                    ]
                )
            pending = None
        else:
            pending = row
    return table(
        [
            "case",
            "sweep median / p95 ms",
            "bare SQL median / p95 ms",
            "sweep ÷ bare (target ≤ 1.5×)",
            "p95 (target < 50 ms)",
            "cards written (sweep / bare)",
        ],
        rows,
    )


def pages_table(small: dict | None, full: dict) -> str:
    small_rows = {r["url"]: r for r in (small or {}).get("figures", []) if r.get("url")}
    rows = []
    for row in full["figures"]:
        if row["section"] != "pages":
            continue
        little = small_rows.get(row["url"]) or next(
            (
                r
                for r in small_rows.values()
                if r["name"].split(" (")[0] == row["name"].split(" (")[0]
            ),
            None,
        )
        rows.append(
            [
                row["name"],
                f"{ms(row['median_ms'])} / {ms(row['p95_ms'])}",
                str(row["queries"]),
                f"{ms(little['median_ms'])} / {ms(little['p95_ms'])}" if little else "–",
                str(little["queries"]) if little else "–",
                f"< {row['target_ms']:.0f} ms" if row.get("target_ms") else "",
                verdict(row),
            ]
        )
    small_reviews = (small or {}).get("census", {}).get("reviews")
    full_reviews = full["census"]["reviews"]
    return table(
        [
            "page",
            f"median / p95 ms at {full_reviews:,} reviews",
            "queries",
            f"median / p95 ms at {small_reviews:,} reviews" if small_reviews else "small",
            "queries",
            "target (p95)",
            "met",
        ],
        rows,
    )


def host_note(result: dict | None, section: str) -> str:
    """The host's speed around a section's figures (benchmarks/host.py), or nothing for a
    result measured before it was recorded."""
    rows = [r for r in (result or {}).get("figures", []) if r["section"] == section]
    speeds = rows[0].get("host_ms") if rows else None
    if not speeds:
        return ""
    during = [r["host_during_ms"] for r in rows if r.get("host_during_ms")]
    return (
        f"The host's reference work took {ms(speeds[0])} ms before these figures and"
        f" {ms(speeds[1])} ms after them"
        + (
            f"; between their samples, a median of {ms(min(during))} to {ms(max(during))} ms"
            " from figure to figure"
            if during
            else ""
        )
        + " (lower is faster: about 4 when this machine is fast, 8 to 10 when it is slow;"
        " it changes within seconds)."
    )


def section_table(full: dict, section: str) -> str:
    rows = [
        [
            row["name"],
            ms(row["median_ms"]),
            ms(row["p95_ms"]),
            f"< {row['target_ms']:g} ms" if row.get("target_ms") else "",
            verdict(row),
        ]
        for row in full["figures"]
        if row["section"] == section
    ]
    return table(["operation", "median ms", "p95 ms", "target (p95)", "met"], rows)


def outbox_table(full: dict) -> str:
    rows = [
        [
            row["name"],
            ms(row["median_ms"]),
            ms(row["p95_ms"]),
            str(row.get("queries", "")),
            str(row.get("events_per_second", "")),
        ]
        for row in full["figures"]
        if row["section"] == "outbox"
    ]
    return table(["operation", "median ms", "p95 ms", "statements", "events/s"], rows)


def way_back_table(full: dict) -> str:
    rows = []
    for row in full["figures"]:
        if row["section"] != "wayback":
            continue
        steps = row.get("queries_per_step")
        queries = str(row.get("queries", ""))
        if steps:
            queries += (
                " ("
                + "; ".join(
                    f"{name} {'/'.join(str(n) for n in counts)}" for name, counts in steps.items()
                )
                + f"; {row['queries_per_review']} per review)"
            )
        rows.append(
            [
                row["name"],
                ms(row["median_ms"]),
                ms(row["p95_ms"]),
                queries,
                f"< {row['target_ms']:g} ms" if row.get("target_ms") else "",
                verdict(row),
            ]
        )
    return table(["operation", "median ms", "p95 ms", "queries", "target (p95)", "met"], rows)


def load_table(result: dict) -> str:
    parts = []
    for scenario in result["scenarios"].values():
        think = scenario["think"]
        title = (
            f"{result['users']} users thinking {think} s between requests"
            if think != "0"
            else f"{result['users']} users without thinking (capacity)"
        )
        rows = [
            [
                row["name"],
                f"{row['requests']:,}",
                str(row["failures"]),
                f"{row['rps']:.1f}",
                ms(row["p50_ms"]),
                ms(row["p95_ms"]),
                ms(row["p99_ms"]),
            ]
            for row in scenario["rows"]
        ]
        parts.append(
            f"**{title}**, {result['duration_s']} s, gunicorn with {result['workers']} sync "
            f"workers:\n\n"
            + table(["requests", "count", "errors", "per s", "p50 ms", "p95 ms", "p99 ms"], rows)
        )
    return "\n\n".join(parts)


def render() -> str:
    run = load("run") or {}
    small, full, sweep, load_result = load("small"), load("full"), load("sweep"), load("load")
    info = run.get("machine") or machine()
    out = [
        "# Performance",
        "",
        "Written by `make bench` (benchmarks/README.md) from the figures of its last run; "
        "the exact command is below. Every figure is the median and the 95th percentile "
        "(nearest rank) of repeated runs after a warm-up; what writes runs in a transaction "
        "that is rolled back, so every run sees the same data.",
        "",
        "## The machine",
        "",
        table(
            ["", ""],
            [
                ["measured", run.get("finished", "?")],
                ["command", f"`{run.get('command', 'make bench')}`"],
                ["CPU", info["cpu"]],
                ["cores", str(info["cores"])],
                ["memory", info["memory"]],
                ["PostgreSQL", info["postgres"]],
                ["Python, Django", f"{info['python']}, {info['django']}"],
                [
                    "load average (1 min) at start and end",
                    f"{run.get('load_start', [0])[0]:.1f} and {run.get('load_end', [0])[0]:.1f}"
                    " (above 1, something else shared the 2 cores: figures are noisier)",
                ],
                [
                    "the host's speed at start and end (benchmarks/host.py)",
                    f"{ms(run.get('host_start'))} and {ms(run.get('host_end'))} ms for the"
                    " same fixed work, no database (lower is faster; the virtual machine's"
                    " speed changes within seconds: compare runs by it)",
                ],
            ],
        ),
        "",
    ]
    datasets = {
        name: result
        for name, result in (("small", small), ("full", full), ("sweep", sweep))
        if result
    }
    if datasets:
        out += ["## The data", "", census_table(datasets), ""]
    if full:
        out += [
            "## Deadline sweep",
            "",
            "At the full data set: the sweep (`supervision.sweep.sweep`) beside the plain SQL "
            "the same work needs on the same data (the cards' statements, and the bookkeeping "
            "any sweep that remembers where it stopped needs: the calendar read, its mark read "
            "under a lock and written), each in a transaction rolled back. *Nothing "
            "to write*: five minutes after the last sweep. *Crossing the line*: the deadlines "
            "of 10,000 reviews are set to today (running reviews due beyond the warning reach "
            "first, then recently finished ones set running again) and the sweep runs at 00:05 "
            "tomorrow, writing their red cards and whatever else crossed a line overnight.",
            "",
            sweep_table([r for r in full["figures"] if r["section"] == "sweep"]),
            "",
        ]
    if sweep:
        census = sweep["census"]
        out += [
            f"At {census['open_reviews']:,} open reviews ({census['overdue_reviews']:,} of them "
            "overdue and carded):",
            "",
            sweep_table([r for r in sweep["figures"] if r["section"] == "sweep"]),
            "",
        ]
    if full:
        out += [
            "## Pages",
            "",
            "Server time of one request through `django.test.Client` (URL routing, "
            "middleware, session, view, template) by a signed-in member of staff, DEBUG off, "
            "and its queries, at the full and the small data set. The queue is the window "
            "with the most open reviews.",
            "",
            pages_table(small, full),
            "",
            host_note(full, "pages"),
            "",
            "## Accepting an application",
            "",
            "Five items of the parallel-approval package at five windows, every material "
            "received: the service, the clerk's POST, the commitment slip rendered by "
            "WeasyPrint (after a first, cold one), and both together.",
            "",
            section_table(full, "accept"),
            "",
            host_note(full, "accept"),
            "",
            "## Core operations",
            "",
            "Without HTTP, as a workflow engine is measured (the targets come from other "
            "engines measured on this machine and data).",
            "",
            section_table(full, "core"),
            "",
            host_note(full, "core"),
            "",
            "## The way back, through the views",
            "",
            "The core loop as the pages run it: each step is the view function itself (its "
            "access and role checks, then the service) called with a signed-in request, "
            "without the HTTP around it. Accept with five reviews; then decide, return and "
            "receive each of the five until the application is ready, with every record the "
            "law and the design require (history, decision numbers, documents, messages to "
            "the applicant, clock ledger). Targets: ahead of the workflow engines measured "
            "on this machine and data (DESIGN.md section 11, issue 13).",
            "",
            way_back_table(full),
            "",
            host_note(full, "wayback"),
            "",
        ]
        if any(row["section"] == "hall" for row in full["figures"]):
            out += [
                "## The hall",
                "",
                "43 windows and 2,000 tickets waiting across the businesses (made in a "
                "transaction that is rolled back): call next through the service (its lock, "
                "update, history row and call), taking a number, the dashboard's tiles, and "
                "the pages the hall's devices open (the kiosk's POST with the ticket page it "
                "leads to; the display's poll with and without a change).",
                "",
                section_table(full, "hall"),
                "",
                host_note(full, "hall"),
                "",
            ]
        if any(row["section"] == "filing" for row in full["figures"]):
            out += [
                "## Online filing",
                "",
                "An applicant submits a draft of 10 materials of 2 MB each through the submit "
                "page (the view, the counter's `application_create` and a scan per file: each "
                "read, checked and stored again), the virus scan off; the clerk's intake desk "
                "with its online summary and the online pre-review queue (its first and last "
                "page, a search) at 10,000 applications filed online waiting for pre-review. "
                "Made in a transaction that is rolled back (docs/filing.md).",
                "",
                section_table(full, "filing"),
                "",
                host_note(full, "filing"),
                "",
            ]
        if any(row["section"] == "api" for row in full["figures"]):
            out += [
                "## The integration API",
                "",
                "Pages of /api/v1/ through the real views with a client's token (the token "
                "looked up by its SHA-256, the scope, the rate counted in Redis, the page read "
                "by its cursor, the call recorded); the client registered in a transaction "
                "that is rolled back (docs/api.md).",
                "",
                section_table(full, "api"),
                "",
                host_note(full, "api"),
                "",
            ]
        if any(row["section"] == "outbox" for row in full["figures"]):
            out += [
                "## Reporting to the provincial platform (the outbox)",
                "",
                "What a step pays for its event (one INSERT that reads the case it reports), and "
                "one worker pushing 100 applications of 10 events each, in order per "
                "application, to the local test receiver served by gunicorn on localhost: each "
                "POST signed, its answer awaited, the event marked pushed (docs/outbox.md).",
                "",
                outbox_table(full),
                "",
            ]
    if load_result:
        out += [
            "## Load test",
            "",
            "locust against gunicorn on the full data set, PostgreSQL, on the same 2 cores: "
            "window officers (queue, a review, a timeline), intake clerks (desk, applicant "
            "search, an application) and center managers (dashboard, its live part)"
            + (", applicants (status lookups at /track/)" if load_result.get("track") else "")
            + ". Target: p95 under 300 ms with no errors at 50 users.",
            "",
            load_table(load_result),
            "",
        ]
    if NOTES.exists():
        out += [NOTES.read_text().strip(), ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOC)
    args = parser.parse_args(argv)
    text = render()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
