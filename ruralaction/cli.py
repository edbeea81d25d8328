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
from ruralaction.definition import load_definition
from ruralaction.exports import spreadsheet_safe, write_csv
from ruralaction.faults import describe
from ruralaction.geography.boundaries import build_geography, find_geography_files
from ruralaction.incidents.csvwrite import write_frame_csv
from ruralaction.incidents.pipeline import output_frame, run, rural_counts
from ruralaction.incidents.store import LABELS, Store, StoreError, geography_folder_files
from ruralaction.permissions import command_line_actor


def _progress(stream):
    """A progress bar for reading many files (:mod:`ruralaction.progressbar`)."""
    return progressbar.both(progressbar.terminal("Reading files", stream), progressbar.logged("read files"))


def _write_csv(df, path) -> None:
    """:func:`ruralaction.exports.write_csv`'s bytes (spreadsheet-safe, UTF-8 with a BOM), written
    by :func:`ruralaction.incidents.csvwrite.write_frame_csv` (a million rows in seconds, not half a minute)."""
    write_frame_csv(spreadsheet_safe(df), path, encoding="utf-8-sig")


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
    _write_csv(out, args.out)
    print(f"Wrote {len(out):,} classified rows to {args.out}.")
    if args.rejected:
        _write_csv(result.rejected, args.rejected)
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


cli_actor = command_line_actor


def _store(args: argparse.Namespace) -> Store:
    return Store(Path(args.data_dir)) if getattr(args, "data_dir", None) else Store.default()


def cmd_load(args: argparse.Namespace) -> int:
    definition = load_definition(args.definition)
    store = _store(args)
    geography = geography_folder_files(args.geography) if args.geography else []
    result = store.add_incidents(args.inputs, definition, actor=cli_actor(), geography=geography)
    for kind, path in result.geography:
        print(f"Added {kind} file {path.name}.")
    for line in result.load.summary.lines():
        print(line)
    for line in result.lines():  # months this replaced; files that look implausible
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
    store = _store(args)
    summary = store.build_demo(actor=cli_actor(), seed=args.seed, years=args.years)
    target = store.path("demo")
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


def cmd_data(args: argparse.Namespace) -> int:
    """``data versions|undo|use ID|uploads|delete NAME|audit``: the data versions and uploads."""
    store = _store(args)
    try:
        if args.data_command == "versions":
            current = store.versions.current_id()
            versions = store.versions.list()
            if not versions:
                print("No data versions yet: the first data change makes version 1.")
            for v in versions:
                print(("* " if v.id == current else "  ") + v.describe() + f"  [{v.id}]")
        elif args.data_command == "undo":
            v = store.undo(cli_actor())
            print(f"Undone: the data is back at version {v.describe()}.")
        elif args.data_command == "use":
            v = store.use(args.version, cli_actor())
            print(f"The data shown is now version {v.describe()}.")
        elif args.data_command == "uploads":
            for u in store.uploads(args.dataset):
                print(f"{u.name}  ({u.kind}, {u.files} file{'s' if u.files != 1 else ''}, {u.bytes:,} bytes)")
        elif args.data_command == "delete":
            store.delete_upload(args.name, actor=cli_actor(), dataset=args.dataset)
            print(f"Deleted {args.name}; `data undo` brings it back.")
        elif args.data_command == "audit":
            for e in store.versions.audit_log(args.limit):
                print(f"{e['at']}  {e['actor']}  {e['action']}  → {e['version']}  {e.get('note', '')}".rstrip())
    except StoreError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


def _add_classify(sub) -> None:
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


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; ``only="classify"`` builds just that command's."""
    p = argparse.ArgumentParser(
        prog="python -m ruralaction", description="Rural Action: load, classify and measure rural crime."
    )
    p.add_argument(
        "--log-json",
        action="store_true",
        help="also log each event as one JSON line on stderr (default: only to $RURALACTION_LOG_FILE if set)",
    )
    sub = p.add_subparsers(dest="command", required=True)
    _add_classify(sub)
    if only == "classify":  # `classify` needs none of the other commands' imports (a second or two)
        return p
    # The other commands' modules (SQLAlchemy models, the meeting pack…) load only when needed.
    from ruralaction.actions.cli import add_arguments as add_actions_arguments
    from ruralaction.concerns.cli import add_arguments as add_concerns_arguments
    from ruralaction.digest.cli import add_arguments as add_digest_arguments
    from ruralaction.incidents.fetch import add_arguments as add_fetch_arguments
    from ruralaction.ops.cli import add_health_arguments, add_refresh_arguments
    from ruralaction.reports.pack import add_arguments as add_report_arguments

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

    dv = sub.add_parser("data", help="data versions: list, undo the last change, go back to a version, uploads")
    dsub = dv.add_subparsers(dest="data_command", required=True)
    for name, help_ in (
        ("versions", "list the data versions, newest first (* = shown)"),
        ("undo", "undo the last data change (its files are removed)"),
        ("use", "show an earlier version again (recorded as a new version)"),
        ("uploads", "list what was added, one line per removable upload"),
        ("delete", "delete one upload (as a new version; `data undo` brings it back)"),
        ("audit", "the data changes' audit log, newest first"),
    ):
        sp = dsub.add_parser(name, help=help_)
        sp.add_argument("--data-dir", help="default: $RURALACTION_DATA_DIR or ./data")
        if name == "use":
            sp.add_argument("version", help="a version's number or id (see `data versions`)")
        if name in ("uploads", "delete"):
            sp.add_argument("--dataset", default="ours", choices=("ours", "demo"))
        if name == "delete":
            sp.add_argument("name", help="as `data uploads` lists it, e.g. police_uk/20261202T064512123456Z")
        if name == "audit":
            sp.add_argument("--limit", type=int, default=50)
    dv.set_defaults(func=cmd_data)

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
    argv = sys.argv[1:] if argv is None else list(argv)
    first = next((a for a in argv if not a.startswith("-")), None)
    args = build_parser(only=first if first == "classify" else None).parse_args(argv)
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
