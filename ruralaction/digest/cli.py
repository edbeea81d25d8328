"""``python -m ruralaction digest send|purge|list|preview``: the monthly digest from cron.

Run ``digest send`` monthly (or daily: it sends each month's digest once) after the month's
data is loaded, and ``digest purge`` daily (with ``concerns purge``): it deletes subscriptions
whose confirmation link was never opened, with their email addresses.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ruralaction.actions.cli import _common, _engine, _guard
from ruralaction.actions.tracker import list_actions
from ruralaction.concerns.public import concerns_frame
from ruralaction.digest.content import build_digest, html_body, links
from ruralaction.digest.mail import MailError, smtp_settings
from ruralaction.digest.send import send_digests
from ruralaction.digest.subscriptions import KINDS, Area, list_subscriptions, purge_pending
from ruralaction.incidents.store import Store
from ruralaction.measures.counts import covered_months
from ruralaction.measures.coverage import coverage
from ruralaction.measures.filters import parse_month
from ruralaction.permissions import Actor


def _data(args: argparse.Namespace):
    store = Store(Path(args.data_dir)) if args.data_dir else Store.default()
    dataset = args.dataset or store.active()
    data = store.classified(dataset)
    covered = covered_months(coverage(data.incidents))
    return dataset, data, covered


def _month(args: argparse.Namespace, covered: list[str]) -> str | None:
    if args.month:
        m = parse_month(args.month)
        if m is None:
            print(f"Error: '{args.month}' is not a month; write it as YYYY-MM.", file=sys.stderr)
            return None
        return m
    if not covered:
        print("Error: no crime data is loaded, so there is no month to send.", file=sys.stderr)
        return None
    return covered[-1]


def cmd_send(args: argparse.Namespace) -> int:
    try:
        settings = smtp_settings()
    except MailError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    engine = _engine(args)
    dataset, data, covered = _data(args)
    month = _month(args, covered)
    if month is None:
        return 2
    if month not in covered:
        print(f"Error: no crime data is loaded for {month}; nothing was sent.", file=sys.stderr)
        return 1
    wards = data.geography.wards
    if wards is None:
        print("Error: no ward boundaries are loaded, so areas cannot be counted.", file=sys.stderr)
        return 2
    try:
        report = send_digests(
            engine,
            settings,
            data.incidents,
            wards,
            covered,
            month,
            dataset,
            actions=list_actions(engine, dataset),
            concerns=concerns_frame(engine, dataset),
            demo=dataset == "demo",
            dry_run=args.dry_run,
        )
    except MailError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print(report.line())
    for p in report.problems:
        print(p)
    return 1 if report.failed else 0


def cmd_purge(args: argparse.Namespace) -> int:
    n = purge_pending(_engine(args), dry_run=args.dry_run)
    verb = "Would delete" if args.dry_run else "Deleted"
    print(f"{verb} {n} unconfirmed subscription{'s' if n != 1 else ''} (confirmation links older than 48 hours).")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    frame = list_subscriptions(_engine(args), Actor.system_actor("command line"), args.dataset or "ours")
    print(frame.to_string(index=False) if len(frame) else "No subscriptions.")
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    kind, _, code = args.area.partition(":")
    if kind not in KINDS or not code:
        print(
            f"Error: --area must be KIND:CODE with KIND one of {', '.join(KINDS)}, e.g. ward:E05009016.",
            file=sys.stderr,
        )
        return 2
    dataset, data, covered = _data(args)
    month = _month(args, covered)
    if month is None:
        return 2
    wards = data.geography.wards
    names = dict(zip(wards["ward_code"].astype(str), wards["ward_name"].astype(str))) if wards is not None else {}
    area = Area(kind, code, names.get(code, code) if kind == "ward" else code)
    engine = _engine(args)
    d = build_digest(
        data.incidents,
        wards,
        area,
        month,
        covered,
        list_actions(engine, dataset),
        concerns_frame(engine, dataset),
        dataset == "demo",
    )
    page, unsub = links("https://example.invalid", area, "PREVIEW")
    Path(args.out).write_text(html_body(d, page, unsub), encoding="utf-8")
    print(f"Wrote the {month} digest for {area.name} to {args.out}.")
    return 0


def add_arguments(sub: argparse._SubParsersAction) -> None:
    """Add the ``digest`` command to the main parser's subcommands."""
    d = sub.add_parser("digest", help="the monthly email digest: send (from cron), purge, list, preview")
    dsub = d.add_subparsers(dest="digest_command", required=True)
    s = dsub.add_parser("send", help="send the month's digest to every confirmed subscriber not yet sent it")
    s.add_argument("--month", help="YYYY-MM (default: the latest month with data)")
    s.add_argument("--dataset", choices=("ours", "demo"), help="default: the dataset the dashboard shows")
    s.add_argument("--dry-run", action="store_true", help="build the digests, send nothing")
    _common(s)
    s.set_defaults(func=_guard(cmd_send))
    p = dsub.add_parser("purge", help="delete subscriptions never confirmed (run daily)")
    p.add_argument("--dry-run", action="store_true")
    _common(p)
    p.set_defaults(func=_guard(cmd_purge))
    ls = dsub.add_parser("list", help="subscriptions with their emails (whoever runs this holds the database)")
    ls.add_argument("--dataset", choices=("ours", "demo"))
    _common(ls)
    ls.set_defaults(func=_guard(cmd_list))
    pv = dsub.add_parser("preview", help="write one area's digest as HTML, send nothing")
    pv.add_argument("--area", required=True, help="KIND:CODE, e.g. ward:E05009016 or county:all")
    pv.add_argument("--month", help="YYYY-MM (default: the latest month with data)")
    pv.add_argument("--dataset", choices=("ours", "demo"))
    pv.add_argument("--out", required=True, help="the HTML file to write")
    _common(pv)
    pv.set_defaults(func=_guard(cmd_preview))
