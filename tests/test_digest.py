"""The monthly digest: double opt-in, one-click unsubscribe that deletes the email, roles and
rate limits in the library, and sending through a real local SMTP server (aiosmtpd) — message
content, the unsubscribe link, nobody else's address, and a second run sending nothing."""

from __future__ import annotations

import datetime as dt
import email
import re
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from actions_helpers import fast_hashing, patrol  # noqa: F401  (fixture)

from ruralaction.actions import add_action
from ruralaction.actions.models import utcnow
from ruralaction.digest import subscriptions as subs
from ruralaction.digest.content import build_digest
from ruralaction.digest.mail import MailError, SmtpSettings, smtp_settings
from ruralaction.digest.send import request_subscription, send_digests
from ruralaction.measures.counts import covered_months
from ruralaction.measures.coverage import coverage
from ruralaction.permissions import ANONYMOUS, Actor, PermissionDenied, Role

ADMIN = Actor.system_actor("tests")
WARD = subs.Area("ward", "E05009016", "Brixworth")
OTHER = subs.Area("ward", "E05009017", "Long Buckby")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.messages: list[tuple[list[str], email.message.Message]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free localhost port; yields (settings, inbox)."""
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    port = _free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield SmtpSettings("127.0.0.1", port, "digest@rural.example", "https://dash.example/app", tls="none"), inbox
    finally:
        ctl.stop()


def _body(msg: email.message.Message, subtype: str = "plain") -> str:
    for part in msg.walk():
        if part.get_content_type() == f"text/{subtype}":
            return part.get_payload(decode=True).decode("utf-8")
    raise AssertionError(f"no text/{subtype} part")


def _token(text: str, kind: str) -> str:
    m = re.search(rf"[?&]{kind}=([A-Za-z0-9_\-]+)", text)
    assert m, f"no {kind} link in: {text[:300]}"
    return m.group(1)


def _emails_in_db(engine) -> list[str]:
    with engine.connect() as c:
        return [r[0] for r in c.execute(sa.text("SELECT email FROM digest_subscriptions"))]


# --------------------------------------------------------------------------- the library's rules


def test_double_opt_in_and_single_use_confirmation(actions_db):
    req = subs.subscribe(actions_db, ANONYMOUS, " Ann@Example.ORG ", WARD)
    assert req.token and not req.already
    assert subs.due(actions_db, "ours", "2024-04") == []  # pending: nothing is sent
    assert subs.confirm(actions_db, req.token) == WARD
    assert [d.email for d in subs.due(actions_db, "ours", "2024-04")] == ["ann@example.org"]
    with pytest.raises(subs.SubscriptionError, match="already used"):
        subs.confirm(actions_db, req.token)
    again = subs.subscribe(actions_db, ANONYMOUS, "ann@example.org", WARD)
    assert again.already and again.token is None
    with actions_db.connect() as c:  # only hashes are stored
        hashes = [r[0] for r in c.execute(sa.text("SELECT token_hash FROM digest_tokens"))]
    assert req.token not in hashes


def test_expired_confirmation_and_purge(actions_db):
    then = utcnow() - dt.timedelta(days=3)
    req = subs.subscribe(actions_db, ANONYMOUS, "late@example.org", WARD, now=then)
    with pytest.raises(subs.SubscriptionError, match="expired"):
        subs.confirm(actions_db, req.token)
    assert subs.purge_pending(actions_db, dry_run=True) == 1
    assert _emails_in_db(actions_db) == ["late@example.org"]
    assert subs.purge_pending(actions_db) == 1
    assert _emails_in_db(actions_db) == []


def test_unsubscribe_deletes_the_email(actions_db):
    req = subs.subscribe(actions_db, ANONYMOUS, "bob@example.org", WARD)
    subs.confirm(actions_db, req.token)
    token = subs.issue_unsubscribe_token(actions_db, req.subscription_id)
    assert subs.unsubscribe(actions_db, token) == WARD
    assert _emails_in_db(actions_db) == []
    with actions_db.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM digest_tokens")).scalar() == 0
    with pytest.raises(subs.SubscriptionError, match="may already be unsubscribed"):
        subs.unsubscribe(actions_db, token)


def test_roles_and_limits_are_checked_in_the_library(actions_db, fast_hashing):  # noqa: F811
    from ruralaction.actions import add_user

    county = subs.Area("county", "all", "Northamptonshire")
    with pytest.raises(PermissionDenied):
        subs.subscribe(actions_db, ANONYMOUS, "x@example.org", county)
    add_user(actions_db, ADMIN, "editor@police.example", Role.EDITOR, "Police", None)
    editor = Actor(email="editor@police.example", role=Role.EDITOR, partner="Police")
    assert subs.subscribe(actions_db, editor, "editor@police.example", county).token
    # a forged role gets nothing: the account is looked up again
    with pytest.raises(PermissionDenied):
        subs.subscribe(actions_db, Actor(email="who@example.org", role=Role.ADMIN), "who@example.org", county)
    with pytest.raises(PermissionDenied):
        subs.list_subscriptions(actions_db, ANONYMOUS)
    with pytest.raises(PermissionDenied):
        subs.list_subscriptions(actions_db, editor)
    assert subs.list_subscriptions(actions_db, ADMIN)["email"].tolist() == ["editor@police.example"]
    assert subs.subscription_counts(actions_db) == {"active": 0, "pending": 1}
    for _ in range(subs.PER_ADDRESS_PER_DAY - 1):
        subs.subscribe(actions_db, ANONYMOUS, "spam-target@example.org", WARD)
    subs.subscribe(actions_db, ANONYMOUS, "spam-target@example.org", OTHER)
    with pytest.raises(subs.RateLimited):
        subs.subscribe(actions_db, ANONYMOUS, "spam-target@example.org", WARD)
    with pytest.raises(subs.SubscriptionError, match="email address"):
        subs.subscribe(actions_db, ANONYMOUS, "not an address", WARD)


# --------------------------------------------------------------------------- a real SMTP server


def test_subscribe_confirm_send_and_unsubscribe_through_smtp(tiny, actions_db, smtp_server):
    settings, inbox = smtp_server
    df, wards = tiny.incidents, tiny.geography.wards
    code, name = str(wards["ward_code"].iloc[0]), str(wards["ward_name"].iloc[0])
    area = subs.Area("ward", code, name)
    add_action(
        actions_db,
        ADMIN,
        patrol(title="<img src=x onerror=alert(1)> patrols", wards=(code,), completed_on=dt.date(2024, 3, 12)),
        {code: name},
    )
    for who in ("ann@example.org", "carl@example.org"):
        request_subscription(actions_db, settings, ANONYMOUS, who, area)
    assert len(inbox.messages) == 2
    for rcpt, msg in inbox.messages:
        assert rcpt == [msg["To"]]
        subs.confirm(actions_db, _token(_body(msg), "confirm"))
    inbox.messages.clear()

    covered = covered_months(coverage(df))
    from ruralaction.actions import list_actions

    report = send_digests(actions_db, settings, df, wards, covered, "2024-03", actions=list_actions(actions_db, "ours"))
    assert (report.sent, report.failed) == (2, 0)
    by_to = {msg["To"]: (rcpt, msg) for rcpt, msg in inbox.messages}
    assert set(by_to) == {"ann@example.org", "carl@example.org"}
    rcpt, ann = by_to["ann@example.org"]
    raw = ann.as_string()
    assert rcpt == ["ann@example.org"] and "carl@example.org" not in raw  # nobody else's address
    text, page = _body(ann), _body(ann, "html")
    assert ann["Subject"] == f"Rural crime in {name}: March 2024"
    assert "March 2024:" in text and "Too little history" in text  # the tiny county has 2 months
    assert "<img src=x" in text and "<img src=x" not in page and "&lt;img src=x" in page
    assert ann["List-Unsubscribe"].startswith("<https://dash.example/app/digest?unsubscribe=")
    # a second run in the month sends nothing
    again = send_digests(actions_db, settings, df, wards, covered, "2024-03")
    assert again.sent == 0 and len(inbox.messages) == 2
    # the one-click link deletes only Ann's subscription and address
    subs.unsubscribe(actions_db, _token(text, "unsubscribe"))
    assert _emails_in_db(actions_db) == ["carl@example.org"]


def test_no_mail_server_means_no_subscription_kept(actions_db):
    dead = SmtpSettings("127.0.0.1", _free_port(), "digest@rural.example", "https://dash.example", tls="none")
    with pytest.raises(MailError, match="could not be reached"):
        request_subscription(actions_db, dead, ANONYMOUS, "dan@example.org", WARD)
    assert _emails_in_db(actions_db) == []


def test_settings_from_secrets_file_and_environment(tmp_path, monkeypatch):
    for k in ("HOST", "PORT", "FROM", "TLS", "USER", "PASSWORD"):
        monkeypatch.delenv(f"RURALACTION_SMTP_{k}", raising=False)
    monkeypatch.delenv("RURALACTION_PUBLIC_URL", raising=False)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        '[smtp]\nhost = "mail.example"\nsender = "a@b.example"\npassword = "s3cret"\n[digest]\nbase_url = "https://x"\n'
    )
    s = smtp_settings(secrets)
    assert (s.host, s.port, s.tls, s.base_url) == ("mail.example", 587, "starttls", "https://x")
    monkeypatch.setenv("RURALACTION_SMTP_PORT", "2525")
    assert smtp_settings(secrets).port == 2525
    secrets.write_text("[smtp]\n")
    with pytest.raises(MailError) as err:
        smtp_settings(secrets)
    assert "host, sender, base_url" in str(err.value) and "s3cret" not in str(err.value)


def test_digest_on_the_demo_has_an_expected_range(demo_dir):
    from ruralaction.incidents.pipeline import load_data_dir

    data = load_data_dir(demo_dir)
    covered = covered_months(coverage(data.incidents))
    d = build_digest(
        data.incidents, data.geography.wards, subs.Area("county", "all", "Demo county"), covered[-1], covered
    )
    assert "expected range" in d.unusual and d.crimes > 0


def test_cli_digest_send_against_the_smtp_server(tiny_dir, tmp_path, smtp_server):
    settings, inbox = smtp_server
    data = tmp_path / "data"
    import shutil

    shutil.copytree(tiny_dir, data / "ours")
    db = tmp_path / "ra.db"
    from ruralaction.actions import open_database

    engine = open_database(f"sqlite:///{db}")
    req = subs.subscribe(engine, ANONYMOUS, "eve@example.org", subs.Area("ward", "W1", "Brixworth"))
    subs.confirm(engine, req.token)
    env = {
        "RURALACTION_SMTP_HOST": "127.0.0.1",
        "RURALACTION_SMTP_PORT": str(settings.port),
        "RURALACTION_SMTP_FROM": "digest@rural.example",
        "RURALACTION_SMTP_TLS": "none",
        "RURALACTION_PUBLIC_URL": "https://dash.example",
        "RURALACTION_DATA_DIR": str(data),
    }
    import os

    cmd = [sys.executable, "-m", "ruralaction", "digest", "send", "--db-url", f"sqlite:///{db}", "--dataset", "ours"]
    run = subprocess.run(
        cmd, check=False, capture_output=True, text=True, env={**os.environ, **env}, cwd=Path(__file__).parents[1]
    )
    assert run.returncode == 0, run.stderr
    assert "sent 1 email for 1 area" in run.stdout
    assert [m["To"] for _, m in inbox.messages] == ["eve@example.org"]
    assert pd.Period("2024-03", "M").strftime("%B %Y") in inbox.messages[0][1]["Subject"]
    run2 = subprocess.run(
        cmd, check=False, capture_output=True, text=True, env={**os.environ, **env}, cwd=Path(__file__).parents[1]
    )
    assert "sent 0 emails" in run2.stdout and len(inbox.messages) == 1
