"""A golden summary of the real files: rural crimes by month, category and basis, the top wards,
and the county's rows, as the classified store (DuckDB over Parquet) answers them, held equal to
``tests/fixtures/golden_real_summary.json``.

The store is built as ``tests/test_store_queries.py``'s ``real`` fixture builds it (every real
month under ../shared/data with the real boundaries and lookups, in two changes). The JSON was
made once by this code and then checked by hand against figures found independently of it
(``../shared/data/SOURCES.md``, also held by ``tests/test_real_data.py``): rows per file, the
in-county rows of each period (32,081 and 23,062) and the 2018/19 in-county split by the LSOA
rural-urban lookup (26,045 / 3,929 / 2,107); ``test_the_golden_agrees_with_the_independent_figures``
keeps those checks.

A deliberate change of the figures (a new definition, new files) is regenerated with

    python tests/test_golden.py --regen

and the diff of the JSON reviewed like code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))

from ruralaction.incidents.store import Store, geography_folder_files  # noqa: E402
from ruralaction.measures import store_queries as sq  # noqa: E402
from ruralaction.permissions import Actor, Role  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
GOLDEN = Path(__file__).resolve().parent / "fixtures" / "golden_real_summary.json"
ADMIN = Actor(email="admin@pcc.example", role=Role.ADMIN)
pytestmark = pytest.mark.skipif(not (SHARED / "police_uk").is_dir(), reason="../shared/data is not present")


def months(*prefixes: str) -> list[Path]:
    return sorted(p for pre in prefixes for p in (SHARED / "police_uk").glob(f"{pre}*-street.csv"))


def build_store(root: Path) -> Path:
    """The real files in a store (as ``test_store_queries.real``); its current version's folder."""
    store = Store(root)
    assert store.add_incidents(months("2018", "2019"), actor=ADMIN, geography=geography_folder_files(SHARED)).accepted
    assert store.add_incidents(months("2024"), actor=ADMIN).accepted
    return store.versions.current_dir()


def summary(view: sq.StoreView) -> dict:
    """The golden figures, every one asked of the store."""
    h = sq.headline(view)
    by_month = sq.rural_counts_by(view, "month")
    wards = sq.rural_by_ward(view, 10)
    period = "CASE WHEN month < DATE '2020-01-01' THEN '2018/19' ELSE '2024' END"
    county = view.query(
        f"SELECT {period} AS period, count(*) AS n, count(*) FILTER (in_county) AS in_county,"
        " count(*) FILTER (is_rural_crime) AS rural FROM rows GROUP BY ALL ORDER BY 1"
    )
    # The 2018/19 in-county rows by the ONS LSOA rural-urban class of their LSOA code (SOURCES.md's split).
    lookup = str(SHARED / "ruc" / "ruc_2011.csv")
    split = view.query(
        "SELECT l.RUC11CD AS ruc, count(*) AS n FROM rows r"
        f" JOIN read_csv('{lookup}', all_varchar = true) l ON l.lsoa = CAST(r.lsoa_code AS VARCHAR)"
        " WHERE r.in_county AND r.month < DATE '2020-01-01' GROUP BY ALL ORDER BY 1"
    )
    return {
        "headline": {
            "incidents": h.incidents,
            "in_county": h.in_county,
            "outside_county": h.outside_county,
            "county_unknown": h.county_unknown,
            "in_scope_in_county": h.in_scope_in_county,
            "rural_crimes": h.rural_crimes,
            "no_location": h.no_location,
            "unknown_class": h.unknown_class,
            "months": h.months,
        },
        "by_period": {
            r.period: {"rows": int(r.n), "in_county": int(r.in_county), "rural_crimes": int(r.rural)}
            for r in county.itertuples()
        },
        "lsoa_class_of_in_county_rows_2018_19": {r.ruc: int(r.n) for r in split.itertuples()},
        "rural_by_month": {f"{m:%Y-%m}": int(n) for m, n in sorted(by_month.items())},
        "rural_by_category": {str(k): int(v) for k, v in sq.rural_counts_by(view, "rural_category").items()},
        "rural_by_basis": {str(k): int(v) for k, v in sq.rural_counts_by(view, "rural_basis").items()},
        "top_wards": [[r.ward_code, r.ward_name, int(r.crimes)] for r in wards.itertuples()],
    }


@pytest.fixture(scope="module")
def got(tmp_path_factory) -> dict:
    folder = build_store(tmp_path_factory.mktemp("golden_store"))
    return summary(sq.StoreView.of(folder, "ours"))


def test_the_store_gives_the_golden_summary(got):
    golden = json.loads(GOLDEN.read_text("utf-8"))
    for key in golden:
        assert got[key] == golden[key], f"{key} differs from {GOLDEN.name} (python tests/test_golden.py --regen)"
    assert set(got) == set(golden)


def test_the_golden_agrees_with_the_independent_figures():
    """The hand checks of the JSON against SOURCES.md's figures (not derived from this code)."""
    g = json.loads(GOLDEN.read_text("utf-8"))
    rows = {"2018/19": 6705 + 6616 + 6196 + 6420 + 6270, "2024": 5613 + 5410 + 6181 + 6018}
    assert {k: v["rows"] for k, v in g["by_period"].items()} == rows
    assert g["headline"]["incidents"] == sum(rows.values()) and g["headline"]["months"] == 9
    assert {k: v["in_county"] for k, v in g["by_period"].items()} == {"2018/19": 32_081, "2024": 23_062}
    assert g["headline"]["in_county"] == 32_081 + 23_062
    assert g["lsoa_class_of_in_county_rows_2018_19"] == {"C1": 26_045, "D1": 3_929, "E1": 2_107}
    # The parts add up to the whole.
    rural = g["headline"]["rural_crimes"]
    assert sum(v["rural_crimes"] for v in g["by_period"].values()) == rural
    assert sum(g["rural_by_month"].values()) == sum(g["rural_by_category"].values()) == rural
    assert sum(g["rural_by_basis"].values()) == rural
    assert len(g["rural_by_month"]) == 9 and len(g["top_wards"]) == 10


if __name__ == "__main__":
    if sys.argv[1:] != ["--regen"]:
        sys.exit(__doc__)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        figures = summary(sq.StoreView.of(build_store(Path(tmp)), "ours"))
    GOLDEN.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"Wrote {GOLDEN}")
