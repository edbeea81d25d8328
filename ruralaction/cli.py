"""Command line: ``python -m ruralaction classify|load|demo|fetch|actions|users|concerns|digest|report …``.

Each command prints a summary, writes rejected rows with reasons, and exits non-zero only when
nothing usable could be read (1) or the command line itself is wrong (2).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ruralaction import logs, progressbar
from ruralaction.actions.cli import add_arguments as add_actions_arguments
from ruralaction.concerns.cli import add_arguments as add_concerns_arguments
from ruralaction.definition import load_definition
from ruralaction.digest.cli import add_arguments as add_digest_arguments
from ruralaction.exports import write_csv
from ruralaction.faults import describe
from ruralaction.geography.boundaries import build_geography, find_geography_files
from ruralaction.incidents.fetch import add_arguments as add_fetch_arguments
from ruralaction.incidents.pipeline import output_frame, run, rural_counts
from ruralaction.incidents.store import LABELS, Store
from ruralaction.ops.cli import add_health_arguments, add_refresh_arguments
from ruralaction.reports.pack import add_arguments as add_report_arguments


def _progress(stream):
    """A progress bar for reading many files (:mod:`ruralaction.progressbar`)."""
    return progressbar.both(progressbar.terminal("Reading files", stream), progressbar.logged("read files"))


def cmd_classify(args: argparse.Namespace) -> int:
    definition = load_definition(args.definition)
    boundaries, lookups = [], [*args.lsoa_lookup, *args.ward_lookup]
    if args.geography:
        found = find_geography_files(args.geography)
        boundaries, lookups = found["boundaries"], [*found["lookups"], *lookups]
    geography = build_geography(definition, boundaries, lookups, wards=args.wards, lsoas=args.lsoas, farms=args.farms)
    result = run(args.inputs, geography, definition, progress=_progress(sys.stderr))
    s = result.summary
    for line in s.lines():
        print(line)
    for note in geography.notes:
        print(f"Note: {note}")
    if s.rows_loaded == 0:
        print("Nothing could be loaded: no output written.", file=sys.stderr)
        return 1
    out = output_frame(result.incidents)
    write_csv(out, args.out)
    print(f"Wrote {len(out):,} classified rows to {args.out}.")
    if args.rejected:
        write_csv(result.rejected, args.rejected)
        print(f"Wrote {len(result.rejected):,} rejected rows to {args.rejected}.")
    elif len(result.rejected):
        print(f"{len(result.rejected):,} rows were rejected; pass --rejected FILE to save them with reasons.")
    df = result.incidents
    counts = rural_counts(df)
    in_county = int(df["in_county"].fillna(False).sum())
    print(
        f"Rural crimes: {int(df['is_rural_crime'].sum()):,} of {in_county:,} incidents in {definition.county}"
        f" ({int((~df['in_county'].fillna(True)).sum()):,} outside the county, "
        f"{int(df['in_rural_ward'].isna().sum()):,} with no rural-urban class)."
    )
    print("By category:")
    for cat, n in counts["by_category"].items():
        print(f"  {cat:<24}{n:>9,}")
    print("By evidence:")
    for basis, n in counts["by_basis"].items():
        print(f"  {basis:<48}{n:>9,}")
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    definition = load_definition(args.definition)
    store = Store(Path(args.data_dir)) if args.data_dir else Store.default()
    added_geo = store.add_geography_folder(args.geography, definition) if args.geography else []
    for kind, path in added_geo:
        print(f"Added {kind} file {path.name}.")
    result = store.add_incidents(args.inputs, definition)
    for line in result.load.summary.lines():
        print(line)
    if args.rejected:
        write_csv(result.load.rejected, args.rejected)
        print(f"Wrote {len(result.load.rejected):,} rejected rows to {args.rejected}.")
    if not result.accepted:
        print("Nothing could be loaded: the data directory is unchanged.", file=sys.stderr)
        return 1
    print(
        f"Added {len(result.saved)} file{'s' if len(result.saved) != 1 else ''} to {store.path('ours')}; "
        f"the dashboard shows {LABELS[store.active()].lower()}."
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ruralaction.incidents.demo import write_demo

    target = (Store(Path(args.data_dir)) if args.data_dir else Store.default()).path("demo")
    summary = write_demo(target, seed=args.seed, years=args.years)
    from ruralaction.actions import ensure_demo_actions, open_database
    from ruralaction.concerns import ensure_demo_concerns

    engine = open_database()
    seeded = ensure_demo_actions(engine, target, seed=args.seed)
    concerns = ensure_demo_concerns(engine, target)
    print(
        f"Wrote demo data to {summary.data_dir}: {summary.n_incidents:,} police.uk rows over "
        f"{len(summary.months)} months ({summary.months[0]} to {summary.months[-1]}), "
        f"{summary.n_force_export:,} force-export rows, {summary.n_wards} demo wards"
        + (f", {seeded} demo partner actions" if seeded else "")
        + (f", {concerns} demo residents' concerns." if concerns else ".")
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ruralaction", description="Rural Action: load, classify and measure rural crime."
    )
    p.add_argument(
        "--log-json",
        action="store_true",
        help="also log each event as one JSON line on stderr (default: only to $RURALACTION_LOG_FILE if set)",
    )
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("classify", help="load police.uk CSVs (files, folders, zips) and classify every row")
    c.add_argument("inputs", nargs="+", help="CSV files, folders (searched recursively) or .zip archives")
    c.add_argument("--geography", help="folder laid out like shared/data: boundaries/…, ruc/…")
    c.add_argument("--lsoa-lookup", action="append", default=[], metavar="CSV", help="ONS LSOA rural-urban lookup")
    c.add_argument("--ward-lookup", action="append", default=[], metavar="CSV", help="ward rural-urban lookup")
    c.add_argument("--wards", nargs="+", default=[], metavar="FILE", help="ward boundaries (GeoJSON/GPKG/SHP)")
    c.add_argument("--lsoas", nargs="+", default=[], metavar="FILE", help="LSOA boundaries")
    c.add_argument("--farms", nargs="+", default=[], metavar="FILE", help="farm points layer")
    c.add_argument("--definition", help="rural-crime definition TOML (default: Northamptonshire)")
    c.add_argument("--out", required=True, help="output CSV of classified rows")
    c.add_argument("--rejected", help="output CSV of rejected rows with file, line and reason")
    c.set_defaults(func=cmd_classify)

    ld = sub.add_parser("load", help="validate police.uk files and add them to the data directory the app reads")
    ld.add_argument("inputs", nargs="+", help="CSV files, folders (searched recursively) or .zip archives")
    ld.add_argument("--geography", help="also add the boundaries and lookups found in this folder")
    ld.add_argument("--definition", help="rural-crime definition TOML (default: Northamptonshire)")
    ld.add_argument("--rejected", help="write rejected rows with file, line and reason to this CSV")
    ld.add_argument("--data-dir", help="default: $RURALACTION_DATA_DIR or ./data")
    ld.set_defaults(func=cmd_load)

    d = sub.add_parser("demo", help="write the deterministic demo data into the data directory")
    d.add_argument("--seed", type=int, default=2026)
    d.add_argument("--years", type=int, default=3)
    d.add_argument("--data-dir", help="default: $RURALACTION_DATA_DIR or ./data")
    d.set_defaults(func=cmd_demo)

    add_fetch_arguments(
        sub.add_parser("fetch", help="download a force's street-level crimes from data.police.uk as police.uk CSVs")
    )
    add_actions_arguments(sub)
    add_concerns_arguments(sub)
    add_digest_arguments(sub)
    add_report_arguments(
        sub.add_parser("report", help="the meeting pack (scorecard, map, trends, actions) as HTML or PDF")
    )
    add_refresh_arguments(
        sub.add_parser("refresh", help="the monthly job: fetch what police.uk published since last time, then load it")
    )
    add_health_arguments(
        sub.add_parser("health", help="check configuration, database, data store and freshness (Nagios exit codes)")
    )
    return p


def main(argv: list[str] | None = None) -> int:
    """Run a command. Any fault is one line on stderr (``Error: …``, never a stack trace), is
    logged as a ``cli.fault`` event with its detail, and exits 2."""
    args = build_parser().parse_args(argv)
    if args.log_json:
        logs.configure(stream=sys.stderr, path="", force=True)
    elif os.environ.get(logs.LOG_FILE_ENV):
        logs.configure(force=True)
    else:
        logs.silence()
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - every fault becomes one sentence
        fault = describe(exc)
        logs.event(
            "cli.fault",
            level="error",
            command=args.command,
            kind=fault.kind,
            reference=fault.reference,
            detail=fault.detail,
        )
        extra = f" ({type(exc).__name__}; reference {fault.reference})" if fault.kind == "unexpected" else ""
        print(f"Error: {fault.sentence}{extra}", file=sys.stderr)
        return 2
