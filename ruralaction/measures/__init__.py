"""Measures: every number the Overview, Map, Local area and Data pages show.

Modules
-------
filters
    The shared filters, their URL form and the row mask they make.
periods
    Reporting periods (financial year, calendar year, rolling 12 months) and month helpers.
trends
    Trends, changes, rates and standouts for an area, with the small-number rule.
overview
    The Overview page's headline, months, evidence and wards.
coverage
    Months covered per force, gaps and freshness.
maplayers
    Map layers aggregated on the server (hexagons, wards, points, actions).
area_report
    One ward's summary as an object, a CSV and a printable page.
months
    The one month axis every monthly chart uses (each bar under its own month, gaps marked) and
    missing months as ranges in words.
wardclass
    A ward's rural-urban class with its basis, for every page, table, download and pack.
readiness
    What the loaded data lacks to be classified (ward boundaries, the 2011 RUC lookups) and where
    to get it.
"""
