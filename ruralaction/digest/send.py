"""Sending the month's digests: every active subscription not yet sent that month, one email
each, idempotent (a second run in the month sends nothing), resumable after a failure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine

from ruralaction.digest.content import Digest, build_digest, confirmation_message, digest_message
from ruralaction.digest.mail import Mailer, MailError, SmtpSettings, send_one
from ruralaction.digest.subscriptions import (
    Area,
    Requested,
    SubscriptionError,
    cancel_pending,
    due,
    issue_unsubscribe_token,
    mark_sent,
    subscribe,
)
from ruralaction.permissions import Actor


@dataclass
class SendReport:
    """What a run did."""

    month: str
    sent: int = 0
    failed: int = 0
    areas: int = 0
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"Digest for {pd.Period(self.month, 'M'):%B %Y}: sent {self.sent} email{'s' if self.sent != 1 else ''} "
            f"for {self.areas} area{'s' if self.areas != 1 else ''}"
            + (f", {self.failed} failed (they are retried on the next run)" if self.failed else "")
            + "."
        )


def send_digests(
    engine: Engine,
    settings: SmtpSettings,
    incidents: pd.DataFrame,
    wards: pd.DataFrame,
    covered: list[str],
    month: str,
    dataset: str = "ours",
    actions: pd.DataFrame | None = None,
    concerns: pd.DataFrame | None = None,
    demo: bool = False,
    now: dt.datetime | None = None,
    dry_run: bool = False,
) -> SendReport:
    """Send ``month``'s digest to every active subscription that has not had it.

    Each email gets its own unsubscribe token, stored (hashed) before the email goes; the
    subscription is marked sent only after the server accepted the email, so a failure is
    retried on the next run and a success never repeats.
    """
    report = SendReport(month)
    todo = due(engine, dataset, month)
    cache: dict[Area, Digest] = {}
    for sub in todo:
        if sub.area not in cache:
            cache[sub.area] = build_digest(incidents, wards, sub.area, month, covered, actions, concerns, demo)
    report.areas = len(cache)
    if dry_run:
        report.sent = 0
        report.problems = [f"Would send {len(todo)} emails."]
        return report
    if not todo:
        return report
    with Mailer(settings) as mailer:
        for sub in todo:
            token = issue_unsubscribe_token(engine, sub.id, now)
            if token is None:
                continue  # unsubscribed meanwhile
            msg = digest_message(cache[sub.area], sub.email, settings.sender, settings.base_url, token)
            try:
                mailer.send(msg)
            except MailError as exc:
                report.failed += 1
                report.problems.append(str(exc))
                continue
            mark_sent(engine, sub.id, month, now)
            report.sent += 1
    return report


def request_subscription(
    engine: Engine,
    settings: SmtpSettings,
    actor: Actor,
    email: str,
    area: Area,
    dataset: str = "ours",
    now: dt.datetime | None = None,
) -> Requested:
    """Subscribe and send the confirmation email; if the email cannot be sent, the pending
    subscription is removed again, so nothing is kept that the person was not told about.

    Raises
    ------
    SubscriptionError, PermissionDenied, MailError
    """
    req = subscribe(engine, actor, email, area, dataset, now)
    msg = confirmation_message(area, email.strip().lower(), settings.sender, settings.base_url, req.token)
    try:
        send_one(settings, msg)
    except MailError:
        if req.token is not None:
            cancel_pending(engine, req.subscription_id)
        raise
    return req


__all__ = ["SendReport", "SubscriptionError", "request_subscription", "send_digests"]
