"""Incidents, from source files to the classified data the measures read.

The flow, one module a step::

    sources -> validate -> loader -> classify -> pipeline -> store

Modules
-------
schema
    The canonical incident columns and the police.uk column names.
sources
    Files, folders, zips and uploads as one stream of named CSV texts.
validate
    Row checks with file, line, column and reason.
loader
    Parse, validate and de-duplicate force-months into one typed frame.
classify
    The rural-crime definition applied to every row, with the reason.
pipeline
    Load + classify in one call; the data directory's fingerprint; the ``classify`` output.
store
    The data directory's two datasets (demo, ours) and validated additions.
demo, demo_tables
    The generated demo county, in the real formats.
fetch, police_api
    Downloading a force's crimes from the data.police.uk API.
"""
