"""Rural Action: load, classify and measure rural crime for a county's partnership dashboard.

A pure library (no Streamlit). The data flow is one way::

    sources -> load + validate (loader) -> classify (classify, geography) -> measures -> pages
"""

__version__ = "0.1.0"
