"""The Streamlit side of Rural Action: state shared by the pages, and the pages themselves.

``app.py`` (the entry point ``streamlit run`` needs) builds the navigation from ``pages/``. Each
page reads widgets and query parameters, calls :mod:`ruralaction`, and draws. The modules here
decide only *when* library work runs (caches keyed on the data version) and hold the widgets
several pages share.

The pages folder is ``dashboard/pages/``, not a ``pages/`` beside ``app.py``: Streamlit treats a
``pages/`` folder next to the entry point as a legacy multipage app until ``st.navigation`` first
runs, so a bookmarked deep link on a freshly started server showed "Page not found".
"""
