"""Progress against Rural Action's three aims.

Modules
-------
config
    The ``[progress]`` section of the definition: baselines, targets, RAG status.
aims
    Every scorecard measure as a pure function of incidents, actions and concerns.
scorecard
    The measures with their baselines, targets and status for one period and area.
charts
    The scorecard's charts as plotly figures and static images.
"""
