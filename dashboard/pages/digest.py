"""Monthly digest: subscribe to an area's monthly email (double opt-in), confirm and unsubscribe
links (``?confirm=…``, ``?unsubscribe=…``), and the admins' list of subscribers."""

from __future__ import annotations

import os

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from dashboard import actions, state
from ruralaction.actions import DatabaseError, Permission, PermissionDenied, can
from ruralaction.concerns.limits import BurstGuard, SessionLimiter, utcnow, wait_words
from ruralaction.digest.mail import MailError, smtp_settings
from ruralaction.digest.send import request_subscription
from ruralaction.digest.subscriptions import (
    Area,
    SubscriptionError,
    confirm,
    list_subscriptions,
    remove_subscription,
    subscription_counts,
    unsubscribe,
)

md = state.md
K = "digest_"
BURST_ENV = "RURALACTION_DIGEST_BURST"  # confirmation emails a minute one app process sends (default 20)


@st.cache_resource
def _burst_guard(url: str, limit: int) -> BurstGuard:
    return BurstGuard(max_per_window=limit)


st.title("Monthly digest")
try:
    engine = actions.engine()
    dataset = actions.dataset()
    who = actions.actor()
except DatabaseError as exc:
    st.error(f"The subscriptions database cannot be opened. {md(exc)}", icon=":material/error:")
    st.stop()

# --------------------------------------------------------------------------- links from emails
qp = st.query_params
for param, action, done in (
    (
        "confirm",
        confirm,
        "Your monthly digest for **{}** is confirmed: the first one comes after the next month's data.",
    ),
    (
        "unsubscribe",
        unsubscribe,
        "You are unsubscribed from the digest for **{}**, and your email address is deleted.",
    ),
):
    if param in qp:
        token = qp.get(param) or ""
        try:
            area = action(engine, token)
        except SubscriptionError as exc:
            st.session_state[K + "link"] = ("error", str(exc))
        except (SQLAlchemyError, OSError):
            st.session_state[K + "link"] = (
                "error",
                "The link could not be checked just now; please open it again later.",
            )
        else:
            st.session_state[K + "link"] = ("success", done.format(md(area.name)))
        del qp[param]  # a reload must not repeat it
if link := st.session_state.pop(K + "link", None):
    (st.success if link[0] == "success" else st.error)(link[1], icon=":material/mail:")

st.caption(
    "Once a month, by email: the month's rural crimes in your area against the range expected for the time of year, "
    "the actions partners took, and what residents raised and what was done. You confirm by a link we email you; "
    "every digest has a one-click unsubscribe, which deletes your address."
)
if state.source().demo:
    st.warning(f"**{state.DEMO_LABEL}.** Digests of the demo are labelled as demo.", icon=":material/science:")

try:
    settings = smtp_settings()
except MailError as exc:
    settings = None
    st.info(
        "Digest emails are not set up on this dashboard yet, so subscribing is closed. "
        + (f"(For the administrator: {md(exc)})" if can(who, Permission.MANAGE_SUBSCRIPTIONS) else ""),
        icon=":material/info:",
    )

# --------------------------------------------------------------------------- subscribing
wards = state.meta().geography.wards
partner = who.role is not None
kinds = {"ward": "A ward"}
if wards is not None and "district" in wards and partner:
    kinds["district"] = "A district (partners)"
if partner:
    kinds["county"] = "The whole county (partners)"


def _subscribe() -> None:
    ss = st.session_state
    ss.pop(K + "problem", None)
    kind = ss.get(K + "kind") or "ward"
    if kind == "ward":
        code = ss.get(K + "ward") or ""
        name = ward_names.get(code, "")
    elif kind == "district":
        code = name = ss.get(K + "district") or ""
    else:
        code, name = "all", state.meta().definition.county
    if not code:
        ss[K + "problem"] = "Choose the area whose digest you want."
        return
    limiter: SessionLimiter = ss.setdefault(K + "limiter", SessionLimiter())
    now = utcnow()
    if (wait := limiter.retry_after(now)) is not None:
        ss[K + "problem"] = f"Please wait {wait_words(wait)} before asking again."
        return
    guard = _burst_guard(actions.db_url(), int(os.environ.get(BURST_ENV) or 20))
    if (wait := guard.try_acquire(now)) is not None:
        ss[K + "problem"] = f"Many people are subscribing at once. Please try again in {wait_words(wait)}."
        return
    try:
        request_subscription(engine, settings, who, ss.get(K + "email", ""), Area(kind, code, name), dataset, now)
    except (SubscriptionError, PermissionDenied) as exc:
        guard.release(now)
        ss[K + "problem"] = str(exc)
        return
    except MailError:
        guard.release(now)
        ss[K + "problem"] = (
            "The confirmation email could not be sent just now, so nothing was stored. Please try later."
        )
        return
    except (SQLAlchemyError, OSError):
        guard.release(now)
        ss[K + "problem"] = "Your request could not be saved just now, so nothing was stored. Please try later."
        return
    limiter.record(now)
    ss[K + "sent"] = name
    ss[K + "email"] = ""


ward_names: dict[str, str] = {}
if wards is not None and len(wards):
    labels = {
        str(c): f"{n} ({d})" if isinstance(d, str) and d else str(n)
        for c, n, d in zip(wards["ward_code"], wards["ward_name"], wards.get("district", [None] * len(wards)))
    }
    ward_names = dict(zip(wards["ward_code"].astype(str), wards["ward_name"].astype(str)))
else:
    labels = {}

st.subheader("Subscribe")
with st.form("digest_form", border=True):
    st.text_input("Your email", key=K + "email", max_chars=254, autocomplete="email", placeholder="name@example.org")
    st.radio("Digest of", list(kinds), format_func=kinds.get, key=K + "kind", horizontal=True)
    st.selectbox(
        "Ward",
        ["", *sorted(labels, key=labels.get)],
        format_func=lambda c: labels.get(c, "Choose your ward…"),
        key=K + "ward",
        help="Used when the digest is of a ward.",
    )
    if "district" in kinds:
        st.selectbox(
            "District", sorted({str(d) for d in wards["district"].dropna()}), key=K + "district", help="For partners."
        )
    st.form_submit_button(
        "Send me the confirmation link", type="primary", on_click=_subscribe, disabled=settings is None
    )
if problem := st.session_state.pop(K + "problem", None):
    st.error(md(problem), icon=":material/error:")
if (sent := st.session_state.pop(K + "sent", None)) is not None:
    st.success(
        f"If that address can receive email, a confirmation link for the **{md(sent)}** digest is on its way. "
        "Nothing is sent until you open it; an unconfirmed request and its address are deleted after 48 hours.",
        icon=":material/mark_email_read:",
    )
st.caption(
    "Your email address is used only to send this digest. Only the dashboard's administrators can see it; "
    "unsubscribing deletes it at once."
)

# --------------------------------------------------------------------------- admins
if can(who, Permission.MANAGE_SUBSCRIPTIONS):
    st.subheader("Subscribers (admins only)")
    counts = subscription_counts(engine, dataset)
    st.caption(f"{counts['active']:,} confirmed, {counts['pending']:,} waiting for confirmation.")
    table = list_subscriptions(engine, who, dataset)
    if table.empty:
        st.caption("No subscriptions yet.")
    else:
        st.dataframe(table, hide_index=True, key="digest_admin_table")
        c = st.columns([2, 1])
        gone = c[0].selectbox("Remove a subscription", [None, *table["id"].tolist()], key=K + "remove_id")
        if c[1].button("Remove", key=K + "remove", disabled=gone is None):
            try:
                remove_subscription(engine, who, int(gone))
            except PermissionDenied as exc:
                st.error(md(exc))
            else:
                st.rerun()
