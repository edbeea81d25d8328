"""Command line: ``python -m ruralaction classify|load|demo|fetch|actions|users|concerns|digest|report …``.

Each command prints a summary, writes rejected rows with reasons, and exits non-zero only when
nothing usable could be read (1) or the command line itself is wrong (2).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ruralaction.actions.cli import add_arguments as add_actions_arguments
from ruralaction.concerns.cli import add_arguments as add_concerns_arguments
from ruralaction.definition import DefinitionError, load_definition
from ruralaction.digest.cli import add_arguments as add_digest_arguments
from ruralaction.geography.boundaries import (
    GeographyError,
    build_geography,
    find_geography_files,
)
from ruralaction.incidents.fetch import add_arguments as add_fetch_arguments
from ruralaction.incidents.pipeline import output_frame, run, rural_counts
from ruralaction.incidents.store import LABELS, Store, StoreError
from ruralaction.reports.pack import add_arguments as add_report_arguments


def _progress(stream):
    interactive = stream.isatty()

    def report(done: int, total: int, name: str) -> None:
        if interactive:
            stream.write(f"\rReading files: {done}/{total}")
            if done == total:
                stream.write("\n")
        elif total >= 10 and (done % max(1, total // 10) == 0 or done == total):
            stream.write(f"Reading files: {done}/{total}\n")
        stream.flush()

    return report


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
    out.to_csv(args.out, index=False)
    print(f"Wrote {len(out):,} classified rows to {args.out}.")
    if args.rejected:
        result.rejected.to_csv(args.rejected, index=False)
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
        result.load.rejected.to_csv(args.rejected, index=False)
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
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (DefinitionError, GeographyError, StoreError, OSError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
