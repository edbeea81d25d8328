"""Rural Action: load, classify and measure rural crime for a county's partnership dashboard.

A pure library (no Streamlit). Subpackages follow the data flow, and each imports only the ones
before it (``tests/test_library.py`` holds that)::

    definition, settings, exports,       the county's rules, where state lives, safe CSV,
    permissions                          who may do what (checked inside every write)
    geography/                           boundaries and rural-urban lookups
    incidents/                           sources -> load + validate -> classify -> store (+ demo, fetch)
    measures/                            filters, periods and every count a page shows
    actions/, concerns/                  partners' actions and residents' concerns (the database)
    progress/                            the scorecard for the three aims and its charts
    reports/                             the meeting pack (HTML/PDF)
    ops/                                 the monthly refresh (locked) and the health check
    cli                                  ``python -m ruralaction …``

    faults, logs, tomlschema, progressbar   (at the top) faults in words, JSON event logs,
                                         schema-checked configuration, progress hooks
"""

__version__ = "0.1.0"
