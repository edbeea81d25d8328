"""The Streamlit side of the action tracker, shared by the Actions page and (for reading) the
Map and Local area pages.

The library (:mod:`ruralaction.actions`) does the work; this module decides when: the database
is opened and migrated once per process (``st.cache_resource``), demo actions are seeded once
when the demo is shown, and it says who the current visitor is. Actions are read fresh on every
rerun (a few thousand rows take milliseconds), so every instance shows what partners just
saved.

Who is signed in (:func:`actor`, on every run):

- when ``[auth]`` is configured in ``.streamlit/secrets.toml``, ``st.login`` (the council's
  identity provider) says who someone is, if it verified their email, and their account row
  says what they may do;
- otherwise built-in accounts: the browser signed in on the account pages
  (:mod:`dashboard.accounts_web`), which set a signed HttpOnly session cookie; every run checks
  that session in the database (so a sign-out in another tab, a disabled account or a reset
  password ends it at the next click, in every instance);
- a server-side sign-in kept in this session's state (``actions_signed_in``: an email) for
  AppTest and in-process callers; nothing a browser sends can set it.

Either way the library checks permissions again inside every write.
"""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from dashboard import errors, state
from ruralaction.actions import (
    ANONYMOUS,
    Actor,
    CookieSigner,
    UnverifiedEmail,
    actions_stamp,
    admin_exists,
    end_session,
    identify,
    identify_provider_user,
    list_actions,
    open_database,
    session_actor,
)
from ruralaction.actions.db import database_url
from ruralaction.actions.demo import ensure_demo_actions
from ruralaction.actions.sessions import SESSION_COOKIE
from ruralaction.concerns import ensure_demo_concerns

SIGNED_IN_KEY = "actions_signed_in"
#: Why a provider sign-in was not accepted (for the sign-in box to say), set by :func:`actor`.
SIGN_IN_PROBLEM_KEY = "actions_sign_in_problem"


@st.cache_resource(show_spinner="Opening the actions database…", max_entries=4)
def _open(url: str) -> Engine:
    return open_database(url)


@st.cache_resource(show_spinner="Adding the demo actions and concerns…", max_entries=4)
def _seed_demo(url: str, demo_dir: str) -> int:
    """Demo partners' actions and residents' concerns, once per process and database."""
    engine = _open(url)
    return ensure_demo_actions(engine, demo_dir) + ensure_demo_concerns(engine, demo_dir)


def _secrets_section(name: str) -> dict:
    try:
        return dict(st.secrets.get(name, {}))
    except Exception:  # noqa: BLE001 - no secrets file at all, or one that does not parse
        return {}


def db_url() -> str:
    """``$RURALACTION_DB_URL``, else ``[connections.ruralaction] url`` in secrets, else the SQLite default."""
    import os

    if os.environ.get("RURALACTION_DB_URL"):
        return database_url()
    url = _secrets_section("connections").get("ruralaction", {}).get("url")
    return database_url(url or None)


def engine() -> Engine:
    """The migrated database engine for this process."""
    return _open(db_url())


def dataset() -> str:
    """The dataset shown ("ours" or "demo"); seeds the demo actions the first time the demo shows."""
    src = state.source()
    if src.demo:
        _seed_demo(db_url(), str(src.store.path("demo")))
    return src.dataset


def actions(include_deleted: bool = False) -> pd.DataFrame:
    """Every action of the dataset shown (:func:`ruralaction.actions.list_actions`): read again
    only when their fingerprint (:func:`ruralaction.actions.actions_stamp`, one small query, so
    another instance's edits show at once) has changed since the last read."""
    ds = dataset()
    return _actions(db_url(), ds, include_deleted, actions_stamp(engine(), ds))


@st.cache_data(max_entries=16, show_spinner=False)
def _actions(url: str, dataset: str, include_deleted: bool, stamp: tuple) -> pd.DataFrame:
    # ``url`` and ``stamp`` are unused in the body: they are part of the cache key.
    return list_actions(engine(), dataset, include_deleted=include_deleted)


def wards() -> pd.DataFrame:
    """The loaded wards: ``ward_code, ward_name, label`` (label = "Name (District)"), by name."""
    w = state.meta().geography.wards
    if w is None or w.empty:
        return pd.DataFrame({"ward_code": [], "ward_name": [], "label": []})
    out = pd.DataFrame({"ward_code": w["ward_code"].astype(str), "ward_name": w["ward_name"].astype(str)})
    district = w["district"].astype("object") if "district" in w else pd.Series(None, index=w.index)
    out["label"] = [f"{n} ({d})" if isinstance(d, str) and d else n for n, d in zip(out["ward_name"], district)]
    return out.drop_duplicates("ward_code").sort_values("label", ignore_index=True)


def oidc_configured() -> bool:
    """Whether sign-in goes through ``st.login`` (an ``[auth]`` section in secrets)."""
    return bool(_secrets_section("auth"))


def signer() -> CookieSigner:
    """Checks sign-in cookies with ``server.cookieSecret`` (shared by every instance)."""
    return CookieSigner(str(st.get_option("server.cookieSecret")))


def _session_cookie() -> str | None:
    try:
        return st.context.cookies.get(SESSION_COOKIE)
    except Exception:  # noqa: BLE001 - no browser connection (AppTest, bare mode): no cookies
        return None


def actor() -> Actor:
    """Who is using this session, with the role and partner their account has right now."""
    if oidc_configured():
        try:
            who = identify_provider_user(engine(), st.user.to_dict())
        except UnverifiedEmail as exc:
            st.session_state[SIGN_IN_PROBLEM_KEY] = str(exc)
            return ANONYMOUS
        st.session_state.pop(SIGN_IN_PROBLEM_KEY, None)
        return who
    cookie = _session_cookie()
    if cookie:
        who = session_actor(engine(), signer(), cookie)
        if not who.anonymous:
            return who
    email = st.session_state.get(SIGNED_IN_KEY)
    return identify(engine(), email) if email else ANONYMOUS


def sign_out() -> None:
    """End this browser's session in the database (every tab sharing its cookie is signed out
    at its next click) and forget any server-side sign-in."""
    end_session(engine(), signer(), _session_cookie())
    st.session_state.pop(SIGNED_IN_KEY, None)


def account_url(page: str, back_to: str = "") -> str:
    """The address of an account page (``sign-in``, ``code``, ``setup``), under the app's base
    path, returning to the app page ``back_to`` (its URL path) afterwards."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    prefix = f"/{base}" if base else ""
    return f"{prefix}/account/{page}" + (f"?next=/{back_to}" if back_to else "")


def sign_in_links(back_to: str) -> str:
    """HTML for "Sign in" (styled as a button) and "set your password with a one-time code",
    for ``st.html``: plain links that open in the same tab (``st.link_button`` and markdown
    links open a new one), returning to the page ``back_to`` afterwards."""
    sign_in, code = (html.escape(account_url(page, back_to)) for page in ("sign-in", "code"))
    return (
        "<style>.ra-signin{display:flex;flex-wrap:wrap;gap:.6rem 1.2rem;align-items:center}"
        ".ra-signin a.ra-button{display:inline-block;padding:.45rem 1.1rem;border-radius:.5rem;"
        "background:#1B5E20;color:#fff;font-weight:600;text-decoration:none}"
        ".ra-signin a.ra-button:focus{outline:3px solid #E69F00;outline-offset:2px}</style>"
        f'<div class="ra-signin"><a class="ra-button" href="{sign_in}">Sign in</a>'
        f'<span>New account or password reset? <a href="{code}">Set your password with a one-time code</a></span>'
        "</div>"
    )


def needs_first_admin() -> bool:
    """Whether no admin account exists yet (a fresh install)."""
    return not admin_exists(engine())


FIRST_ADMIN_HELP = (
    "**No admin account exists yet.** Whoever runs the server creates the first one: when the app "
    "starts, its log shows a one-time setup code and where to enter it (this app's address followed "
    "by `/account/setup`). On the server, `python -m ruralaction users setup-code` prints a new code, "
    "and `python -m ruralaction users add YOUR-EMAIL --role admin` creates the admin directly. "
    'There is deliberately no public "create admin" form.'
)


# --------------------------------------------------------------------------- for other pages


def actions_key(acts: pd.DataFrame) -> tuple:
    """Which actions, at which versions: a cache key part for anything drawn from the actions."""
    if acts.empty:
        return ()
    return tuple(zip(acts["id"].tolist(), acts["version"].tolist()))


def map_points(ward_codes: list[str] | None = None, date_from=None, date_to=None) -> pd.DataFrame:
    """The shown dataset's actions as map points (:func:`ruralaction.actions.action_points`):
    ``lon, lat, title, date, partner, visible, marker, …``, optionally only those in
    ``ward_codes`` or dated within ``date_from``–``date_to``. Feed it to the map's actions layer."""
    from ruralaction.actions import action_points, filter_actions

    with errors.section("Partners' actions on the map", "map"):  # the crimes still show without them
        every = actions()

        def points() -> pd.DataFrame:
            acts = filter_actions(every, wards=ward_codes or (), date_from=date_from, date_to=date_to)
            return action_points(acts, state.meta().geography.wards)

        # the same for every viewer until an action changes: made once, shared (read-only)
        key = (tuple(ward_codes or ()), str(date_from), str(date_to), actions_key(every))
        return state.kept("actions.map_points", points, *key)
    return None


def ward_section(ward_code: str, ward_name: str, months: int = 6, link: bool = True) -> None:
    """Draw "What partners did here" for one ward (the Local area page): counts, the ward's
    actions newest first, and before/after for the latest completed one. Text is shown as text.
    ``link`` adds a link to the Actions page (only inside the app's navigation). A database
    fault is said in one warning here; the rest of the page goes on."""
    st.subheader(f"What partners did in {state.md(ward_name)}")
    with errors.section("Partners' actions", "local area"):
        _ward_actions(ward_code, months, link)


def _ward_actions(ward_code: str, months: int, link: bool) -> None:
    from ruralaction.actions import before_after, filter_actions, load_vocabulary
    from ruralaction.actions.measure import CAVEAT

    here = filter_actions(actions(), wards=[ward_code])
    if here.empty:
        st.caption("No actions are recorded in this ward yet. Partners add them on the Actions page.")
        return
    c = st.columns(3)
    c[0].metric("Actions", f"{len(here):,}", border=True)
    c[1].metric("Visible (Rural Action)", f"{int(here['visible'].sum()):,}", border=True)
    c[2].metric("Completed", f"{int((here['status'] == 'completed').sum()):,}", border=True)
    st.dataframe(
        here[["action_date", "title", "lead_partner", "issue", "action_type", "status", "visible"]],
        hide_index=True,
        key=f"ward_actions_{ward_code}",
        column_config={
            "action_date": st.column_config.DateColumn("Date", format="DD MMM YYYY"),
            "title": "Action",
            "lead_partner": "Lead partner",
            "issue": "Issue",
            "action_type": "Type",
            "status": "Status",
            "visible": st.column_config.CheckboxColumn("Visible"),
        },
    )
    done = here[here["status"] == "completed"]
    if len(done):
        latest = done.iloc[0]
        vocab = load_vocabulary()
        ba = before_after(
            state.view(),  # counted in SQL: no incident in memory
            latest["ward_codes"],
            vocab.category_of(latest["issue"]),
            latest["completed_on"],
            months,
            latest["issue"],
        )
        st.markdown(f"**Latest completed: {state.md(latest['title'])}.** {state.md(ba.sentence)}")
        if ba.status in ("measured", "too few", "incomplete"):
            st.caption(state.md(CAVEAT))
    if link:
        st.page_link("dashboard/pages/actions.py", label="All actions, and adding one", icon=":material/handshake:")
