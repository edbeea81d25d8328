"""Right numbers on real data (issue #13): the real police.uk and ONS files under ../shared/data
(skipped when that folder is absent), page by page under AppTest and in the library.

One app per module on a data directory that links the real files in place (nothing is copied):
Northamptonshire 2018-10..2019-02 and 2024-01..04 with a 58-month gap, the 2013 ward and 2011
LSOA boundaries and the 2011 rural-urban lookups. A second copy of January 2024 is added later,
as a user replacing a month would, so the pages have a replacement to report.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from ruralaction.definition import load_definition
from ruralaction.geography.boundaries import build_geography, find_geography_files
from ruralaction.incidents.pipeline import run
from ruralaction.measures import area_report, months, overview, trends
from ruralaction.measures.filters import Filters, options
from ruralaction.measures.wardclass import ward_classes

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
pytestmark = pytest.mark.skipif(not (SHARED / "police_uk").is_dir(), reason="../shared/data is not present")
APP = str(Path(__file__).resolve().parent.parent / "app.py")
BRIXWORTH, WEEDON = "E05009016", "E05009024"
COVERED = ["Oct 2018", "Nov 2018", "Dec 2018", "Jan 2019", "Feb 2019", "Jan 2024", "Feb 2024", "Mar 2024", "Apr 2024"]
GAP_WORDS = "March 2019 – December 2023 (58 months)"
PAGES = [
    "dashboard/pages/overview.py",
    "dashboard/pages/map.py",
    "dashboard/pages/local_area.py",
    "dashboard/pages/actions.py",
    "dashboard/pages/get_involved.py",
    "dashboard/pages/progress.py",
    "dashboard/pages/present.py",
    "dashboard/pages/digest.py",
    "dashboard/pages/data.py",
    "dashboard/pages/accounts.py",
    "dashboard/pages/region.py",
]


def police_files(prefix: str = "20") -> list[Path]:
    return sorted((SHARED / "police_uk").glob(f"{prefix}*-street.csv"))


def link_data_dir(root: Path, geography: bool = True) -> Path:
    """A data directory whose "our data" links the real files where they are."""
    first = root / "ours" / "police_uk" / "20240601T000000"
    first.mkdir(parents=True)
    for p in police_files():
        os.symlink(p, first / p.name)
    later = root / "ours" / "police_uk" / "20240701T000000"  # a user adds January 2024 again
    later.mkdir()
    os.symlink(
        SHARED / "police_uk" / "2024-01-northamptonshire-street.csv", later / "2024-01-northamptonshire-street.csv"
    )
    if geography:
        for sub in ("wards_by_lad", "lsoa_by_lad"):
            (root / "ours" / "boundaries" / sub).mkdir(parents=True)
            for p in (SHARED / "boundaries" / sub).glob("*.json"):
                os.symlink(p, root / "ours" / "boundaries" / sub / p.name)
        (root / "ours" / "ruc").mkdir()
        for p in (SHARED / "ruc").glob("*.csv"):
            os.symlink(p, root / "ours" / "ruc" / p.name)
    (root / "settings.json").write_text(json.dumps({"active": "ours"}))
    return root


class _V2PagesManager(PagesManager):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False  # as after the first st.navigation of a real server


class App:
    def __init__(self, root: Path):
        self.root = root
        self.mp = pytest.MonkeyPatch()
        self.mp.setattr(app_test_module, "PagesManager", _V2PagesManager)
        self.mp.setenv("RURALACTION_DATA_DIR", str(root))
        self.mp.setenv("RURALACTION_DB_URL", f"sqlite:///{root / 'actions.db'}")
        self.at = AppTest.from_file(APP, default_timeout=120)
        self.at.run()

    def page(self, path: str, **query) -> AppTest:
        self.at.switch_page(path)
        self.at.query_params.clear()
        self.at.query_params.update(query)
        self.at.run()
        assert not self.at.exception, [e.message for e in self.at.exception]
        return self.at

    def all_wards(self, path: str) -> AppTest:
        """A page with the shared filters reset (a ward chosen earlier stays chosen otherwise)."""
        self.page(path)
        reset = [b for b in self.at.sidebar.button if b.label == "Reset filters"]
        if reset:
            reset[0].click()
            self.at.run()
        return self.at


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    a = App(link_data_dir(tmp_path_factory.mktemp("real_app")))
    yield a
    a.mp.undo()


@pytest.fixture(scope="module")
def real():
    """The library's view of the same files (loaded once)."""
    definition = load_definition()
    found = find_geography_files(SHARED)
    return run(police_files(), build_geography(definition, found["boundaries"], found["lookups"]), definition)


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def month_chart_labels(spec: dict) -> list[str]:
    """What a monthly chart's axis labels: its categories in order, each bar's x among them."""
    axis = spec["layout"]["xaxis"]
    assert axis["type"] == "category", "a month axis is a category axis of month labels"
    labels = list(axis["categoryarray"])
    for trace in spec["data"]:
        assert set(trace.get("x", [])) <= set(labels)
    return labels


def texts(at: AppTest) -> list[str]:
    """Every text a page shows, tables included."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success", "text"):
        out += [str(e.value) for e in at.get(kind)]
    for m in at.metric:
        out += [m.label, m.value, m.help or "", str(m.proto.delta)]
    out += [df.value.to_csv() for df in at.get("dataframe") if isinstance(df.value, pd.DataFrame)]
    out += [json.dumps(c) for c in charts(at)]
    return [re.sub(r"\\(.)", r"\1", t) for t in out]  # as read: markdown escapes dropped


def metric(at: AppTest, label: str):
    return next(m for m in at.metric if m.label == label)


# ----------------------------------------------------------------------------- 1 and 4: months


def test_every_monthly_chart_labels_each_bar_with_its_own_month(app):
    for path, query in (
        ("dashboard/pages/overview.py", {}),
        ("dashboard/pages/local_area.py", {"ward": BRIXWORTH}),
        ("dashboard/pages/data.py", {}),
        ("dashboard/pages/region.py", {}),
    ):
        at = app.page(path, **query)
        monthly = [s for s in charts(at) if s["layout"].get("xaxis", {}).get("type") == "category"]
        first = monthly[0]
        assert month_chart_labels(first) == COVERED, path
        assert [a["text"] for a in first["layout"]["annotations"]] == ["58 months without data"], path


@pytest.mark.parametrize(
    ("prefix", "labels"),
    [("2024", COVERED[5:]), ("201", COVERED[:5])],
)
def test_each_period_alone_labels_its_own_months(real, prefix, labels):
    from ruralaction.progress import charts as ch
    from ruralaction.progress.scorecard import trend_frame

    df = real.incidents[real.incidents["month"].dt.strftime("%Y").str.startswith(prefix)]
    fig = months.month_axis(
        __import__("plotly.express", fromlist=["bar"]).bar(overview.rural_by_month(df), x="month", y="crimes"),
        overview.rural_by_month(df)["month"],
    )
    assert list(fig.layout.xaxis.categoryarray) == labels and not fig.layout.annotations
    loaded = sorted({f"{m:%Y-%m}" for m in df["month"]})
    from ruralaction.measures.periods import rolling_12

    period = rolling_12(loaded[-1])
    trend = ch.trend_chart(trend_frame(df, df["is_rural_crime"].to_numpy(), period, loaded), period)
    assert list(trend.fig.layout.xaxis.categoryarray) == labels


def test_missing_months_are_said_as_one_range(app):
    at = app.page("dashboard/pages/overview.py")
    assert any(GAP_WORDS in w.value for w in at.warning)
    assert not any("April 2019" in t for t in texts(at))
    at = app.page("dashboard/pages/data.py")
    assert any(GAP_WORDS in e.value for e in at.error)


# ----------------------------------------------------------------------------- 2 and 5: ward class, district


def test_a_wards_class_and_basis_agree_on_the_page_the_table_the_downloads_and_its_crimes(app, real):
    df = real.incidents
    for code, name in ((BRIXWORTH, "Brixworth"), (WEEDON, "Weedon")):
        crimes = df[(df["ward_code"] == code).to_numpy()]
        assert len(crimes) and crimes["in_rural_ward"].all()
        assert set(crimes["rural_basis"].astype(str).str.split("; ").str[-1]) == {"ward (derived from LSOAs)"}
        at = app.page("dashboard/pages/local_area.py", ward=code)
        assert at.title[0].value == name
        assert at.caption[0].value.startswith("Rural ward \\(derived from its 2011 LSOAs by area\\), Daventry")
    at = app.all_wards("dashboard/pages/map.py")
    table = next(d.value for d in at.get("dataframe") if "class_basis" in d.value.columns)
    rows = table.set_index("ward_code")
    for code in (BRIXWORTH, WEEDON):
        assert (rows.at[code, "rural_class"], rows.at[code, "class_basis"]) == (
            "Rural",
            "derived from its 2011 LSOAs by area",
        )
    # Every ward's class in the table is the class its crimes were counted under.
    in_ward = df[df["ward_code"].notna() & df["rural_basis"].astype(str).str.contains("ward")]
    by_crime = in_ward.groupby(in_ward["ward_code"].astype(str), observed=True)["in_rural_ward"].agg(["min", "max"])
    assert (by_crime["min"] == by_crime["max"]).all()
    assert (rows.loc[by_crime.index, "rural_class"] == np.where(by_crime["min"], "Rural", "Urban")).all()
    # District: known for every ward, from the real boundary and LSOA files.
    assert table["district"].notna().all() and rows.at[BRIXWORTH, "district"] == "Daventry"
    assert table["district"].value_counts().to_dict() == {
        "Northampton": 33,
        "South Northamptonshire": 27,
        "East Northamptonshire": 22,
        "Kettering": 17,
        "Daventry": 16,
        "Wellingborough": 16,
        "Corby": 15,
    }


def test_the_summary_downloads_and_the_pack_say_the_same_class(real):
    df, wards = real.incidents, real.geography.wards
    opts = options(df, wards)
    rural = load_definition().rural_classes
    s = area_report.local_area_summary(
        df, wards, trends.ward_areas_km2(wards), rural, Filters(ward=WEEDON), options(df, wards)
    )
    table = pd.read_csv(io.BytesIO(area_report.summary_csv(s)))
    got = dict(zip(table["measure"], table["value"].astype(str)))
    assert got["Kind"] == "rural ward (derived from its 2011 LSOAs by area)"
    assert got["Months with data"] == "9" and got["Months without data"] == GAP_WORDS
    assert "Rural ward (derived from its 2011 LSOAs by area), Daventry" in area_report.summary_html(s)
    assert ward_classes(wards, rural).at[WEEDON, "class_basis"] == "derived from its 2011 LSOAs by area"
    assert opts.ward_district(WEEDON) == "Daventry"


# ----------------------------------------------------------------------------- 3: no comparison over missing months


def test_no_comparison_is_made_across_months_without_data(app):
    at = app.page("dashboard/pages/local_area.py", ward=BRIXWORTH)
    m = metric(at, "4 of the 12 months to Apr 2024")
    assert m.value == "23" and not m.proto.delta  # not "+23 on the year before"
    words = " ".join(t for t in texts(at))
    assert "up from 0" not in words
    assert "no comparison with the 12 months before, because there is no data for May 2022 – December 2023" in words
    assert f"9 of the 67 months shown have data; none for {GAP_WORDS}" in words


def test_the_scorecard_and_pack_show_no_count_for_years_without_data(real):
    import datetime as dt

    from progress_helpers import actions

    from ruralaction.measures.periods import loaded_months, parse_period
    from ruralaction.progress.config import load_progress_config
    from ruralaction.progress.scorecard import build_scorecard
    from ruralaction.reports import pack as report

    df = real.incidents
    for spec in ("12m-2024-04", "2018-19"):
        sc = build_scorecard(
            df, actions([]), None, parse_period(spec), load_progress_config(), read_at=dt.datetime(2024, 6, 1)
        )
        cats = sc.categories
        crime = sc.scores[0]
        assert crime.key == "rural_crime" and crime.status.word == "Not rated"
        if spec == "12m-2024-04":  # a count over 4 months is never shown as the year's
            assert crime.value_text == f"{cats['crimes'].sum():,} in 4 of 12 months"
        assert cats["previous_12_months"].isna().all() and cats["baseline_year"].isna().all()
        assert (cats["status"] == "– Not rated").all() and cats["change"].isna().all()
        assert cats["why_not"].str.contains("no data for").all()
        page = report.pack_html(report.Pack(sc, [], actions([])), images={})
        rows = re.findall(r"<tr><td>Burglary</td>(.*?)</tr>", page)
        assert rows and "<td class='n'>—</td><td class='n'>—</td>" in rows[0]
    assert loaded_months(df)[4:6] == ["2019-02", "2024-01"]
    # The map's rates a year are over the period's months with data: 2023-24 has Jan–Mar 2024 only.
    from ruralaction.measures.filters import Filters as F
    from ruralaction.progress import charts as ch

    wards = real.geography.wards
    rates = ch.map_data(df, F().apply(df), wards, trends.ward_areas_km2(wards), parse_period("2023-24"), ("E1",))
    row = rates.set_index("ward_code").loc[BRIXWORTH]
    assert row["per_km2_year"] == pytest.approx(row["crimes"] / row["area_km2"] / (3 / 12))


# ----------------------------------------------------------------------------- 6: the two shares


def test_each_rural_share_has_its_own_name_and_one_definition(app, real):
    h = overview.headline(real.incidents)
    at = app.page("dashboard/pages/overview.py")
    assert metric(at, overview.RURAL_OF_IN_SCOPE).value == f"{h.share_rural:.0%}"
    at = app.page("dashboard/pages/data.py")
    from ruralaction.measures.coverage import RURAL_OF_ROWS, coverage

    assert metric(at, RURAL_OF_ROWS).value == f"{coverage(real.incidents).share_rural_of_rows:.1%}"
    assert overview.RURAL_OF_IN_SCOPE != RURAL_OF_ROWS
    for path in ("dashboard/pages/overview.py", "dashboard/pages/data.py"):
        assert not any(m.label in ("Rural share", "Classified rural crime") for m in app.page(path).metric)


# ----------------------------------------------------------------------------- 8: small numbers in print


def test_the_printable_summary_never_shows_a_small_count_as_zero_percent(real):
    df, wards = real.incidents, real.geography.wards
    rural = load_definition().rural_classes
    s = area_report.local_area_summary(
        df, wards, trends.ward_areas_km2(wards), rural, Filters(ward=BRIXWORTH), options(df, wards)
    )
    ones = s.outcomes[s.outcomes["crimes"] < trends.MIN_COUNT]
    assert len(ones) and s.crimes >= trends.MIN_COUNT
    page = area_report.summary_html(s)
    assert ">0%<" not in page
    for name in ones["outcome"]:
        assert re.search(re.escape(name) + r"</td><td class='n'>\d</td><td class='n'>—</td>", page)


# ----------------------------------------------------------------------------- 10: no server paths


def test_no_page_shows_a_path_on_the_server(app):
    at = app.page("dashboard/pages/overview.py")
    loaded = " ".join(t for t in texts(at))
    assert "Replaced 5,613 rows of Northamptonshire Police 2024-01 from 2024-01-northamptonshire-street.csv" in loaded
    root = str(app.root)
    for path in PAGES:
        at = app.page(path)
        for text in texts(at):
            assert root not in text and "/ours/" not in text and str(SHARED) not in text, (path, text[:200])


# ----------------------------------------------------------------------------- 11: data that cannot be classified


def test_real_incidents_without_boundaries_or_lookups_say_what_is_missing(tmp_path):
    a = App(link_data_dir(tmp_path, geography=False))
    try:
        at = a.page("dashboard/pages/data.py")
        warned = " ".join(texts(at))
        assert "cannot be classified" in warned and "ONS Open Geography Portal" in warned
        assert "ward boundaries" in warned and "2011 Rural-Urban Classification" in warned
        from ruralaction.measures.coverage import RURAL_OF_ROWS

        assert metric(at, RURAL_OF_ROWS).value == "—"  # not known, rather than 0.0%
        at = a.page("dashboard/pages/overview.py")
        # Only crimes at a farm can count without classes: the page says so beside any number.
        said = " ".join(texts(at))
        assert "only crimes at a farm count" in said or "No rural crime can be counted yet" in said
        assert "ONS Open Geography Portal" in said
        at = a.page("dashboard/pages/local_area.py")
        assert "ONS Open Geography Portal" in " ".join(texts(at))
    finally:
        a.mp.undo()


# ----------------------------------------------------------------------------- 7: exported charts are whole


def edge_ink(png: bytes, strip: int = 2) -> dict[str, int]:
    """Dark pixels in a strip along each edge of an image: text cut by the edge leaves ink there."""
    from PIL import Image

    a = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    edges = {"left": a[:, :strip], "right": a[:, -strip:], "top": a[:strip, :], "bottom": a[-strip:, :]}
    return {k: int((v < 200).sum()) for k, v in edges.items()}


@pytest.mark.browser
def test_exported_charts_show_their_whole_axes_labels_and_legend(real):
    """The Progress page's PNG downloads and the pack's charts, drawn in a process where Streamlit
    is imported (it makes its own plotly template the default, as in the app), at the sizes they
    are exported: nothing touches the image's edge."""
    import datetime as dt

    import streamlit.elements.plotly_chart  # noqa: F401 - the app's plotly default template
    from progress_helpers import actions

    from ruralaction.measures.periods import parse_period
    from ruralaction.progress import charts as ch
    from ruralaction.progress.config import load_progress_config
    from ruralaction.progress.scorecard import build_scorecard
    from ruralaction.reports import pack as report

    df, wards = real.incidents, real.geography.wards
    sc = build_scorecard(
        df, actions([]), None, parse_period("2018-19"), load_progress_config(), read_at=dt.datetime(2024, 6, 1)
    )
    pk = report.build_pack(sc, actions([]), df, wards, trends.ward_areas_km2(wards), load_definition().rural_classes)
    assert [c.name for c in pk.charts] == ["ward-map", "rural-crime-trend", "actions-per-month"]
    trend = pk.charts[1].fig
    assert list(trend.layout.xaxis.categoryarray) == COVERED[:5]  # Oct 2018 – Feb 2019: only months with data
    for chart in pk.charts:
        sizes = {"pack": ch.images([chart.fig], "png", width=1100, scale=1)[0]}  # the pack's SVG size
        if chart.name != "ward-map":  # axes: also the Progress page's PNG button (the map has none)
            sizes["PNG download"] = ch.png(chart.fig)
        for name, image in sizes.items():
            assert edge_ink(image) == {"left": 0, "right": 0, "top": 0, "bottom": 0}, (chart.name, name)
