"""Actions: what partners did, where and when; add one fast, correct it later, see its history
and incidents before and after."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard import actions, errors, evidence_views, state
from ruralaction.actions import (
    STATUSES,
    ActionInput,
    ActionNotFound,
    ConflictError,
    DatabaseError,
    Permission,
    PermissionDenied,
    ValidationError,
    add_action,
    before_after,
    can,
    delete_action,
    filter_actions,
    get_action,
    history,
    load_vocabulary,
    restore_action,
    update_action,
)
from ruralaction.actions.measure import CAVEAT
from ruralaction.actions.transfer import export_table
from ruralaction.exports import csv_bytes

md = state.md
SHOWN_COLUMNS = ["id", "action_date", "title", "status", "visible", "wards", "lead_partner", "issue"]  # type: in details
BEFORE_AFTER_MONTHS = (3, 6, 12)


def _role_text(who) -> str:
    """What the signed-in person may do, in words."""
    if who.role is None:
        return "no role here yet: ask an admin for one to add actions"
    return who.role.value + (f" for {who.partner}" if who.partner else "")


def _date_fields(status: str, when: dt.date | None) -> dict:
    """The date the fast form asks for goes where the status says."""
    key = {"completed": "completed_on", "in progress": "started_on"}.get(status, "planned_on")
    return {key: when}


def _coordinate(text: str, name: str, problems: list[str]) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        problems.append(f"The {name} '{text}' is not a number.")
        return None


def _show_problems(problems: list[str]) -> None:
    st.error("Not saved:\n" + "\n".join(f"- {md(p)}" for p in problems), icon=":material/error:")


src = state.source()
vocab = load_vocabulary()
try:
    engine = actions.engine()
    dataset = actions.dataset()
    who = actions.actor()
except DatabaseError as exc:
    st.title("Actions")
    st.error(f"The actions database cannot be opened. {md(exc)}", icon=":material/error:")
    st.stop()

ward_table = actions.wards()
ward_label = dict(zip(ward_table["ward_code"], ward_table["label"]))
ward_name = dict(zip(ward_table["ward_code"], ward_table["ward_name"]))

st.title("Actions")
st.caption(
    "The visible actions partners take against rural crime and rural concerns: what, where, when, by whom. "
    "Anyone can look; partners sign in to add and correct their own."
)
if src.demo:
    st.warning(
        f"**{state.DEMO_LABEL}.** The actions here are made up too, and kept apart from real ones: "
        "try the forms freely.",
        icon=":material/science:",
    )

# --------------------------------------------------------------------------- signing in
with st.container(border=True):
    if who.anonymous:
        st.markdown("Viewing needs no sign-in. **Partners sign in to add or edit actions.**")
    if actions.oidc_configured():
        if who.anonymous:
            if problem := st.session_state.get(actions.SIGN_IN_PROBLEM_KEY):
                st.error(md(problem), icon=":material/lock:")
                st.button("Sign out", key="actions_logout_unverified", on_click=st.logout, icon=":material/logout:")
            st.button(
                "Sign in with your organisation account",
                key="actions_login",
                on_click=st.login,
                icon=":material/login:",
            )
        else:
            left, right = st.columns([4, 1], vertical_alignment="center")
            left.markdown(f"Signed in as **{md(who.name or who.email)}** ({md(_role_text(who))})")
            right.button("Sign out", key="actions_logout", on_click=st.logout, icon=":material/logout:")
    elif who.anonymous:
        # Links, not widgets: signing in happens on the account pages, which set the HttpOnly
        # session cookie (dashboard/accounts_web.py), then come back here.
        st.html(actions.sign_in_links("action-tracker"))
    else:
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(f"Signed in as **{md(who.name or who.email)}** ({md(_role_text(who))})")
        if right.button("Sign out", key="actions_sign_out", icon=":material/logout:"):
            actions.sign_out()
            st.rerun()
    if who.anonymous and actions.needs_first_admin():
        st.info(actions.FIRST_ADMIN_HELP, icon=":material/person_add:")


# --------------------------------------------------------------------------- adding
_ADD_TEXT = ("title", "description", "place", "lat", "lon", "outcome", "evidence", "reference")


def _add() -> None:
    """Form callback: add the action, then empty the text fields (the wards, issue and type stay
    for the next one). Problems are kept to show under the form, with what was typed."""
    ss = st.session_state
    v = {k.removeprefix("actions_add_"): ss.get(k) for k in list(ss.keys()) if str(k).startswith("actions_add_")}
    problems: list[str] = []
    lat, lon = (
        _coordinate(v.get("lat") or "", "latitude", problems),
        _coordinate(v.get("lon") or "", "longitude", problems),
    )
    status = v.get("status") or "completed"
    inp = ActionInput(
        title=v.get("title") or "",
        wards=tuple(v.get("wards") or ()),
        lead_partner=v.get("lead") or "",
        issue=v.get("issue") or "",
        action_type=v.get("type") or "",
        status=status,
        visible=bool(v.get("visible")),
        description=v.get("description") or "",
        supporting_partners=tuple(v.get("supporters") or ()),
        place_name=v.get("place") or "",
        latitude=lat,
        longitude=lon,
        outcome=v.get("outcome") or "",
        evidence=v.get("evidence") or "",
        reference=v.get("reference") or "",
        **_date_fields(status, v.get("date")),
    )
    try:
        if problems:
            raise ValidationError(problems)
        added = add_action(engine, who, inp, ward_name, dataset=dataset, vocab=vocab)
    except ValidationError as exc:
        ss["actions_add_problems"] = exc.errors
    except PermissionDenied as exc:
        ss["actions_add_problems"] = [str(exc)]
    else:
        for k in _ADD_TEXT:
            ss[f"actions_add_{k}"] = ""
        ss["actions_flash"] = f"Added action {added.id}: {added.title}"


if can(who, Permission.ADD):
    if ward_table.empty:
        st.info(
            "Load ward boundaries on the Data page first: every action says which ward it was in.",
            icon=":material/info:",
        )
    else:
        partner_options = list(vocab.partners) if who.partner is None else [who.partner]
        with st.expander("Add an action", expanded=True, icon=":material/add_circle:"):
            with st.form("actions_add", clear_on_submit=False, border=False):
                st.text_input(
                    "What was done",
                    key="actions_add_title",
                    max_chars=200,
                    placeholder="e.g. Night patrols of farm tracks after quad bike thefts",
                )
                c = st.columns([3, 2])
                c[0].multiselect(
                    "Ward(s)",
                    list(ward_label),
                    format_func=ward_label.get,
                    key="actions_add_wards",
                    placeholder="Type a ward name",
                )
                c[1].selectbox("Issue tackled", vocab.issues, key="actions_add_issue")
                c = st.columns(4)
                c[0].selectbox("Type of action", vocab.action_types, key="actions_add_type")
                c[1].selectbox(
                    "Lead partner", partner_options, key="actions_add_lead", disabled=len(partner_options) == 1
                )
                c[2].selectbox("Status", STATUSES, index=STATUSES.index("completed"), key="actions_add_status")
                c[3].date_input(
                    "Date",
                    value="today",
                    key="actions_add_date",
                    format="DD/MM/YYYY",
                    help="When it was completed, or started (in progress), or is planned for.",
                )
                st.checkbox("Visible: it carried the Rural Action logo or was publicised", key="actions_add_visible")
                st.text_area("Description (optional)", key="actions_add_description", max_chars=5000, height=90)
                with st.expander("More details (optional)"):
                    c = st.columns(2)
                    c[0].multiselect("Supporting partners", list(vocab.partners), key="actions_add_supporters")
                    c[1].text_input(
                        "Nearest place",
                        key="actions_add_place",
                        max_chars=200,
                        placeholder="e.g. Manor Farm, the village hall",
                    )
                    c = st.columns(2)
                    c[0].text_input("Latitude", key="actions_add_lat", placeholder="52.2851")
                    c[1].text_input("Longitude", key="actions_add_lon", placeholder="-0.8843")
                    st.text_area("Outcome", key="actions_add_outcome", max_chars=5000, height=70)
                    c = st.columns(2)
                    c[0].text_input(
                        "Evidence link or partner reference",
                        key="actions_add_evidence",
                        max_chars=500,
                        placeholder="https://… or ECINS case number",
                    )
                    c[1].text_input("Your reference (optional, unique)", key="actions_add_reference", max_chars=100)
                st.form_submit_button(
                    "Add action", type="primary", icon=":material/add:", on_click=errors.guarded(_add)
                )
            if problems := st.session_state.pop("actions_add_problems", None):
                _show_problems(problems)

if flash := st.session_state.pop("actions_flash", None):
    st.success(md(flash), icon=":material/check_circle:")

# --------------------------------------------------------------------------- the list
st.subheader("Actions recorded")
show_deleted = False
if can(who, Permission.VIEW_DELETED):
    show_deleted = st.toggle("Show deleted actions (admins)", key="actions_show_deleted")
all_actions = actions.actions(include_deleted=show_deleted)

with st.container(border=True):
    c = st.columns(4)
    f_wards = c[0].multiselect(
        "Ward", list(ward_label), format_func=ward_label.get, key="actions_f_wards", placeholder="All wards"
    )
    partners_seen = sorted(set(vocab.partners) | set(all_actions["lead_partner"]))
    f_partners = c[1].multiselect("Partner", partners_seen, key="actions_f_partners", placeholder="All partners")
    f_status = c[2].multiselect("Status", STATUSES, key="actions_f_status", placeholder="Any status")
    issues_seen = list(vocab.issues) + sorted(set(all_actions["issue"]) - set(vocab.issues))
    f_issues = c[3].multiselect("Issue", issues_seen, key="actions_f_issues", placeholder="Any issue")
    c = st.columns([2, 2, 3])
    f_from = c[0].date_input("From", value=None, key="actions_f_from", format="DD/MM/YYYY")
    f_to = c[1].date_input("To", value=None, key="actions_f_to", format="DD/MM/YYYY")
    f_visible = c[2].toggle("Visible (Rural Action) only", key="actions_f_visible")

shown = filter_actions(
    all_actions,
    wards=f_wards,
    partners=f_partners,
    statuses=f_status,
    issues=f_issues,
    date_from=f_from,
    date_to=f_to,
    visible_only=f_visible,
)
c = st.columns(4)
c[0].metric("Actions", f"{len(shown):,}", border=True)
c[1].metric("Visible (Rural Action)", f"{int(shown['visible'].sum()):,}", border=True)
c[2].metric("Completed", f"{int((shown['status'] == 'completed').sum()):,}", border=True)
c[3].metric("Wards reached", f"{len({w for codes in shown['ward_codes'] for w in codes}):,}", border=True)

if shown.empty:
    st.info(
        "No actions match these filters." if len(all_actions) else "No actions are recorded yet.",
        icon=":material/info:",
    )
else:
    table = shown[SHOWN_COLUMNS + (["deleted_at"] if show_deleted else [])]
    st.dataframe(
        table,
        hide_index=True,
        key="actions_table",
        column_config={
            "id": st.column_config.NumberColumn("#", width="small"),
            "action_date": st.column_config.DateColumn("Date", format="DD MMM YYYY"),
            "title": "Action",
            "wards": "Ward(s)",
            "lead_partner": "Lead partner",
            "issue": "Issue",
            "status": "Status",
            "visible": st.column_config.CheckboxColumn(
                "Visible", help="Carried the Rural Action logo or was publicised"
            ),
            "deleted_at": st.column_config.DatetimeColumn("Deleted", format="DD MMM YYYY HH:mm"),
        },
    )
    st.download_button(
        "Download these actions (CSV)",
        data=lambda: csv_bytes(export_table(shown[shown["deleted_at"].isna()], who)),
        file_name="actions.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="actions_download",
    )

# --------------------------------------------------------------------------- one action
st.subheader("Open an action")
labels = {int(r.id): f"#{r.id} · {r.title} · {r.wards}" for r in shown.itertuples(index=False)}
chosen = st.selectbox(
    "Action",
    list(labels),
    format_func=labels.get,
    index=None,
    key="actions_open",
    placeholder="Choose an action to see its details, history and before/after",
    label_visibility="collapsed",
)
record = get_action(engine, chosen) if chosen is not None else None
if chosen is not None and record is None:
    st.error("That action no longer exists.", icon=":material/error:")

if record is not None:
    loaded_key = f"actions_loaded_{record.id}"
    if st.session_state.get("actions_opened") != record.id or loaded_key not in st.session_state:
        st.session_state["actions_opened"] = record.id
        st.session_state[loaded_key] = record
    loaded = st.session_state[loaded_key]  # the version this person opened: saves are checked against it
    st.markdown(f"#### {md(loaded.title)}")
    if record.deleted_at:
        st.warning(f"Deleted by {md(record.deleted_by)} on {record.deleted_at:%d %b %Y}.", icon=":material/delete:")
    badge = ":green-badge[:material/verified: Rural Action]" if loaded.visible else ""
    st.markdown(
        f"{badge} **{md(loaded.action_type)}** on **{md(loaded.issue)}** · {md(loaded.status)}"
        + (f" · {loaded.action_date:%d %b %Y}" if loaded.action_date else "")
        + f"  \nLed by **{md(loaded.lead_partner)}**"
        + (f", with {md(', '.join(loaded.supporting_partners))}" if loaded.supporting_partners else "")
        + f" · in {md('; '.join(loaded.ward_names))}"
        + (f" · near {md(loaded.place_name)}" if loaded.place_name else "")
    )
    if loaded.description:
        st.markdown(md(loaded.description))
    if loaded.outcome:
        st.markdown(f"**Outcome:** {md(loaded.outcome)}")
    if loaded.evidence:
        st.caption(f"Evidence: {md(loaded.evidence)}")
    if record.version != loaded.version:
        st.warning(
            (f"Changed by {md(record.updated_by)}" if can(who, Permission.VIEW_HISTORY) else "Changed")
            + f" at {record.updated_at:%d %b %Y %H:%M} UTC since you opened it.",
            icon=":material/sync_problem:",
        )
        if st.button("Reload the latest version", key=f"actions_reload_{record.id}", icon=":material/refresh:"):
            st.session_state[loaded_key] = record
            st.rerun()

    # before / after
    category = vocab.category_of(loaded.issue)
    with st.container(border=True):
        c = st.columns([3, 1])
        c[0].markdown("**Incidents before and after**")
        n = c[1].selectbox("Months each side", BEFORE_AFTER_MONTHS, index=1, key="actions_ba_months")
        ba = before_after(state.view(), loaded.wards, category, loaded.completed_on, n, loaded.issue)
        if ba.status in ("measured", "too few", "incomplete") or (ba.status == "too early" and ba.months_before_loaded):
            m = st.columns(3)
            m[0].metric(f"{n} months before", f"{ba.before:,}")
            m[1].metric(f"{n} months after", "—" if ba.after is None else f"{ba.after:,}")
            m[2].metric(
                "Change",
                "—" if ba.change is None else f"{ba.change:+.0%}",
                help="Given only when both windows are fully loaded and hold at least 5 incidents.",
            )
        st.markdown(md(ba.sentence))
        if ba.status in ("measured", "too few", "incomplete"):
            st.caption(md(CAVEAT))
        evidence_views.action_impact(loaded.id, n)

    # history
    if can(who, Permission.VIEW_HISTORY):
        with st.expander("History", icon=":material/history:"):
            h = history(engine, who, record.id)
            st.dataframe(
                h[["at", "who", "what", "changes", "note"]],
                hide_index=True,
                key=f"actions_history_{record.id}",
                column_config={
                    "at": st.column_config.DatetimeColumn("When (UTC)", format="DD MMM YYYY HH:mm"),
                    "who": "Who",
                    "what": "What",
                    "changes": st.column_config.TextColumn("Changes", width="large"),
                    "note": "Note",
                },
            )

    # edit
    if record.deleted_at is None and can(who, Permission.EDIT, loaded.lead_partner):
        k = f"actions_edit_{loaded.id}_{loaded.version}_"
        partner_options = list(vocab.partners) if who.partner is None else [who.partner]
        if loaded.lead_partner not in partner_options:
            partner_options.insert(0, loaded.lead_partner)
        ward_options = list(ward_label) + [w for w in loaded.wards if w not in ward_label]
        issue_options = list(vocab.issues) + ([loaded.issue] if loaded.issue not in vocab.issues else [])
        type_options = list(vocab.action_types) + (
            [loaded.action_type] if loaded.action_type not in vocab.action_types else []
        )
        with st.expander("Edit", icon=":material/edit:"):
            with st.form(f"actions_edit_{loaded.id}", border=False):
                e_title = st.text_input("What was done", loaded.title, key=k + "title", max_chars=200)
                c = st.columns([3, 2])
                e_wards = c[0].multiselect(
                    "Ward(s)",
                    ward_options,
                    default=list(loaded.wards),
                    format_func=lambda w: ward_label.get(w, w),
                    key=k + "wards",
                )
                e_issue = c[1].selectbox(
                    "Issue tackled", issue_options, index=issue_options.index(loaded.issue), key=k + "issue"
                )
                c = st.columns(3)
                e_type = c[0].selectbox(
                    "Type of action", type_options, index=type_options.index(loaded.action_type), key=k + "type"
                )
                e_lead = c[1].selectbox(
                    "Lead partner",
                    partner_options,
                    index=partner_options.index(loaded.lead_partner),
                    key=k + "lead",
                    disabled=len(partner_options) == 1,
                )
                e_status = c[2].selectbox("Status", STATUSES, index=STATUSES.index(loaded.status), key=k + "status")
                c = st.columns(3)
                e_planned = c[0].date_input("Planned for", loaded.planned_on, key=k + "planned", format="DD/MM/YYYY")
                e_started = c[1].date_input("Started", loaded.started_on, key=k + "started", format="DD/MM/YYYY")
                e_completed = c[2].date_input(
                    "Completed", loaded.completed_on, key=k + "completed", format="DD/MM/YYYY"
                )
                e_visible = st.checkbox(
                    "Visible: it carried the Rural Action logo or was publicised", loaded.visible, key=k + "visible"
                )
                e_description = st.text_area(
                    "Description", loaded.description, key=k + "description", max_chars=5000, height=90
                )
                c = st.columns(2)
                supporter_options = list(vocab.partners) + [
                    p for p in loaded.supporting_partners if p not in vocab.partners
                ]
                e_supporters = c[0].multiselect(
                    "Supporting partners",
                    supporter_options,
                    default=list(loaded.supporting_partners),
                    key=k + "supporters",
                )
                e_place = c[1].text_input("Nearest place", loaded.place_name, key=k + "place", max_chars=200)
                c = st.columns(2)
                e_lat = c[0].text_input(
                    "Latitude", "" if loaded.latitude is None else f"{loaded.latitude:.6f}", key=k + "lat"
                )
                e_lon = c[1].text_input(
                    "Longitude", "" if loaded.longitude is None else f"{loaded.longitude:.6f}", key=k + "lon"
                )
                e_outcome = st.text_area("Outcome", loaded.outcome, key=k + "outcome", max_chars=5000, height=70)
                c = st.columns(2)
                e_evidence = c[0].text_input(
                    "Evidence link or partner reference", loaded.evidence, key=k + "evidence", max_chars=500
                )
                e_reference = c[1].text_input("Your reference", loaded.reference, key=k + "reference", max_chars=100)
                saving = st.form_submit_button("Save changes", type="primary", icon=":material/save:")
            if saving:
                problems = []
                lat, lon = _coordinate(e_lat, "latitude", problems), _coordinate(e_lon, "longitude", problems)
                if lat is not None and loaded.latitude is not None and f"{loaded.latitude:.6f}" == e_lat.strip():
                    lat = loaded.latitude  # unchanged: keep full precision
                if lon is not None and loaded.longitude is not None and f"{loaded.longitude:.6f}" == e_lon.strip():
                    lon = loaded.longitude
                inp = ActionInput(
                    title=e_title,
                    wards=tuple(e_wards),
                    lead_partner=e_lead,
                    issue=e_issue,
                    action_type=e_type,
                    status=e_status,
                    planned_on=e_planned,
                    started_on=e_started,
                    completed_on=e_completed,
                    visible=e_visible,
                    description=e_description,
                    supporting_partners=tuple(e_supporters),
                    place_name=e_place,
                    latitude=lat,
                    longitude=lon,
                    outcome=e_outcome,
                    evidence=e_evidence,
                    reference=e_reference,
                )
                try:
                    if problems:
                        raise ValidationError(problems)
                    saved = update_action(engine, who, loaded.id, inp, loaded.version, ward_name, vocab=vocab)
                except ConflictError as exc:
                    st.error(md(exc), icon=":material/sync_problem:")
                except ValidationError as exc:
                    _show_problems(exc.errors)
                except (PermissionDenied, ActionNotFound) as exc:
                    st.error(md(exc), icon=":material/block:")
                else:
                    st.session_state[loaded_key] = saved
                    st.session_state["actions_flash"] = f"Saved action {saved.id}."
                    st.rerun()
        if can(who, Permission.DELETE, loaded.lead_partner):
            confirm = st.popover(
                "Delete this action",
                icon=":material/delete:",
                help="Hidden from lists, maps and measures; an admin can restore it.",
            )
            confirm.markdown(
                "Delete this action? It disappears from lists, maps and measures; an admin can restore it."
            )
            if confirm.button("Yes, delete it", key=f"actions_delete_{loaded.id}", type="primary"):
                try:
                    gone = delete_action(engine, who, loaded.id, loaded.version)
                except (ConflictError, PermissionDenied, ActionNotFound) as exc:
                    st.error(md(exc), icon=":material/error:")
                else:
                    st.session_state[loaded_key] = gone
                    st.session_state["actions_flash"] = f"Deleted action {gone.id}; an admin can restore it."
                    st.rerun()
    elif record.deleted_at is not None and can(who, Permission.RESTORE):
        if st.button("Restore this action", key=f"actions_restore_{record.id}", icon=":material/restore_from_trash:"):
            try:
                back = restore_action(engine, who, record.id, record.version)
            except (ConflictError, PermissionDenied, ActionNotFound) as exc:
                st.error(md(exc), icon=":material/error:")
            else:
                st.session_state[loaded_key] = back
                st.session_state["actions_flash"] = f"Restored action {back.id}."
                st.rerun()
    elif not who.anonymous and record.deleted_at is None:
        st.caption(f"Only {md(loaded.lead_partner)} editors and admins can edit this action.")
