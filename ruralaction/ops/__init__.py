"""Running the service without anyone at night: the monthly refresh (one run at a time, its
result recorded for the Data page) and the health check a council's monitoring calls.

Modules
-------
lock
    A lock file in the data directory, so two refreshes never overlap.
refresh
    Fetch the months police.uk has published since the last refresh, load them, record the result.
health
    Database, data store, configuration and freshness, each ok / warning / critical.
"""
