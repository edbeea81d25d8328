"""Accounts (admins only): who can sign in and with which role; add an account, change its role
or partner, disable it, reset its password with a one-time code, sign it out everywhere."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import actions, state
from ruralaction.actions import (
    DatabaseError,
    Permission,
    PermissionDenied,
    Role,
    UserError,
    add_user,
    can,
    issue_password_code,
    list_users,
    load_vocabulary,
    set_active,
    sign_out_everywhere,
    update_user,
)

md = state.md
ROLE_WORDS = {"editor": "Partner editor", "admin": "Admin"}


def _code_flash(code) -> None:
    """Keep a one-time code to show once, after the rerun."""
    st.session_state["accounts_code"] = code


def _problem(exc: Exception) -> None:
    st.session_state["accounts_problem"] = str(exc)


def _add(engine, who, provider: bool) -> None:
    """Form callback: add the account; with built-in sign-in, make its first-password code."""
    ss = st.session_state
    role = ss.get("accounts_add_role") or "editor"
    try:
        info = add_user(
            engine,
            who,
            ss.get("accounts_add_email") or "",
            role,
            ss.get("accounts_add_partner") if role == "editor" else None,
            name=ss.get("accounts_add_name") or "",
        )
        if provider:
            ss["accounts_flash"] = f"Added {info.email}. They sign in with their organisation account."
        else:
            _code_flash(issue_password_code(engine, who, info.email))
            ss["accounts_flash"] = f"Added {info.email}."
    except (UserError, PermissionDenied) as exc:
        _problem(exc)
        return
    for key in ("accounts_add_email", "accounts_add_name"):
        ss[key] = ""


def _act(func, *args, flash=None) -> None:
    """Button callback: run one change; its error becomes one sentence on the page. ``flash``
    is the message after success, or a function of the change's result giving it."""
    try:
        result = func(*args)
    except (UserError, PermissionDenied) as exc:
        _problem(exc)
        return
    if func is issue_password_code:
        _code_flash(result)
    elif flash:
        st.session_state["accounts_flash"] = flash(result) if callable(flash) else flash


st.title("Accounts")
try:
    engine = actions.engine()
    who = actions.actor()
    first_run = actions.needs_first_admin()
except DatabaseError as exc:
    st.error(f"The accounts database cannot be opened. {md(exc)}", icon=":material/error:")
    st.stop()

if not can(who, Permission.MANAGE_USERS):
    st.info(
        "Only admins manage accounts. Partners and admins sign in on the Actions page.",
        icon=":material/lock:",
    )
    if first_run:
        st.info(actions.FIRST_ADMIN_HELP, icon=":material/person_add:")
    st.page_link("dashboard/pages/actions.py", label="Go to the Actions page to sign in", icon=":material/login:")
    st.stop()

provider = actions.oidc_configured()
vocab = load_vocabulary()
st.caption(
    "Who can sign in, and what they may do: partner editors add and edit their own partner's actions; "
    "admins do everything, including this page. Every change here is in the audit log."
)

if problem := st.session_state.pop("accounts_problem", None):
    st.error(md(problem), icon=":material/error:")
if flash := st.session_state.pop("accounts_flash", None):
    st.success(md(flash), icon=":material/check_circle:")
if code := st.session_state.pop("accounts_code", None):
    with st.container(border=True):
        st.markdown(
            f"**One-time code for {md(code.email)}** — shown only now. Give it to them in person or by phone "
            f"(not in the same email as their address). They open **Sign in → Set your password with a one-time "
            f"code** and choose their own password. It works once, until {code.expires_at:%d %b %Y %H:%M} UTC."
        )
        st.code(code.code, language=None)

users = list_users(engine, who)
table = pd.DataFrame(
    {
        "email": [u.email for u in users],
        "name": [u.name for u in users],
        "role": [ROLE_WORDS.get(u.role, u.role) for u in users],
        "partner": [u.partner or "" for u in users],
        "active": [u.active for u in users],
        "password": [u.has_password for u in users],
        "last_sign_in": pd.to_datetime([u.last_sign_in_at for u in users], utc=True),
        "signed_in": [u.open_sessions for u in users],
    }
)
st.dataframe(
    table,
    hide_index=True,
    key="accounts_table",
    column_config={
        "email": "Email",
        "name": "Name",
        "role": "Role",
        "partner": "Partner",
        "active": st.column_config.CheckboxColumn("Active"),
        "password": st.column_config.CheckboxColumn(
            "Password set", help="No password: they sign in with the identity provider, or have a code to set one"
        ),
        "last_sign_in": st.column_config.DatetimeColumn("Last sign-in (UTC)", format="DD MMM YYYY HH:mm"),
        "signed_in": st.column_config.NumberColumn("Signed-in browsers", help="Sessions open now"),
    },
)

with (
    st.expander("Add an account", icon=":material/person_add:", expanded=len(users) <= 1),
    st.form("accounts_add", border=False),
):
    c = st.columns(2)
    c[0].text_input("Email", key="accounts_add_email", max_chars=320, autocomplete="off")
    c[1].text_input("Name", key="accounts_add_name", max_chars=200, placeholder="As others will see it")
    c = st.columns(2)
    c[0].selectbox("Role", ["editor", "admin"], format_func=ROLE_WORDS.get, key="accounts_add_role")
    c[1].selectbox(
        "Partner (for a partner editor)", vocab.partners, key="accounts_add_partner", help="Admins need none"
    )
    st.form_submit_button(
        "Add account",
        type="primary",
        icon=":material/person_add:",
        on_click=_add,
        args=(engine, who, provider),
        help=None if provider else "You will be shown a one-time code for them to set their own password.",
    )

st.subheader("Change an account")
labels = {u.email: f"{u.name} <{u.email}>" + ("" if u.active else " (disabled)") for u in users}
chosen = st.selectbox(
    "Account",
    list(labels),
    format_func=labels.get,
    index=None,
    key="accounts_chosen",
    placeholder="Choose an account to change, disable or reset",
)
info = next((u for u in users if u.email == chosen), None)
if info is not None:
    with st.form(f"accounts_edit_{info.email}", border=True):
        c = st.columns(3)
        role = c[0].selectbox(
            "Role", ["editor", "admin"], index=["editor", "admin"].index(info.role), format_func=ROLE_WORDS.get
        )
        partners = list(vocab.partners)
        partner = c[1].selectbox(
            "Partner (for a partner editor)",
            partners,
            index=partners.index(info.partner) if info.partner in partners else 0,
        )
        name = c[2].text_input("Name", info.name, max_chars=200)
        if st.form_submit_button("Save changes", icon=":material/save:"):
            try:
                update_user(
                    engine, who, info.email, role=role, partner=partner if role == "editor" else None, name=name
                )
            except (UserError, PermissionDenied) as exc:
                _problem(exc)
            else:
                st.session_state["accounts_flash"] = f"Saved {info.email}."
            st.rerun()
    c = st.columns(3)
    if info.active:
        with c[0].popover("Disable", icon=":material/block:", disabled=info.email == who.email):
            st.markdown(f"Disable **{md(info.email)}**? They are signed out everywhere at once and cannot sign in.")
            st.button(
                "Yes, disable",
                key=f"accounts_disable_{info.email}",
                type="primary",
                on_click=_act,
                args=(set_active, engine, who, info.email, False),
                kwargs={"flash": f"Disabled {info.email}; their sessions have ended."},
            )
    else:
        c[0].button(
            "Enable",
            key=f"accounts_enable_{info.email}",
            icon=":material/check_circle:",
            on_click=_act,
            args=(set_active, engine, who, info.email, True),
            kwargs={"flash": f"Enabled {info.email}."},
        )
    if not provider and info.active:
        with c[1].popover("Reset password", icon=":material/key:"):
            st.markdown(
                f"Reset the password of **{md(info.email)}**? Their current password stops working and they are "
                "signed out; you get a one-time code for them to choose a new one."
            )
            st.button(
                "Yes, reset",
                key=f"accounts_reset_{info.email}",
                type="primary",
                on_click=_act,
                args=(issue_password_code, engine, who, info.email),
            )
    c[2].button(
        f"Sign out everywhere ({info.open_sessions})",
        key=f"accounts_sign_out_{info.email}",
        icon=":material/logout:",
        disabled=info.open_sessions == 0,
        on_click=_act,
        args=(sign_out_everywhere, engine, who, info.email),
        kwargs={"flash": lambda n, email=info.email: f"Ended {n} session{'s' if n != 1 else ''} of {email}."},
    )

if Role.ADMIN.value not in {u.role for u in users if u.active}:  # cannot happen through this page; say so if it does
    st.warning("No active admin account: add one with `python -m ruralaction users add`.", icon=":material/warning:")
