"""Commands: ``actions export|import`` and ``users add|list|set|disable|enable|reset|sign-out|
setup-code`` (wired into ``python -m ruralaction``).

Whoever can run these holds the database credentials, so they act with admin rights under
their login name (``command line (name)`` in the audit log) unless ``--as EMAIL`` says to act
as an account, with that account's permissions.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from ruralaction.actions.codes import first_admin_message, issue_first_admin_code
from ruralaction.actions.db import DB_FILE_NAME, DatabaseError, open_database, safe_url
from ruralaction.actions.transfer import ImportFileError, export_frame, import_csv
from ruralaction.actions.users import (
    MIN_PASSWORD_LENGTH,
    UserError,
    add_user,
    identify,
    issue_password_code,
    list_users,
    set_active,
    sign_out_everywhere,
    update_user,
)
from ruralaction.definition import DefinitionError, load_definition
from ruralaction.exports import csv_bytes, write_csv
from ruralaction.faults import describe
from ruralaction.geography.boundaries import (
    GeographyError,
    build_geography,
    find_geography_files,
)
from ruralaction.incidents.store import Store, StoreError
from ruralaction.permissions import Actor, PermissionDenied, Role


def ward_names(folder: Path) -> dict[str, str]:
    """Ward code -> name from the ward boundaries under a dataset folder (empty when none)."""
    if not (folder / "boundaries").is_dir():
        return {}
    files = find_geography_files(folder / "boundaries")["boundaries"]
    geo = build_geography(load_definition(), files)
    if geo.wards is None:
        return {}
    return dict(zip(geo.wards["ward_code"].astype(str), geo.wards["ward_name"].astype(str)))


def _store(args: argparse.Namespace) -> Store:
    return Store(Path(args.data_dir)) if args.data_dir else Store.default()


def _engine(args: argparse.Namespace):
    """The migrated database: --db-url, else $RURALACTION_DB_URL, else the file in --data-dir (or the default)."""
    url = args.db_url or os.environ.get("RURALACTION_DB_URL")
    if not url and args.data_dir:
        url = f"sqlite:///{Path(args.data_dir).resolve() / DB_FILE_NAME}"
    return open_database(url)


def _actor(engine, args: argparse.Namespace) -> Actor:
    if getattr(args, "as_email", None):
        return identify(engine, args.as_email)
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor.system_actor(f"command line ({name})")


def cmd_export(args: argparse.Namespace) -> int:
    engine = _engine(args)
    frame = export_frame(engine, args.dataset)
    Path(args.out).write_bytes(csv_bytes(frame))
    print(
        f"Wrote {len(frame):,} {args.dataset} action{'s' if len(frame) != 1 else ''} to {args.out} "
        f"(database {safe_url(str(engine.url))})."
    )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    engine = _engine(args)
    wards = ward_names(_store(args).path(args.dataset))
    if not wards:
        print(
            f"Error: no ward boundaries in {_store(args).path(args.dataset)}, so ward codes cannot be checked; "
            "add boundaries first (python -m ruralaction load --geography …).",
            file=sys.stderr,
        )
        return 2
    report = import_csv(engine, args.input, _actor(engine, args), wards, dataset=args.dataset)
    for line in report.lines():
        print(line)
    if args.rejected:
        write_csv(report.problems_frame(), args.rejected)
        print(f"Wrote {len(report.problems):,} refused rows to {args.rejected}.")
    usable = report.added + report.updated + report.unchanged
    if usable == 0 and report.rows:
        print("Nothing could be imported: the database is unchanged.", file=sys.stderr)
        return 1
    return 0


def _read_password(args: argparse.Namespace) -> str | None:
    if args.no_password:
        return None
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise UserError("No terminal to ask for the password: pipe it with --password-stdin, or use --no-password.")
    first = getpass.getpass(f"Password for {args.email} (at least {MIN_PASSWORD_LENGTH} characters): ")
    if getpass.getpass("Same password again: ") != first:
        raise UserError("The two passwords differ.")
    return first


def cmd_users_add(args: argparse.Namespace) -> int:
    engine = _engine(args)
    info = add_user(engine, _actor(engine, args), args.email, args.role, args.partner, _read_password(args), args.name)
    how = "a password" if info.has_password else "no password yet"
    print(f"Added {info.email}: {info.role}{f' for {info.partner}' if info.partner else ''}, with {how}.")
    if not info.has_password:
        print(
            f"They sign in through the identity provider, or set a password with a one-time code: "
            f"python -m ruralaction users reset {info.email}"
        )
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    engine = _engine(args)
    users = list_users(engine, _actor(engine, args))
    for u in users:
        state = "active" if u.active else "disabled"
        last = f"{u.last_sign_in_at:%Y-%m-%d %H:%M} UTC" if u.last_sign_in_at else "never"
        role = u.role + (f" for {u.partner}" if u.partner else "")
        print(
            f"{u.email}\t{role}\t{state}\t{'password' if u.has_password else 'no password'}\t"
            f"last sign-in {last}\t{u.open_sessions} signed-in browser(s)"
        )
    print(f"{len(users)} account{'s' if len(users) != 1 else ''}.")
    return 0


def cmd_users_set(args: argparse.Namespace) -> int:
    engine = _engine(args)
    info = update_user(engine, _actor(engine, args), args.email, role=args.role, partner=args.partner, name=args.name)
    print(f"{info.email}: {info.role}{f' for {info.partner}' if info.partner else ''}.")
    return 0


def cmd_users_active(args: argparse.Namespace) -> int:
    engine = _engine(args)
    info = set_active(engine, _actor(engine, args), args.email, args.users_command == "enable")
    print(f"{info.email} is {'enabled' if info.active else 'disabled; its sessions have ended'}.")
    return 0


def cmd_users_reset(args: argparse.Namespace) -> int:
    engine = _engine(args)
    code = issue_password_code(engine, _actor(engine, args), args.email)
    print(
        f"One-time code for {code.email}: {code.code}\n"
        f"Give it to them in person or by phone. They open the app's sign-in page, choose "
        f"'I have a one-time code', and set their own password. It works once, until "
        f"{code.expires_at:%Y-%m-%d %H:%M} UTC. Their old password and sessions no longer work."
    )
    return 0


def cmd_users_sign_out(args: argparse.Namespace) -> int:
    engine = _engine(args)
    n = sign_out_everywhere(engine, _actor(engine, args), args.email)
    print(f"Ended {n} session{'s' if n != 1 else ''} of {args.email}.")
    return 0


def cmd_users_setup_code(args: argparse.Namespace) -> int:
    engine = _engine(args)
    code = issue_first_admin_code(engine, _actor(engine, args).label)
    if code is None:
        print("An admin account exists already: admins add accounts on the Accounts page.", file=sys.stderr)
        return 1
    print(first_admin_message(code.code, code.expires_at, args.url))
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db-url", help="SQLAlchemy URL (default: $RURALACTION_DB_URL or a SQLite file in the data dir)")
    p.add_argument("--data-dir", help="default: $RURALACTION_DATA_DIR or ./data")


def add_arguments(sub: argparse._SubParsersAction) -> None:
    """Add the ``actions`` and ``users`` commands to the main parser's subcommands."""
    a = sub.add_parser("actions", help="export or import partners' actions as CSV")
    asub = a.add_subparsers(dest="actions_command", required=True)
    e = asub.add_parser("export", help="write every action to a spreadsheet-safe CSV")
    e.add_argument("out", help="output CSV")
    e.add_argument("--dataset", choices=("ours", "demo"), default="ours")
    _common(e)
    e.set_defaults(func=_guard(cmd_export))
    i = asub.add_parser("import", help="check every row, import the good ones in one transaction, report the bad")
    i.add_argument(
        "input", help="CSV with title, wards, lead_partner, issue, action_type, status, … and a reference or id"
    )
    i.add_argument("--dataset", choices=("ours", "demo"), default="ours")
    i.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this account (its permissions apply)")
    i.add_argument("--rejected", metavar="CSV", help="write refused rows with line and reason to this CSV")
    _common(i)
    i.set_defaults(func=_guard(cmd_import))

    u = sub.add_parser("users", help="manage accounts for signing in")
    usub = u.add_subparsers(dest="users_command", required=True)
    ua = usub.add_parser("add", help="add an account (a password is asked for, never echoed)")
    ua.add_argument("email")
    ua.add_argument("--role", required=True, choices=[r.value for r in Role])
    ua.add_argument("--partner", help="the partner an editor works for (required for editors)")
    ua.add_argument("--name", default="", help="display name")
    pw = ua.add_mutually_exclusive_group()
    pw.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    pw.add_argument(
        "--no-password",
        action="store_true",
        help="no password: the identity provider, or a one-time code from 'users reset'",
    )
    _common(ua)
    ua.set_defaults(func=_guard(cmd_users_add))
    ul = usub.add_parser("list", help="every account, its role, state and last sign-in")
    _common(ul)
    ul.set_defaults(func=_guard(cmd_users_list))
    us = usub.add_parser("set", help="change an account's role, partner or name")
    us.add_argument("email")
    us.add_argument("--role", choices=[r.value for r in Role])
    us.add_argument("--partner")
    us.add_argument("--name")
    _common(us)
    us.set_defaults(func=_guard(cmd_users_set))
    for name, what in (("disable", "disable an account (its sessions end now)"), ("enable", "enable it again")):
        ud = usub.add_parser(name, help=what)
        ud.add_argument("email")
        _common(ud)
        ud.set_defaults(func=_guard(cmd_users_active))
    ur = usub.add_parser("reset", help="print a one-time code for the person to set a new password")
    ur.add_argument("email")
    _common(ur)
    ur.set_defaults(func=_guard(cmd_users_reset))
    uo = usub.add_parser("sign-out", help="end every session of an account")
    uo.add_argument("email")
    _common(uo)
    uo.set_defaults(func=_guard(cmd_users_sign_out))
    uc = usub.add_parser("setup-code", help="with no admin yet: print a one-time code to create the first one")
    uc.add_argument("--url", help="the app's address, to print the full setup link")
    _common(uc)
    uc.set_defaults(func=_guard(cmd_users_setup_code))


def _guard(func):
    """Errors become one sentence on stderr and exit status 2; nothing secret is printed."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except (
            UserError,
            ImportFileError,
            PermissionDenied,
            DatabaseError,
            StoreError,
            DefinitionError,
            GeographyError,
            OSError,
        ) as exc:
            print(f"Error: {describe(exc).sentence}", file=sys.stderr)  # an OSError too: in words
            return 2

    return run
