"""The geography a data version was classified with, kept beside its classified store.

Built once from the dataset's boundary and lookup files (:func:`build_for`), written as GeoParquet
(:func:`save`) and read back by readers and by the next change when the boundaries did not change
(:func:`load`), so neither reads and joins the boundary files again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ruralaction.definition import Definition
from ruralaction.geography.boundaries import Geography, build_geography
from ruralaction.incidents.pipeline import geography_files

FOLDER = "geography"


def build_for(base: Path, definition: Definition) -> Geography:
    """The geography of a dataset folder's boundary and lookup files (empty without any)."""
    found = geography_files(base)
    if not found["boundaries"] and not found["lookups"]:
        return Geography()
    return build_geography(definition, found["boundaries"], found["lookups"])


def save(geo: Geography, out: Path) -> None:
    """The built geography as GeoParquet beside the rows: a reader (and the next change, when
    the boundaries did not change) gets it without reading and joining the boundary files."""
    import geopandas as gpd

    folder = out / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("wards", "lsoas", "parishes"):
        frame = getattr(geo, name)
        if frame is not None:
            frame.to_parquet(folder / f"{name}.parquet")
    if geo.farms is not None:
        gpd.GeoDataFrame(geometry=geo.farms).to_parquet(folder / "farms.parquet")
    geo.lsoa_classes.rename("ruc_code").rename_axis("lsoa_code").reset_index().to_parquet(
        folder / "lsoa_classes.parquet", index=False
    )
    (folder / "notes.json").write_text(json.dumps(list(geo.notes)), "utf-8")


def load(out: Path) -> Geography | None:
    """The geography :func:`save` wrote in ``out`` (None when there is none)."""
    import geopandas as gpd

    folder = out / FOLDER
    if not (folder / "notes.json").is_file():
        return None

    def frame(name: str):
        return gpd.read_parquet(folder / f"{name}.parquet") if (folder / f"{name}.parquet").is_file() else None

    classes = pd.read_parquet(folder / "lsoa_classes.parquet")
    farms = frame("farms")
    return Geography(
        wards=frame("wards"),
        lsoas=frame("lsoas"),
        parishes=frame("parishes"),
        lsoa_classes=pd.Series(classes["ruc_code"].to_numpy(), index=classes["lsoa_code"].to_numpy(), dtype="str"),
        farms=None if farms is None else farms.geometry,
        notes=json.loads((folder / "notes.json").read_text("utf-8")),
    )
