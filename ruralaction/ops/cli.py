"""``python -m ruralaction refresh`` and ``python -m ruralaction health``: the two commands a
scheduler and a monitoring system call (see ``deploy/`` for the systemd units and cron lines)."""

from __future__ import annotations

import argparse
import json
import sys

from ruralaction import progressbar
from ruralaction.ops.health import check
from ruralaction.ops.lock import Busy
from ruralaction.ops.refresh import PUBLICATION_LAG_MONTHS, refresh

#: Exit status when another refresh holds the lock (EX_TEMPFAIL: try again later).
EXIT_BUSY = 75


def cmd_refresh(args: argparse.Namespace) -> int:
    """One refresh; one line saying how it went. 0 ok or up to date, 1 late/unreachable/failed,
    75 another refresh is running."""
    try:
        record = refresh(
            args.force,
            args.data_dir,
            base_url=args.base_url,
            lag_months=args.lag_months,
            progress=progressbar.both(
                progressbar.terminal("Fetching", sys.stderr) if not args.quiet else None,
                progressbar.logged("refresh.fetch"),
            ),
        )
    except Busy as exc:
        print(f"refresh: {exc}", file=sys.stderr)
        return EXIT_BUSY
    line = f"refresh {record.status}: {record.message}"
    print(line, file=sys.stdout if record.ok else sys.stderr)
    return 0 if record.ok else 1


def cmd_health(args: argparse.Namespace) -> int:
    """Every check, one line each (or JSON); Nagios exit codes: 0 ok, 1 warning, 2 critical."""
    health = check(args.data_dir, args.db_url, force=args.force)
    if args.json:
        print(json.dumps(health.as_dict(), indent=1))
    else:
        print(f"Rural Action health: {health.level.upper()}")
        for line in health.lines():
            print(line)
    return health.exit_code


def add_refresh_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", default="northamptonshire", metavar="FORCE_ID", help="data.police.uk force id")
    p.add_argument("--data-dir", help="default: $RURALACTION_DATA_DIR or ./data")
    p.add_argument("--base-url", help="API root (default: $RURALACTION_POLICE_API or https://data.police.uk/api)")
    p.add_argument(
        "--lag-months",
        type=int,
        default=PUBLICATION_LAG_MONTHS,
        help=f"police.uk is late when it serves nothing this many months back (default {PUBLICATION_LAG_MONTHS})",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar (the result line is still printed)")
    p.set_defaults(func=cmd_refresh)


def add_health_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", help="default: $RURALACTION_DATA_DIR or ./data")
    p.add_argument("--db-url", help="default: $RURALACTION_DB_URL or the SQLite file in the data directory")
    p.add_argument("--force", default="northamptonshire", metavar="FORCE_ID", help="whose data to check for freshness")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_health)
