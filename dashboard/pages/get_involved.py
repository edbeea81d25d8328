"""Get involved: residents and parish councils raise a concern; everyone sees, ward by ward, what
people raised and what was done about it ("you said, we did"); admins review the queue."""

from __future__ import annotations

import os

import pydeck as pdk
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from dashboard import actions, filters, places, state, visitor
from dashboard.errors import report as report_fault  # (this page uses `errors` for its form's own)
from ruralaction.actions import DatabaseError, Permission, PermissionDenied, can
from ruralaction.concerns import (
    BurstGuard,
    ConcernError,
    SessionLimiter,
    TooManyConcerns,
    category_label,
    concern_categories,
    get_concern,
    is_bot,
    limit_keys,
    link_to_action,
    list_concerns,
    mark_reviewed,
    match_ward,
    matching_issues,
    new_submission_key,
    period_words,
    retention,
    said_and_done,
    submit_concern,
    unlink_action,
    validate_concern,
    wait_words,
    ward_concern_counts,
    you_said_we_did,
)
from ruralaction.concerns.form import (
    MAX_DESCRIPTION,
    MAX_EMAIL,
    MAX_NAME,
    MAX_PHONE,
    MAX_PLACE,
)
from ruralaction.concerns.guidance import retention_notice, safe_reporting
from ruralaction.concerns.limits import BURST_MAX, HONEYPOT, utcnow
from ruralaction.concerns.places import location_grid, picked_spot, ward_table
from ruralaction.concerns.public import concerns_by_ward
from ruralaction.exports import csv_bytes
from ruralaction.measures import maplayers

md = state.md
K = "get_involved_"  # every session-state key of this page starts with it
FIELDS = ("name", "email", "phone", "ward_code", "place", "category", "description", "consent", HONEYPOT)
BURST_ENV = "RURALACTION_CONCERN_BURST"  # concerns a minute one app process accepts (default 30)
STATUS_WORDS = {"new": "New", "reviewed": "Reviewed", "actioned": "Action linked", "dismissed": "Dismissed"}


@st.cache_resource
def _burst_guard(url: str, limit: int) -> BurstGuard:
    """One guard per database and app process, shared by every session (see ruralaction.concerns.limits)."""
    return BurstGuard(max_per_window=limit)


src = state.source()
data = state.meta()  # geography and definition only: this page needs no incident
try:
    engine = actions.engine()
    dataset = actions.dataset()
    who = actions.actor()
except DatabaseError as exc:
    st.title("Get involved")
    st.error(f"The concerns database cannot be opened. {md(exc)}", icon=":material/error:")
    st.stop()

geo_wards = data.geography.wards
wards = ward_table(geo_wards) if geo_wards is not None and len(geo_wards) else ward_table({})
ward_label = dict(zip(wards["ward_code"], wards["label"]))
categories = concern_categories(data.definition)
try:
    keep_for = period_words(retention())
except ValueError as exc:  # a mistyped RURALACTION_CONCERN_RETENTION
    st.error(f"The retention setting is wrong: {md(exc)}", icon=":material/error:")
    st.stop()
admin = can(who, Permission.REVIEW_CONCERNS)

st.title("Get involved")
st.caption(
    "Tell the Rural Action partners about crime or a worry where you live. Every concern is read by the "
    "programme's team; below you can see what people raised in each ward and what was done about it."
)
if src.demo:
    st.warning(
        f"**{state.DEMO_LABEL}.** The concerns and actions here are made up; a concern you send now is "
        "kept with the demo data, apart from real ones.",
        icon=":material/science:",
    )
if not wards.empty:
    found = places.search_box(K + "find", "Find your area")
    if found is not None and found.ward_code in ward_label:
        if st.session_state.get(K + "find_went") != found:
            st.session_state[K + "find_went"] = found  # fill the form's ward once per search
            st.session_state[K + "ward_code"] = found.ward_code
        st.page_link(
            "dashboard/pages/local_area.py",
            label=f"See rural crime and what was done in {found.name}",
            query_params=places.local_area_query(found, {}),
            icon=":material/arrow_forward:",
        )


# --------------------------------------------------------------------------- the form's callbacks


def _form() -> dict:
    ss = st.session_state
    form = {f: ss.get(K + f) for f in FIELDS}
    form["ward_code"] = form["ward_code"] or ""
    form["latitude"], form["longitude"] = ss.get(K + "lat"), ss.get(K + "lon")
    return form


def _submit() -> None:
    """Validate; then check the limits, store in one transaction, confirm. Nothing is saved
    unless the form is valid, and the answers stay on screen until the concern is stored."""
    ss = st.session_state
    ss.pop(K + "problem", None)
    form = _form()
    if is_bot(form):  # the hidden field people never see was filled in: a script
        ss[K + "problem"] = "This concern could not be accepted."
        return
    clean, errors = validate_concern(form, wards, postcodes=places.current().postcode_wards, categories=categories)
    ss[K + "errors"] = errors
    if errors:
        return
    limiter: SessionLimiter = ss.setdefault(K + "limiter", SessionLimiter())
    now = utcnow()
    if (wait := limiter.retry_after(now)) is not None:
        ss[K + "problem"] = (
            f"You have sent several concerns just now. Please wait {wait_words(wait)} before sending "
            "another; your answers are kept below."
        )
        return
    guard = _burst_guard(actions.db_url(), int(os.environ.get(BURST_ENV) or BURST_MAX))
    if (wait := guard.try_acquire(now)) is not None:
        ss[K + "problem"] = (
            f"Many concerns are arriving at once. Please try again in {wait_words(wait)}; your answers are kept below."
        )
        return
    key = ss.setdefault(K + "submission_key", new_submission_key())
    try:
        done = submit_concern(
            engine,
            clean,
            dataset=dataset,
            submission_key=key,
            now=now,
            limits=limit_keys(visitor.client_address(), visitor.browser_key()),
        )
    except TooManyConcerns as exc:  # held in the database: every instance agrees
        guard.release(now)
        ss[K + "problem"] = (
            f"Several concerns have come from this {exc.kind} recently. Please wait {wait_words(exc.retry_after)} "
            "before sending another; your answers are kept below."
        )
        return
    except (SQLAlchemyError, ConcernError, OSError) as exc:
        guard.release(now)
        fault = report_fault(exc, "get involved", part="send a concern")  # "the server's disk is full…"
        ss[K + "problem"] = (
            f"Your concern could not be saved, so it was not sent: {fault.sentence} Your answers are kept "
            "below: please try again later."
        )
        return
    limiter.record(now)
    ss[K + "sent"] = (done.reference, clean.ward_name, category_label(clean.category), bool(clean.email))
    # Empty the form for the next concern: widgets are given values (a popped key would let the
    # browser send back what it still shows).
    for f in FIELDS:
        ss[K + f] = {"category": None, "consent": False}.get(f, "")
    for f in ("errors", "submission_key"):
        ss.pop(K + f, None)
    _clear_location()


def _clear_location() -> None:
    """Forget the marked spot; the map gets a new key, so its selection starts empty too."""
    for f in ("lat", "lon", "spot_ward"):
        st.session_state.pop(K + f, None)
    st.session_state[K + "map_gen"] = st.session_state.get(K + "map_gen", 0) + 1


def _field_error(field: str) -> None:
    """The message for ``field`` (if the last attempt had one), right under it."""
    message = st.session_state.get(K + "errors", {}).get(field)
    if message:
        st.markdown(f":red[:material/error: {md(message)}]")


def _location_map(ward_code: str) -> None:
    """An optional point: click a dot inside the ward (kept to ~100 m, never one house)."""
    row = geo_wards[geo_wards["ward_code"].astype(str) == ward_code]
    if row.empty:
        return
    geom = row.geometry.iloc[0]
    spots = location_grid(geom)
    lat, lon = st.session_state.get(K + "lat"), st.session_state.get(K + "lon")
    layers = [
        pdk.Layer(
            "GeoJsonLayer",
            data={"type": "Feature", "geometry": geom.simplify(0.0002).__geo_interface__, "properties": {}},
            id="ward",
            stroked=True,
            filled=True,
            get_fill_color=[27, 94, 32, 25],
            get_line_color=[27, 94, 32, 220],
            line_width_min_pixels=2,
        ),
        pdk.Layer(
            "ScatterplotLayer",
            data=[{"p": [x, y], "t": "Mark this spot"} for x, y in zip(spots["lon"].tolist(), spots["lat"].tolist())],
            id="spots",
            get_position="p",
            get_radius=5,
            radius_units="'pixels'",
            get_fill_color=[0, 114, 178, 140],
            pickable=True,
            auto_highlight=True,
        ),
    ]
    if lat is not None and lon is not None:
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                data=[{"p": [lon, lat], "t": "The spot you marked"}],
                id="chosen",
                get_position="p",
                get_radius=11,
                radius_units="'pixels'",
                get_fill_color=[213, 94, 0, 255],
                get_line_color=[255, 255, 255, 255],
                stroked=True,
                line_width_min_pixels=2,
                pickable=False,
            )
        )
    basemap, labels = places.map_layers()
    deck = maplayers.deck([*layers, labels], maplayers.view_for(geom.bounds, width_px=700, height_px=380), basemap)
    map_key = f"{K}map_{ward_code}_{st.session_state.get(K + 'map_gen', 0)}"
    event = st.pydeck_chart(
        deck,
        key=map_key,
        on_select="rerun",
        selection_mode="single-object",
        height=380,
        alt=f"Map of {ward_label.get(ward_code, ward_code)}: click a dot to mark roughly where.",
    )
    spot = picked_spot(event)
    if spot is not None and spot != (lon, lat):
        st.session_state[K + "lon"], st.session_state[K + "lat"] = spot
        st.session_state[K + "spot_ward"] = ward_code
        st.rerun()
    if lat is not None:
        c = st.columns([3, 1], vertical_alignment="center")
        c[0].caption(f"Marked: {lat:.3f}, {lon:.3f} (to about 100 m).")
        c[1].button("Clear the spot", key=K + "clear_spot", on_click=_clear_location, icon=":material/close:")
    else:
        st.caption("Click a dot to mark roughly where (to about 100 m). Leave it if you prefer not to say.")


# --------------------------------------------------------------------------- tabs
tab_names = ["Raise a concern", "You said, we did"] + (["Review concerns"] if admin else [])
tabs = st.tabs(tab_names)

with tabs[0]:
    notice = safe_reporting(data.definition)
    with st.container(border=True, key=K + "safe_reporting"):
        link = f"  \n:material/open_in_new: [Report a crime online]({notice.online_url})" if notice.online_url else ""
        st.markdown(f":material/emergency: **{md(notice.emergency)}**  \n{md(notice.report_crime)}{link}")
        st.caption(md(notice.purpose))
    if sent := st.session_state.get(K + "sent"):
        reference, ward_name, category, by_email = sent
        st.success(
            f"**Thank you: your concern is recorded.** Your reference is **{md(reference)}** "
            f"({md(category)}, {md(ward_name)}). Quote it if you contact us about this concern. "
            f"{'We will reply by email' if by_email else 'We will ring you'} if we need to know more.",
            icon=":material/check_circle:",
        )
    if wards.empty:
        st.info(
            "Ward boundaries are needed before concerns can be raised. Add them on the Data page.",
            icon=":material/info:",
        )
    else:
        if problem := st.session_state.get(K + "problem"):
            st.error(md(problem), icon=":material/schedule:")
        if errors := st.session_state.get(K + "errors"):
            n = len(errors)
            st.error(
                f"**Not sent yet:** {n} thing{'s' if n != 1 else ''} to fix, marked below.", icon=":material/error:"
            )
        st.markdown("Fields marked * are required.")
        st.text_input("Your name *", key=K + "name", max_chars=MAX_NAME, autocomplete="name")
        _field_error("name")
        st.markdown("**How can we reply? \\*** Give an email address or a phone number, or both.")
        c = st.columns(2)
        with c[0]:
            st.text_input(
                "Email", key=K + "email", max_chars=MAX_EMAIL, autocomplete="email", placeholder="name@example.org"
            )
            _field_error("email")
        with c[1]:
            st.text_input("Phone", key=K + "phone", max_chars=MAX_PHONE, autocomplete="tel", placeholder="01604 123456")
            _field_error("phone")
        _field_error("contact")

        if K + "ward_code" not in st.session_state and filters.current().ward in ward_label:
            st.session_state[K + "ward_code"] = filters.current().ward  # arrived from a ward's link
        c = st.columns(2)
        with c[0]:
            st.selectbox(
                "Parish or ward *",
                ["", *ward_label],
                key=K + "ward_code",
                format_func=lambda w: ward_label.get(w, "Choose from the list…"),
            )
        with c[1]:
            st.text_input(
                "…or type your village, town or postcode",
                key=K + "place",
                max_chars=MAX_PLACE,
                placeholder="e.g. West Haddon",
                disabled=bool(st.session_state.get(K + "ward_code")),
            )
        place, picked_ward = st.session_state.get(K + "place") or "", st.session_state.get(K + "ward_code") or ""
        if place.strip() and not picked_ward:
            m = match_ward(place, wards, places.current().postcode_wards)
            st.caption(f":material/{'check_circle' if m.ward_code else 'help'}: {md(m.message)}")
        _field_error("ward")
        _field_error("place")

        st.selectbox(
            "What is it about? *",
            categories,
            index=None,
            key=K + "category",
            format_func=category_label,
            placeholder="Choose a category…",
        )
        _field_error("category")
        st.text_area(
            "What is happening? *",
            key=K + "description",
            max_chars=MAX_DESCRIPTION,
            height=130,
            placeholder="What, where and when: e.g. 'Rubbish dumped in the gateway on Back Lane most weekends.'",
            help="Please do not name other people. This text is seen only by the programme's team.",
        )
        _field_error("description")

        where = picked_ward or (m.ward_code if place.strip() and not picked_ward and m.ward_code else "")
        if st.session_state.get(K + "lat") is not None and st.session_state.get(K + "spot_ward") != where:
            _clear_location()  # the spot was marked in another ward
        with st.expander(
            "Where exactly? (optional)",
            icon=":material/location_on:",
            expanded=st.session_state.get(K + "lat") is not None,
        ):
            if where:
                _location_map(where)
            else:
                st.caption("Choose your parish or ward first; then you can mark a spot on its map.")
            _field_error("location")

        st.checkbox(
            f"I agree that the Rural Action partners may contact me about this concern. *  \n"
            f"Only the programme's admins see my name and contact details. {retention_notice(keep_for)}",
            key=K + "consent",
        )
        _field_error("consent")
        # The honeypot: hidden from people and screen readers (display:none), filled by scripts.
        st.html(f"<style>.st-key-{K}{HONEYPOT}{{display:none !important}}</style>")
        st.text_input("Leave this box empty", key=K + HONEYPOT, autocomplete="off")
        st.button("Send concern", type="primary", key=K + "send", on_click=_submit, icon=":material/send:")


with tabs[1]:
    counts = ward_concern_counts(engine, dataset)
    by_ward = concerns_by_ward(counts)
    if K + "said_ward" not in st.session_state or st.session_state.get(K + "said_last") != filters.current().ward:
        st.session_state[K + "said_ward"] = filters.current().ward if filters.current().ward in ward_label else ""
        st.session_state[K + "said_last"] = filters.current().ward
    st.selectbox(
        "Ward",
        ["", *ward_label],
        key=K + "said_ward",
        format_func=lambda w: ward_label.get(w, "All wards"),
        on_change=lambda: filters.choose_ward(st.session_state[K + "said_ward"] or None),
        help="A ward's view has its own address: bookmark it or share the link.",
    )
    chosen = st.session_state.get(K + "said_ward") or ""
    if not chosen:
        c = st.columns(3)
        c[0].metric("Concerns raised", f"{int(by_ward['concerns'].sum()):,}", border=True)
        c[1].metric("Answered by an action", f"{int(by_ward['actioned'].sum()):,}", border=True)
        c[2].metric("Wards", f"{len(by_ward):,}", border=True)
        if by_ward.empty:
            st.info(
                "No concerns have been raised yet. Be the first: use the form in the first tab.", icon=":material/info:"
            )
        else:
            st.markdown("**Concerns raised, by ward.** Choose a ward above to see what was done about them.")
            st.dataframe(
                by_ward,
                hide_index=True,
                key=K + "by_ward",
                column_order=["ward_name", "concerns", "actioned", "categories", "last_raised"],
                column_config={
                    "ward_name": "Ward",
                    "concerns": st.column_config.NumberColumn("Concerns"),
                    "actioned": st.column_config.NumberColumn("Answered by an action"),
                    "categories": st.column_config.TextColumn("About", width="large"),
                    "last_raised": st.column_config.DateColumn("Latest", format="MMM YYYY"),
                },
            )
    else:
        said = you_said_we_did(engine, chosen, dataset)
        st.subheader(f"You said, we did: {md(ward_label.get(chosen, chosen))}")
        mine = counts[counts["ward_code"] == chosen]
        c = st.columns(3)
        c[0].metric("Concerns raised", f"{int(mine['concerns'].sum()):,}", border=True)
        c[1].metric("Answered by an action", f"{int(mine['actioned'].sum()):,}", border=True)
        c[2].metric("Actions taken in answer", f"{said['action_id'].nunique():,}", border=True)
        if said.empty:
            st.info("No concerns have been raised in this ward yet.", icon=":material/info:")
        for item in said_and_done(said):
            with st.container(border=True):
                st.markdown(f":material/campaign: **You said:** {md(item.said)}")
                if item.done:
                    st.markdown(":material/handshake: **We did:**\n" + "\n".join(f"- {md(d)}" for d in item.done))
                else:
                    st.markdown(
                        ":material/hourglass_top: **We did:** nothing linked yet: the partners are looking at it."
                    )
        if not said.empty:
            st.download_button(
                "Download this ward's summary (CSV)",
                data=lambda: csv_bytes(said),
                on_click="ignore",
                file_name=f"you-said-we-did-{chosen.lower()}.csv",
                mime="text/csv",
                icon=":material/download:",
                key=K + "said_download",
            )
    st.caption(
        "Counts and categories only: who raised a concern, and what they wrote, are never shown here. "
        "Dates of concerns are given by month."
    )


if admin:
    with tabs[2]:
        st.caption(
            f"Admins only. {keep_for.capitalize()} after a concern was raised its name and contact details "
            "are erased, its text is replaced by its category and its spot reduced to the ward "
            "(`python -m ruralaction concerns purge`, run daily)."
        )
        show_all = st.toggle("Show reviewed and dismissed concerns too", key=K + "show_all")
        try:
            queue = list_concerns(engine, who, dataset, None if show_all else ("new",))
        except PermissionDenied as exc:
            st.error(md(exc), icon=":material/block:")
            st.stop()
        st.metric(
            "New concerns waiting",
            f"{int((queue['status'] == 'new').sum()):,}"
            if not show_all
            else f"{int((queue['status'] == 'new').sum()):,} of {len(queue):,}",
            border=True,
        )
        if flash := st.session_state.pop(K + "flash", None):
            st.success(md(flash), icon=":material/check_circle:")
        if queue.empty:
            st.info("The queue is empty: every concern has been reviewed.", icon=":material/task_alt:")
        else:
            table = queue.assign(
                status=queue["status"].map(STATUS_WORDS), category=queue["category"].map(category_label)
            )
            st.dataframe(
                table,
                hide_index=True,
                key=K + "queue",
                column_order=[
                    "reference",
                    "raised_at",
                    "ward_name",
                    "category",
                    "status",
                    "name",
                    "email",
                    "phone",
                    "description",
                ],
                column_config={
                    "reference": "Reference",
                    "raised_at": st.column_config.DatetimeColumn("Raised (UTC)", format="DD MMM YYYY HH:mm"),
                    "ward_name": "Ward",
                    "category": "About",
                    "status": "Status",
                    "name": "Name",
                    "email": "Email",
                    "phone": "Phone",
                    "description": st.column_config.TextColumn("Concern", width="large"),
                },
            )
            refs = dict(
                zip(
                    queue["id"].astype(int),
                    queue["reference"] + " · " + queue["ward_name"] + " · " + queue["category"].map(category_label),
                )
            )
            pick = st.selectbox(
                "Open a concern",
                list(refs),
                format_func=refs.get,
                index=None,
                key=K + "open",
                placeholder="Choose a concern to review it or link the action that answers it",
            )
            if pick is not None:
                c = get_concern(engine, who, pick)
                with st.container(border=True):
                    st.markdown(f"#### {md(c.reference)} · {md(category_label(c.category))} in {md(c.ward_name)}")
                    st.caption(
                        f"Raised {c.raised_at:%d %b %Y %H:%M} UTC · {STATUS_WORDS.get(c.status, c.status)}"
                        + (f" · reviewed by {md(c.reviewed_by)}" if c.reviewed_by else "")
                    )
                    st.markdown(md(c.description))
                    if c.personal_erased_at:
                        st.caption(f"Name and contact details erased on {c.personal_erased_at:%d %b %Y}.")
                    else:
                        contact = " · ".join(md(x) for x in (c.email, c.phone) if x)
                        st.markdown(
                            f"**{md(c.name)}** · {contact}" + (f" · typed place: {md(c.place)}" if c.place else "")
                        )
                    if c.latitude is not None:
                        st.caption(f"Marked spot: {c.latitude:.3f}, {c.longitude:.3f}")
                    b = st.container(horizontal=True)
                    if c.status == "new" and b.button(
                        "Mark reviewed", key=K + f"review_{c.id}", icon=":material/done:"
                    ):
                        mark_reviewed(engine, who, c.id)
                        st.session_state[K + "flash"] = f"{c.reference} marked reviewed."
                        st.rerun()
                    if c.status != "dismissed" and b.button(
                        "Dismiss (spam or a duplicate)", key=K + f"dismiss_{c.id}", icon=":material/block:"
                    ):
                        mark_reviewed(engine, who, c.id, dismiss=True)
                        st.session_state[K + "flash"] = f"{c.reference} dismissed: it is left out of public counts."
                        st.rerun()

                    acts = actions.actions()
                    if c.action_ids:
                        st.markdown("**Linked actions**")
                        titles = dict(zip(acts["id"].astype(int), acts["title"]))
                        for aid in c.action_ids:
                            r = st.columns([5, 1], vertical_alignment="center")
                            r[0].markdown(f"- #{aid} {md(titles.get(aid, '(deleted action)'))}")
                            if r[1].button("Unlink", key=K + f"unlink_{c.id}_{aid}"):
                                unlink_action(engine, who, c.id, aid)
                                st.session_state[K + "flash"] = f"Unlinked action {aid} from {c.reference}."
                                st.rerun()
                    if acts.empty:
                        st.caption("No actions are recorded yet to link: add one on the Actions page.")
                    else:
                        fits = acts["issue"].isin(matching_issues(c.category))
                        here = acts["ward_codes"].map(lambda codes: c.ward_code in codes)
                        order = acts.assign(_rank=-(here.astype(int) * 2 + fits.astype(int))).sort_values(
                            ["_rank", "action_date"], ascending=[True, False], na_position="last"
                        )
                        order = order[~order["id"].isin(c.action_ids)]
                        labels = {
                            int(r.id): f"#{r.id} · {r.title} · {r.wards} · {r.status}"
                            + (f" {r.action_date:%d %b %Y}" if r.action_date else "")
                            for r in order.itertuples(index=False)
                        }
                        a = st.columns([5, 1], vertical_alignment="bottom")
                        target = a[0].selectbox(
                            "Action that answers it",
                            list(labels),
                            format_func=labels.get,
                            index=None,
                            key=K + f"link_{c.id}",
                            placeholder="Actions in this ward on this issue first",
                        )
                        if a[1].button("Link", key=K + f"link_go_{c.id}", type="primary", disabled=target is None):
                            try:
                                link_to_action(engine, who, c.id, target)
                            except (ConcernError, PermissionDenied) as exc:
                                st.error(md(exc), icon=":material/error:")
                            else:
                                st.session_state[K + "flash"] = f"Linked action {target} to {c.reference}."
                                st.rerun()
elif not who.anonymous:
    st.caption("Reviewing concerns is for the programme's admins.")
else:
    st.page_link(
        "dashboard/pages/actions.py",
        label="Programme admins: sign in on the Actions page to review concerns",
        icon=":material/login:",
    )
