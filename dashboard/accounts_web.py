"""The account pages, served over plain HTTP beside the Streamlit app: sign in, set a password
with a one-time code, create the first admin.

Why not Streamlit widgets: a Streamlit script talks to the browser over a websocket and cannot
set a cookie, least of all an HttpOnly one. ``streamlit run app.py`` serves ``app.py``'s
``st.App`` (Streamlit's own Starlette server) with these routes added, as Streamlit's own
``st.login`` adds ``/auth/login``. A page posts its form here; a successful sign-in sets

- ``ra_session``: the session (:mod:`ruralaction.actions.sessions`), signed with
  ``server.cookieSecret``; ``HttpOnly`` (no script can read it), ``SameSite=Strict`` (no other
  site can send it), ``Max-Age`` the session's lifetime, ``Secure`` over HTTPS;
- ``ra_device``: this browser is known to the account (sign-in limits count it apart);

then redirects back into the app, whose pages read the cookie from the websocket's handshake
(``st.context.cookies``) and check it against the database on every run.

Forms carry a CSRF token that must match an HttpOnly ``SameSite=Strict`` cookie (double
submit), and a cross-site ``Origin`` is refused. Pages are rendered by Jinja2 with
autoescaping, with a strict Content-Security-Policy (no script at all) and ``no-store``.
Password hashing runs in a worker thread, never on the server's event loop.
"""

from __future__ import annotations

import re
import secrets
import sys
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from streamlit import config

from ruralaction.actions import (
    CodeError,
    CookieSigner,
    DatabaseError,
    PasswordPolicyError,
    SignedIn,
    SignInError,
    TooManyAttempts,
    admin_exists,
    create_first_admin,
    issue_first_admin_code,
    open_database,
    set_password_with_code,
    sign_in,
)
from ruralaction.actions.codes import first_admin_message
from ruralaction.actions.passwords import MIN_PASSWORD_LENGTH
from ruralaction.actions.principal import normalise_email
from ruralaction.actions.sessions import (
    DEVICE_COOKIE,
    DEVICE_LIFETIME,
    SESSION_COOKIE,
    device_cookie,
    known_device,
    session_cookie,
    session_lifetime,
)

CSRF_COOKIE = "ra_csrf"
DEFAULT_NEXT = "/action-tracker"
#: Where a form may send the browser afterwards: a path inside the app, nothing else.
_NEXT = re.compile(r"^/[A-Za-z0-9_\-/]{0,100}$")
EXPIRED = "This form had expired or came from another site. Please try again."
DB_DOWN = "The accounts database cannot be reached just now. Please try again in a minute."
_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def base_path() -> str:
    """``server.baseUrlPath`` as a prefix ("" or "/something")."""
    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def signer() -> CookieSigner:
    """Signs cookies with ``server.cookieSecret`` (the same secret every instance must share)."""
    return CookieSigner(str(config.get_option("server.cookieSecret")))


@cache
def _engine(url: str) -> Engine:
    return open_database(url)


def engine() -> Engine:
    from dashboard.actions import db_url

    return _engine(db_url())


def _provider() -> bool:
    from dashboard.actions import oidc_configured

    return oidc_configured()


def _next(value: object) -> str:
    return value if isinstance(value, str) and _NEXT.match(value) and "//" not in value else DEFAULT_NEXT


def _client(request: Request) -> str | None:
    """The client's address as the server sees it (behind a proxy, uvicorn takes it from
    ``X-Forwarded-For`` only when the proxy is trusted: ``FORWARDED_ALLOW_IPS``)."""
    return request.client.host if request.client else None


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _render(request: Request, page: str, title: str, *, status: int = 200, **context) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    csrf = request.cookies.get(CSRF_COOKIE)
    if not csrf or len(csrf) > 100:
        csrf = secrets.token_urlsafe(32)
    context.setdefault("next", DEFAULT_NEXT)
    html = _TEMPLATES.get_template("account.html").render(
        page=page,
        title=title,
        nonce=nonce,
        csrf=csrf,
        base=base_path(),
        provider=_provider(),
        min_length=MIN_PASSWORD_LENGTH,
        **context,
    )
    response = HTMLResponse(
        html,
        status_code=status,
        headers={
            "Content-Security-Policy": (
                f"default-src 'none'; style-src 'nonce-{nonce}'; form-action 'self'; "
                "frame-ancestors 'none'; base-uri 'none'"
            ),
            "Cache-Control": "no-store",
            "Referrer-Policy": "same-origin",
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
        },
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path=f"{base_path()}/account",
    )
    return response


async def _form(request: Request) -> dict[str, str] | None:
    """The posted fields, or None when the CSRF token is missing or wrong or the post came
    from another site."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        return None
    form = await request.form(max_files=0, max_fields=12)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    sent, kept = fields.get("csrf", ""), request.cookies.get(CSRF_COOKIE, "")
    if not sent or not kept or not secrets.compare_digest(sent.encode(), kept.encode()):
        return None
    return {k: v[:1024] for k, v in fields.items()}


def _signed_in(request: Request, done: SignedIn, to: str) -> RedirectResponse:
    """Redirect into the app with the session (and known-browser) cookies set."""
    response = RedirectResponse(f"{base_path()}{to}", status_code=303)
    path = base_path() or "/"
    if done.session_token:
        response.set_cookie(
            SESSION_COOKIE,
            session_cookie(signer(), done.session_token),
            max_age=int(session_lifetime().total_seconds()),
            httponly=True,
            samesite="strict",
            secure=_secure(request),
            path=path,
        )
        response.set_cookie(
            DEVICE_COOKIE,
            device_cookie(signer(), done.email),
            max_age=int(DEVICE_LIFETIME.total_seconds()),
            httponly=True,
            samesite="strict",
            secure=_secure(request),
            path=path,
        )
    response.headers["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- pages


async def sign_in_page(request: Request) -> Response:
    """``/account/sign-in``: email and password."""
    title = "Sign in"
    if request.method == "GET":
        return _render(request, "sign-in", title, email="", next=_next(request.query_params.get("next")))
    form = await _form(request)
    if form is None:
        return _render(request, "sign-in", title, status=400, error=EXPIRED, email="")
    to, email = _next(form.get("next")), form.get("email", "").strip()[:320]
    if _provider():
        return _render(request, "sign-in", title, status=400, email="", next=to)
    device = known_device(signer(), request.cookies.get(DEVICE_COOKIE), normalise_email(email))
    try:
        done = await run_in_threadpool(
            sign_in, engine(), email, form.get("password", ""), client=_client(request), device=device, start=True
        )
    except TooManyAttempts as exc:
        return _render(request, "sign-in", title, status=429, error=str(exc), email=email, next=to)
    except SignInError as exc:
        return _render(request, "sign-in", title, status=400, error=str(exc), email=email, next=to)
    except DatabaseError:
        return _render(request, "sign-in", title, status=503, error=DB_DOWN, email=email, next=to)
    return _signed_in(request, done, to)


async def code_page(request: Request) -> Response:
    """``/account/code``: a one-time code from an admin, and the password the person chooses."""
    title = "Set your password"
    if request.method == "GET":
        return _render(request, "code", title, code="", next=_next(request.query_params.get("next")))
    form = await _form(request)
    if form is None:
        return _render(request, "code", title, status=400, error=EXPIRED, code="")
    to, code = _next(form.get("next")), form.get("code", "").strip()[:60]
    if form.get("password", "") != form.get("again", ""):
        return _render(request, "code", title, status=400, error="The two passwords differ.", code=code, next=to)
    try:
        done = await run_in_threadpool(
            set_password_with_code, engine(), code, form.get("password", ""), client=_client(request)
        )
    except TooManyAttempts as exc:
        return _render(request, "code", title, status=429, error=str(exc), code=code, next=to)
    except (CodeError, PasswordPolicyError) as exc:
        return _render(request, "code", title, status=400, error=str(exc), code=code, next=to)
    except DatabaseError:
        return _render(request, "code", title, status=503, error=DB_DOWN, code=code, next=to)
    return _signed_in(request, done, to)


async def setup_page(request: Request) -> Response:
    """``/account/setup``: the first admin, with the setup code from the server's log."""
    title = "Create the first admin"
    try:
        exists = await run_in_threadpool(admin_exists, engine())
    except DatabaseError:
        return _render(request, "setup", title, status=503, error=DB_DOWN, admin_exists=False, code="", email="")
    blank = {"admin_exists": exists, "code": "", "email": "", "name": ""}
    if request.method == "GET" or exists:
        return _render(request, "setup", title, status=200 if request.method == "GET" else 409, **blank)
    form = await _form(request)
    if form is None:
        return _render(request, "setup", title, status=400, error=EXPIRED, **blank)
    typed = {
        "admin_exists": False,
        "code": form.get("code", "").strip()[:60],
        "email": form.get("email", "").strip()[:320],
        "name": form.get("name", "").strip()[:200],
    }
    password = None if _provider() else form.get("password", "")
    if password is not None and password != form.get("again", ""):
        return _render(request, "setup", title, status=400, error="The two passwords differ.", **typed)
    try:
        done = await run_in_threadpool(
            create_first_admin,
            engine(),
            typed["code"],
            typed["email"],
            password,
            name=typed["name"],
            client=_client(request),
        )
    except TooManyAttempts as exc:
        return _render(request, "setup", title, status=429, error=str(exc), **typed)
    except (CodeError, PasswordPolicyError) as exc:
        return _render(request, "setup", title, status=400, error=str(exc), **typed)
    except DatabaseError:
        return _render(request, "setup", title, status=503, error=DB_DOWN, **typed)
    return _signed_in(request, done, "/accounts")


def routes() -> list[Route]:
    """The account pages, under ``server.baseUrlPath``."""
    base = base_path()
    methods = ["GET", "POST"]
    return [
        Route(f"{base}/account/sign-in", sign_in_page, methods=methods),
        Route(f"{base}/account/code", code_page, methods=methods),
        Route(f"{base}/account/setup", setup_page, methods=methods),
    ]


def announce_first_run() -> None:
    """At server start: with no admin yet, print a one-time setup code to the server's log;
    warn when no shared cookie secret is configured."""
    if not config.is_manually_set("server.cookieSecret"):
        print(
            "Rural Action: server.cookieSecret is not set, so sign-ins end when the server restarts and "
            "several instances cannot share them. Set one secret for every instance (see README).",
            file=sys.stderr,
            flush=True,
        )
    try:
        code = issue_first_admin_code(engine(), "server start")
    except DatabaseError as exc:
        print(f"Rural Action: {exc}", file=sys.stderr, flush=True)
        return
    if code is not None:
        print(first_admin_message(code.code, code.expires_at), file=sys.stderr, flush=True)


@asynccontextmanager
async def lifespan(_app):
    """``st.App`` lifespan: announce the first run once the server starts."""
    await run_in_threadpool(announce_first_run)
    yield
