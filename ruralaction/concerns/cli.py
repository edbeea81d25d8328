"""``python -m ruralaction concerns purge``: erase residents' personal details after the retention period.

Run it daily from a scheduler (cron, a systemd timer). Whoever can run it holds the database
credentials, so it acts as the system actor "retention purge" and is recorded as such in the
audit log.
"""

from __future__ import annotations

import argparse
import sys

from ruralaction.actions.cli import _common, _engine, _guard
from ruralaction.concerns.privacy import DEFAULT_RETENTION, RETENTION_ENV, retention
from ruralaction.concerns.store import purge_personal


def cmd_purge(args: argparse.Namespace) -> int:
    try:
        period = retention(args.older_than)
    except ValueError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    report = purge_personal(_engine(args), period, dry_run=args.dry_run)
    if args.dry_run:
        print(
            f"Would erase the name and contact details of {report.erased:,} concern"
            f"{'s' if report.erased != 1 else ''} raised before {report.before:%d %b %Y} (and replace what they "
            "said by its category, and the marked spot by the ward); nothing was changed."
        )
    else:
        print(report.line())
    return 0


def add_arguments(sub: argparse._SubParsersAction) -> None:
    """Add the ``concerns`` command to the main parser's subcommands."""
    c = sub.add_parser("concerns", help="residents' concerns: erase personal details after the retention period")
    csub = c.add_subparsers(dest="concerns_command", required=True)
    p = csub.add_parser(
        "purge",
        help="erase names and contact details of concerns older than the retention period, "
        "keeping the anonymous concerns",
    )
    p.add_argument(
        "--older-than", metavar="PERIOD", help=f"e.g. 12m, 365d, 2y (default: ${RETENTION_ENV} or {DEFAULT_RETENTION})"
    )
    p.add_argument("--dry-run", action="store_true", help="count what would be erased; change nothing")
    _common(p)
    p.set_defaults(func=_guard(cmd_purge))
