"""Rural Action: the Streamlit entry point (``streamlit run app.py``).

A router only: page config, the data source in the sidebar, the navigation. Pages live in
``dashboard/pages/``; every number they show comes from the ``ruralaction`` library.

The folder is deliberately not a ``pages/`` beside this file: Streamlit treats such a folder as a
legacy multipage app until ``st.navigation`` first runs in the process, so on a freshly started
server a bookmarked link such as ``/local-area?ward=…`` showed "Page not found".

``streamlit run app.py`` first imports this file as a module to find the server to run
(Streamlit's own plus the account routes that set the HttpOnly sign-in cookie,
``dashboard/accounts_web.py``, and the basemap's style and self-hosted tiles,
``dashboard/basemap_web.py``), then runs it as ``__main__`` for every visitor.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import errors, filters, state
from ruralaction.incidents.store import LABELS

ICON = Path(__file__).parent / "assets" / "icon.png"  # a local file: no request to a font CDN
# URL paths of the pages that use the shared filters (stable: people bookmark them).
FILTERED_PAGES = {"crime-map", "local-area"}


def main() -> None:
    st.set_page_config(
        page_title="Rural Action",
        page_icon=str(ICON),
        layout="wide",
        menu_items={"About": "Rural Action: where rural crime happens, and what partners did about it."},
    )
    pages = [
        st.Page("dashboard/pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("dashboard/pages/map.py", title="Map", icon=":material/map:", url_path="crime-map"),
        st.Page(
            "dashboard/pages/local_area.py", title="Local area", icon=":material/location_on:", url_path="local-area"
        ),
        st.Page("dashboard/pages/region.py", title="Region", icon=":material/public:", url_path="region"),
        st.Page("dashboard/pages/actions.py", title="Actions", icon=":material/handshake:", url_path="action-tracker"),
        st.Page(
            "dashboard/pages/get_involved.py", title="Get involved", icon=":material/campaign:", url_path="get-involved"
        ),
        st.Page("dashboard/pages/progress.py", title="Progress", icon=":material/flag:", url_path="scorecard"),
        st.Page("dashboard/pages/present.py", title="Present", icon=":material/co_present:", url_path="presentation"),
        st.Page("dashboard/pages/digest.py", title="Monthly digest", icon=":material/mail:", url_path="digest"),
        st.Page("dashboard/pages/data.py", title="Data", icon=":material/database:"),
        st.Page(
            "dashboard/pages/accounts.py", title="Accounts", icon=":material/manage_accounts:", url_path="accounts"
        ),
    ]
    pg = st.navigation(pages)
    if st.query_params.get("present") == "1" and pg.url_path == "":  # the app's address + ?present=1&interval=20
        st.switch_page("dashboard/pages/present.py", query_params=st.query_params.to_dict())

    # Every fault on any page becomes one sentence at the top of the page (dashboard/errors.py).
    top = st.container()
    with errors.guard(pg.title, top):
        src = state.source()
        data = state.meta()  # the definition only: no incident is read for the sidebar

        st.logo(str(ICON), size="large")
        with st.sidebar:
            st.header("Rural Action", divider="green")
            st.subheader("Data source")
            if src.demo:
                st.warning(f"**{state.DEMO_LABEL}**", icon=":material/science:")
            st.caption(f"Showing: {state.md(LABELS[src.dataset])}")
            st.caption(f"Rural-crime definition: {state.md(data.definition.county)}")
            filters.sidebar(filters.prepared().options, active=pg.url_path in FILTERED_PAGES)

        pg.run()


if __name__ == "__main__":
    main()
else:
    from dashboard import basemap_web
    from dashboard.accounts_web import lifespan, routes

    app = st.App(__file__, routes=[*routes(), *basemap_web.routes()], lifespan=lifespan)
