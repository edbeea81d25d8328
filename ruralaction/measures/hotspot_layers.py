"""The hotspot results drawn: map layers (pydeck, plain-text tooltips), legends and the table
behind the map, from :mod:`ruralaction.measures.hotspots` results.

Hot and cold cells are told apart by colour *and* legend text (ColorBrewer's red–blue, readable
with the common colour-vision deficiencies); emerging patterns by a glyph as well as words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ruralaction.measures.hotspots import (
    COLD,
    HOT,
    LEVELS,
    PATTERN_GLYPHS,
    PATTERN_WORDS,
    PATTERNS,
    Emerging,
    HexGrid,
    Hotspots,
    centres_lonlat,
)
from ruralaction.measures.maplayers import LegendItem, rgb
from ruralaction.measures.trends import plural


def legend(result: Hotspots) -> list[LegendItem]:
    """Legend lines for :func:`layer`: only the classes present, hot first."""
    items = []
    for level, _ in LEVELS:
        if ((result.cells["kind"] == "hot") & (result.cells["confidence"] == level)).any():
            items.append(LegendItem(HOT[level], f"Hotspot, {level}% confidence", "■"))
    for level, _ in reversed(LEVELS):
        if ((result.cells["kind"] == "cold") & (result.cells["confidence"] == level)).any():
            items.append(LegendItem(COLD[level], f"Cold spot, {level}% confidence", "□"))
    return items


def layer(grid: HexGrid, result: Hotspots, patterns: Emerging | None = None):
    """A pydeck polygon layer of the significant cells only (plain-text tooltips), or None."""
    import pydeck as pdk

    sig = result.cells[result.cells["kind"] != ""]
    if sig.empty:
        return None
    area = grid.cell_area_km2
    pat = {} if patterns is None else dict(zip(patterns.cells["cell"], patterns.cells["pattern"]))
    data = []
    for cell, crimes, around, kind, conf, z in zip(
        sig["cell"], sig["crimes"], sig["around"], sig["kind"], sig["confidence"], sig["z"]
    ):
        colour = (HOT if kind == "hot" else COLD)[int(conf)]
        word = "Hotspot" if kind == "hot" else "Cold spot"
        tip = (
            f"{word} at {conf}% confidence (Gi* z = {z:.1f})\n"
            f"{plural(int(crimes), 'crime')} in this {area:.1f} km² hexagon, "
            f"{int(around):,} with its neighbours"
        )
        if cell in pat:
            tip += f"\n{PATTERN_WORDS[pat[cell]]}"
        data.append({"polygon": grid.polygons[int(cell)], "f": rgb(colour, 200), "t": tip})
    return pdk.Layer(
        "PolygonLayer",
        data=data,
        id="significant-hotspots",
        get_polygon="polygon",
        get_fill_color="f",
        get_line_color=[60, 60, 60, 160],
        line_width_min_pixels=1,
        stroked=True,
        pickable=True,
        auto_highlight=True,
    )


def pattern_layer(grid: HexGrid, patterns: Emerging):
    """Emerging-pattern markers (a glyph at each patterned cell's centre), or None."""
    import pydeck as pdk

    if patterns.cells.empty:
        return None
    lon, lat = centres_lonlat(grid, patterns.cells["cell"].to_numpy(dtype=int))
    data = [
        {"p": [round(float(a), 5), round(float(b), 5)], "t": PATTERN_WORDS[p], "g": PATTERN_GLYPHS[p]}
        for a, b, p in zip(lon, lat, patterns.cells["pattern"])
    ]
    return pdk.Layer(
        "TextLayer",
        data=data,
        id="emerging-hotspots",
        get_position="p",
        get_text="g",
        get_size=20,
        get_color=[0, 0, 0, 230],
        pickable=True,
        character_set=list(set(PATTERN_GLYPHS.values())),
    )


def pattern_legend(patterns: Emerging) -> list[LegendItem]:
    present = set(patterns.cells["pattern"]) if not patterns.cells.empty else set()
    return [LegendItem("#000000", PATTERN_WORDS[p].split(":")[0], PATTERN_GLYPHS[p]) for p in PATTERNS if p in present]


def table(grid: HexGrid, result: Hotspots, patterns: Emerging | None = None) -> pd.DataFrame:
    """The significant cells as a table (and CSV download): where, how sure, how many crimes."""
    sig = result.cells[result.cells["kind"] != ""].copy()
    cells = sig["cell"].to_numpy(dtype=int)
    lon, lat = centres_lonlat(grid, cells)
    pat = {} if patterns is None else dict(zip(patterns.cells["cell"], patterns.cells["pattern"]))
    out = pd.DataFrame(
        {
            "Kind": np.where(sig["kind"] == "hot", "Hotspot", "Cold spot"),
            "Confidence (%)": sig["confidence"].to_numpy(),
            "Crimes in cell": sig["crimes"].to_numpy(),
            "Crimes with neighbours": sig["around"].to_numpy(dtype=int),
            "Gi* z": sig["z"].round(2).to_numpy(),
            "p (FDR-adjusted)": sig["p_fdr"].to_numpy(),
            "Emerging pattern": [pat.get(c, "") for c in cells],
            "Centre longitude": np.round(np.asarray(lon, dtype=float), 5),
            "Centre latitude": np.round(np.asarray(lat, dtype=float), 5),
        }
    )
    return out.sort_values(["Kind", "Gi* z"], ascending=[False, False], key=None).reset_index(drop=True)
