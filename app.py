"""Rural Action: the Streamlit entry point (``streamlit run app.py``).

A router only: page config, the data source in the sidebar, the navigation. Pages live in
``pages/``; every number they show comes from the ``ruralaction`` library.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import app_state
from ruralaction.store import LABELS
from ruralaction.definition import DefinitionError
from ruralaction.geography import GeographyError

ICON = Path(__file__).parent / "assets" / "icon.png"  # a local file: no request to a font CDN

st.set_page_config(
    page_title="Rural Action",
    page_icon=str(ICON),
    layout="wide",
    menu_items={"About": "Rural Action: where rural crime happens, and what partners did about it."},
)

pages = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/data.py", title="Data", icon=":material/database:"),
]
pg = st.navigation(pages)

try:
    src = app_state.source()
    data = app_state.classified()
except (DefinitionError, GeographyError, OSError) as exc:
    st.error(f"The data could not be loaded: {app_state.md(exc)}", icon=":material/error:")
    st.stop()

st.logo(str(ICON), size="large")
with st.sidebar:
    st.header("Rural Action", divider="green")
    st.subheader("Data source")
    if src.demo:
        st.warning(f"**{app_state.DEMO_LABEL}**", icon=":material/science:")
    st.caption(f"Showing: {app_state.md(LABELS[src.dataset])}")
    st.caption(f"Rural-crime definition: {app_state.md(data.definition.county)}")

pg.run()
