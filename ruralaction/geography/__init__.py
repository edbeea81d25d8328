"""Geography: ward and LSOA boundaries, rural-urban lookups and point-in-polygon.

Modules
-------
boundaries
    Read boundaries (GeoJSON, GeoPackage, zipped Shapefile) and ONS lookups into a
    :class:`~ruralaction.geography.boundaries.Geography`; each ward's class and its basis.
"""
