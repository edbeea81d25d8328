"""SMTP settings (environment or ``.streamlit/secrets.toml``) and sending one message.

Settings, first found wins for each key:

=====================  ===============================  ===================================
environment            ``[smtp]`` in secrets.toml       meaning
=====================  ===============================  ===================================
RURALACTION_SMTP_HOST  host                             the SMTP server
RURALACTION_SMTP_PORT  port                             default 587 (25 without TLS)
RURALACTION_SMTP_USER  user                             optional
RURALACTION_SMTP_PASSWORD  password                     optional
RURALACTION_SMTP_FROM  sender                           the From address
RURALACTION_SMTP_TLS   tls                              "starttls" (default), "ssl" or "none"
RURALACTION_PUBLIC_URL ``[digest] base_url``            the dashboard's public address, for links
=====================  ===============================  ===================================

The secrets file is ``$RURALACTION_SECRETS`` or ``.streamlit/secrets.toml`` in the working
directory or beside the package (the library reads it with ``tomllib``; it never imports
Streamlit). The password never appears in a message or log.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tomllib
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path


class MailError(RuntimeError):
    """Mail cannot be sent; the message is one sentence without secrets."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    base_url: str
    user: str | None = None
    password: str | None = None
    tls: str = "starttls"


def _secrets(path: str | os.PathLike | None = None) -> dict:
    candidates = [Path(path)] if path else []
    if os.environ.get("RURALACTION_SECRETS"):
        candidates.append(Path(os.environ["RURALACTION_SECRETS"]))
    candidates += [
        Path.cwd() / ".streamlit" / "secrets.toml",
        Path(__file__).resolve().parents[2] / ".streamlit" / "secrets.toml",
    ]
    for p in candidates:
        if p.is_file():
            try:
                return tomllib.loads(p.read_text("utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise MailError(f"The secrets file {p.name} cannot be read ({type(exc).__name__}).") from None
    return {}


def smtp_settings(secrets_path: str | os.PathLike | None = None) -> SmtpSettings:
    """The SMTP settings; raises :class:`MailError` naming what is missing."""
    sec = _secrets(secrets_path)
    smtp, digest = sec.get("smtp", {}) or {}, sec.get("digest", {}) or {}

    def get(env: str, key: str, table: dict = smtp) -> str | None:
        value = os.environ.get(env) or table.get(key)
        return str(value) if value not in (None, "") else None

    host, sender = get("RURALACTION_SMTP_HOST", "host"), get("RURALACTION_SMTP_FROM", "sender")
    base_url = get("RURALACTION_PUBLIC_URL", "base_url", digest)
    missing = [n for n, v in (("host", host), ("sender", sender), ("base_url", base_url)) if not v]
    if missing:
        raise MailError(
            "Email is not configured: set " + ", ".join(missing) + " ([smtp] host and sender, [digest] base_url in "
            ".streamlit/secrets.toml, or RURALACTION_SMTP_HOST, RURALACTION_SMTP_FROM and RURALACTION_PUBLIC_URL)."
        )
    tls = (get("RURALACTION_SMTP_TLS", "tls") or "starttls").lower()
    if tls not in ("starttls", "ssl", "none"):
        raise MailError(f"The SMTP tls setting '{tls}' is not one of starttls, ssl or none.")
    port = get("RURALACTION_SMTP_PORT", "port")
    try:
        port_n = int(port) if port else (465 if tls == "ssl" else 587 if tls == "starttls" else 25)
    except ValueError:
        raise MailError(f"The SMTP port '{port}' is not a number.") from None
    return SmtpSettings(
        host=host,
        port=port_n,
        sender=sender,
        base_url=base_url,
        user=get("RURALACTION_SMTP_USER", "user"),
        password=get("RURALACTION_SMTP_PASSWORD", "password"),
        tls=tls,
    )


class Mailer:
    """One SMTP connection for a batch of messages (use as a context manager)."""

    def __init__(self, settings: SmtpSettings, timeout: float = 20.0):
        self.settings = settings
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        s = self.settings
        try:
            if s.tls == "ssl":
                self._smtp = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                self._smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
                if s.tls == "starttls":
                    self._smtp.starttls(context=ssl.create_default_context())
            if s.user:
                self._smtp.login(s.user, s.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(
                f"The mail server {s.host}:{s.port} could not be reached or refused us ({type(exc).__name__})."
            ) from None
        return self

    def send(self, msg: EmailMessage) -> None:
        if self._smtp is None:
            raise MailError("Not connected to the mail server.")
        try:
            self._smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"The mail server refused a message ({type(exc).__name__}).") from None

    def __exit__(self, *exc) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None


def send_one(settings: SmtpSettings, msg: EmailMessage) -> None:
    """Connect, send one message, disconnect."""
    with Mailer(settings) as m:
        m.send(msg)
