"""The classified store (Parquet per force-month in each data version) and its DuckDB queries give
exactly what the in-memory path gives, on the real police.uk files: counts by month, category,
ward and basis, the Overview's tables, the Map's filtered counts; and adding a month classifies
only that month yet ends with the same store as classifying everything."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ruralaction.incidents import columnar
from ruralaction.incidents.pipeline import load_data_dir, rural_counts
from ruralaction.incidents.store import Store, geography_folder_files
from ruralaction.measures import overview
from ruralaction.measures import store_queries as sq
from ruralaction.measures.filters import Filters, options
from ruralaction.permissions import Actor, Role

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
pytestmark = pytest.mark.skipif(not (SHARED / "police_uk").is_dir(), reason="../shared/data is not present")
ADMIN = Actor(email="admin@pcc.example", role=Role.ADMIN)


def months(*prefixes: str) -> list[Path]:
    return sorted(p for pre in prefixes for p in (SHARED / "police_uk").glob(f"{pre}*-street.csv"))


def by_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in a fixed order (the store groups them by force-month), categories as text."""
    out = df.sort_values(["source_file", "line"], kind="stable").reset_index(drop=True)
    return out.astype({c: object for c in out.columns if isinstance(out[c].dtype, pd.CategoricalDtype)})


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """Every real month with the real boundaries and lookups, added in two changes (the
    second only adds files, so it is classified on its own), and the in-memory path beside it."""
    store = Store(tmp_path_factory.mktemp("real_store"))
    geo = geography_folder_files(SHARED)
    assert store.add_incidents(months("2018", "2019"), actor=ADMIN, geography=geo).accepted
    assert store.add_incidents(months("2024"), actor=ADMIN).accepted
    folder = store.versions.current_dir()
    memory = load_data_dir(store.path("ours"))
    return store, folder, memory


def test_adding_months_classifies_only_them(real):
    store, folder, _ = real
    assert columnar.read_manifest(columnar.store_dir(folder, "ours"))["built"] == "added"
    assert store.classified_ready("ours")
    first = store.versions.list()[1]
    old = folder.parent / first.id / "classified" / "ours" / "rows"
    kept = [p for p in (folder / "classified" / "ours" / "rows").rglob("*.parquet") if "/2018-" in str(p)]
    assert kept and all(p.stat().st_ino == (old / p.relative_to(p.parents[2])).stat().st_ino for p in kept), (
        "the earlier months' files are the previous version's (hard links), not classified again"
    )


def test_the_store_holds_exactly_the_in_memory_rows_and_summary(real):
    store, folder, memory = real
    got = columnar.read_classified(folder, "ours")
    assert len(got.incidents) == len(memory.incidents) > 50_000
    pd.testing.assert_frame_equal(by_rows(got.incidents)[memory.incidents.columns], by_rows(memory.incidents))
    assert got.summary.lines() == memory.summary.lines()
    assert len(got.rejected) == len(memory.rejected)
    # The geography kept beside the rows (GeoParquet) is the one built from the boundary files.
    for name in ("wards", "lsoas"):
        kept, built = getattr(got.geography, name), getattr(memory.geography, name)
        if built is None:
            assert kept is None, name
            continue
        pd.testing.assert_frame_equal(kept.drop(columns="geometry"), built.drop(columns="geometry"), check_dtype=False)
        assert kept.geometry.geom_equals(built.geometry).all()
    assert got.geography.notes == memory.geography.notes
    pd.testing.assert_series_equal(got.geography.lsoa_classes, memory.geography.lsoa_classes, check_names=False)
    view = sq.StoreView.of(folder, "ours")
    assert sq.filter_options(view, got.geography.wards) == options(memory.incidents, memory.geography.wards)


def test_sql_counts_equal_the_in_memory_counts(real):
    _, folder, memory = real
    view, df = sq.StoreView.of(folder, "ours"), memory.incidents
    assert sq.headline(view) == overview.headline(df)
    pd.testing.assert_frame_equal(sq.rural_by_month(view), overview.rural_by_month(df))
    pd.testing.assert_frame_equal(sq.rural_by_evidence(view), overview.rural_by_evidence(df))
    pd.testing.assert_frame_equal(sq.rural_by_ward(view, None), overview.rural_by_ward(df, None))
    counts = rural_counts(df)
    for column, expected in (("rural_category", counts["by_category"]), ("rural_basis", counts["by_basis"])):
        got = sq.rural_counts_by(view, column)
        assert got.to_dict() == {str(k): int(v) for k, v in expected.items() if v > 0}, column
    by_month = df[df["is_rural_crime"]].groupby("month").size()
    assert sq.rural_counts_by(view, "month").sort_index().to_numpy().tolist() == by_month.tolist()
    assert sum(sq.rural_by_ward(view, None)["crimes"]) > 1000, "the real wards are found"


@pytest.mark.parametrize(
    "f",
    [
        Filters(),
        Filters(month_from="2024-02", month_to="2024-03", categories=("burglary", "vehicle crime")),
        Filters(reason="farm"),
        Filters(reason="ward", district="Daventry"),
    ],
    ids=["all", "months and categories", "farms", "district"],
)
def test_map_counts_equal_the_filter_mask(real, f):
    _, folder, memory = real
    view, df, wards = sq.StoreView.of(folder, "ours"), memory.incidents, memory.geography.wards
    mask = f.apply(df, wards)
    got = sq.map_counts(view, f, wards)
    assert got.shown == int(mask.sum())
    assert got.in_rural_wards == int((mask & df["in_rural_ward"].to_numpy(dtype=bool, na_value=False)).sum())
    assert got.at_farms == int((mask & df["at_farm"].to_numpy(dtype=bool)).sum())
    located = mask & df["longitude"].notna().to_numpy() & df["latitude"].notna().to_numpy()
    assert int(sq.hex_counts(view, f, wards)["crimes"].sum()) == int(located.sum())
    same = sq.StoreView.from_frame(df)  # a data directory without a store: the same SQL in memory
    assert sq.map_counts(same, f, wards) == got


def test_a_later_copy_of_a_month_replaces_it_in_the_store_as_in_memory(tmp_path):
    store = Store(tmp_path)
    store.add_incidents(months("2024-01", "2024-02"), actor=ADMIN)
    copy = tmp_path.parent / "again" / "2024-02-northamptonshire-street.csv"
    copy.parent.mkdir(exist_ok=True)
    lines = (SHARED / "police_uk" / "2024-02-northamptonshire-street.csv").read_text("utf-8").splitlines()
    copy.write_text("\n".join(lines[:-100]) + "\n", "utf-8")  # a shorter copy of February
    store.add_incidents([copy], actor=ADMIN)
    folder = store.versions.current_dir()
    assert columnar.read_manifest(columnar.store_dir(folder, "ours"))["built"] == "added"
    memory = load_data_dir(store.path("ours"))
    got = columnar.read_classified(folder, "ours")
    assert got.summary.rows_replaced == memory.summary.rows_replaced > 0
    assert got.summary.lines() == memory.summary.lines()
    pd.testing.assert_frame_equal(by_rows(got.incidents)[memory.incidents.columns], by_rows(memory.incidents))
    store.undo(ADMIN)  # deleting files classifies everything again, from the raw files
    assert len(columnar.read_classified(store.versions.current_dir(), "ours").incidents) == len(
        load_data_dir(store.path("ours")).incidents
    )


def test_a_repeated_question_is_answered_without_duckdb_and_each_caller_gets_its_own_copy(real, monkeypatch):
    _, folder, _ = real
    view = sq.StoreView.of(folder, "ours")
    first = sq.rural_by_ward(view, n=5)
    monkeypatch.setattr(
        sq.StoreView, "_connection", lambda self: (_ for _ in ()).throw(AssertionError("asked DuckDB again"))
    )
    again = sq.rural_by_ward(view, n=5)
    pd.testing.assert_frame_equal(first, again)
    again.loc[again.index[0], "crimes"] = -1
    assert (sq.rural_by_ward(view, n=5)["crimes"] > 0).all(), "changing one answer changes no other"


def test_kept_answers_stay_within_their_budget_oldest_dropped_first(real, monkeypatch):
    _, folder, _ = real
    view = sq.StoreView.of(folder, "ours")
    sql = "SELECT ward_code, count(*) AS n FROM rows WHERE is_rural_crime AND month >= ? GROUP BY ALL ORDER BY 1"
    one = view.query(sql, [pd.Timestamp("2018-01-01").to_pydatetime()])
    one.loc[0, "n"] = -1  # the caller's copy: the kept answer is not changed
    assert (view.query(sql, [pd.Timestamp("2018-01-01").to_pydatetime()])["n"] > 0).all()
    monkeypatch.setattr(sq, "ANSWER_CACHE_BYTES", int(one.memory_usage(index=True, deep=True).sum() * 2.5))
    for month in ("2018-06-01", "2019-01-01", "2024-01-01"):
        view.query(sql, [pd.Timestamp(month).to_pydatetime()])
    assert view._answer_bytes <= sq.ANSWER_CACHE_BYTES
    kept = [k[1] for k in view._answers]
    assert len(kept) == 2 and "2024" in kept[-1] and "2018, 1" not in " ".join(kept), kept
    monkeypatch.setattr(sq, "ANSWER_MAX_BYTES", 0)
    view.query("SELECT count(*) AS n FROM rows")
    assert len(view._answers) == 2, "an answer over the size limit is not kept"


def test_the_cube_counts_every_rural_crime_as_the_rows_do_and_a_store_without_one_counts_it_itself(real, tmp_path):
    import shutil

    store, folder, memory = real
    view = sq.StoreView.of(folder, "ours")
    assert view.cube_files and all(Path(f).is_file() for f in view.cube_files)
    keys = "month, rural_category, ward_code, parish_code, hex_q, hex_r, in_rural_ward, at_farm, longitude, latitude"
    from_rows = view.query(f"SELECT {keys}, count(*) AS n FROM rows WHERE is_rural_crime GROUP BY ALL ORDER BY ALL")
    from_cube = view.query(f"SELECT {keys}, sum(crimes)::BIGINT AS n FROM cube GROUP BY ALL ORDER BY ALL")
    pd.testing.assert_frame_equal(from_rows, from_cube)
    assert int(from_cube["n"].sum()) == int(memory.incidents["is_rural_crime"].sum())
    assert len(from_cube) < len(memory.incidents) / 10, "the cube is far smaller than the rows"
    assert view.rural_files and len(view.rural_files) == len(view.files)
    pd.testing.assert_frame_equal(  # the rural crimes' own files: the same rows in the same order
        view.query("SELECT * FROM rural_rows"), view.query("SELECT * FROM rows WHERE is_rural_crime")
    )

    old = tmp_path / folder.name  # a store written before cubes: no cube files, no flag
    shutil.copytree(folder, old)
    shutil.rmtree(columnar.store_dir(old, "ours") / columnar.CUBE)
    shutil.rmtree(columnar.store_dir(old, "ours") / columnar.RURAL)
    m = columnar.read_manifest(columnar.store_dir(old, "ours"))
    m.pop("cube"), m.pop("rural")
    (columnar.store_dir(old, "ours") / columnar.MANIFEST).write_text(__import__("json").dumps(m), "utf-8")
    legacy = sq.StoreView.of(old, "ours")
    assert legacy.cube_files is None
    f = Filters(categories=("burglary",), reason="ward")
    pd.testing.assert_frame_equal(sq.hex_counts(legacy, f), sq.hex_counts(view, f))
    assert sq.map_counts(legacy, Filters()) == sq.map_counts(view, Filters())
    pd.testing.assert_frame_equal(sq.filtered_rows(legacy, f, limit=50), sq.filtered_rows(view, f, limit=50))


def test_adding_a_month_to_a_store_from_before_cubes_counts_the_earlier_months_too(tmp_path):
    import json
    import shutil

    store = Store(tmp_path)
    assert store.add_incidents(months("2018-1"), actor=ADMIN, geography=geography_folder_files(SHARED)).accepted
    old = columnar.store_dir(store.versions.current_dir(), "ours")
    shutil.rmtree(old / columnar.CUBE), shutil.rmtree(old / columnar.RURAL)  # as written before them
    m = columnar.read_manifest(old)
    m.pop("cube"), m.pop("rural")
    (old / columnar.MANIFEST).write_text(json.dumps(m), "utf-8")
    assert store.add_incidents(months("2019-01"), actor=ADMIN).accepted
    folder = store.versions.current_dir()
    assert columnar.read_manifest(columnar.store_dir(folder, "ours"))["built"] == "added"
    view = sq.StoreView.of(folder, "ours")
    assert view.cube_files and all(Path(f).is_file() for f in view.cube_files + view.rural_files)
    rural = int(view.query("SELECT count(*) AS n FROM rows WHERE is_rural_crime")["n"].iloc[0])
    assert int(view.query("SELECT sum(crimes) AS n FROM cube")["n"].iloc[0]) == rural > 0
    assert int(view.query("SELECT count(*) AS n FROM rural_rows")["n"].iloc[0]) == rural


def test_an_added_month_is_parsed_once_and_the_store_matches_parsing_it_again(tmp_path, monkeypatch):
    """The change already loaded the file to check it: the store classifies that load (with the
    kept file's name) instead of reading the file a second time, and ends as a second read would."""
    store = Store(tmp_path)
    assert store.add_incidents(months("2018-1"), actor=ADMIN, geography=geography_folder_files(SHARED)).accepted
    upload = [("2019-01-northamptonshire-street.csv", months("2019-01")[0].read_bytes())]
    parsed: list = []
    real_load = columnar.load_incidents
    monkeypatch.setattr(columnar, "load_incidents", lambda *a, **k: parsed.append(a) or real_load(*a, **k))
    assert store.add_incidents(upload, actor=ADMIN).accepted
    assert parsed == [], "the store did not parse the added file again"
    assert columnar.read_manifest(columnar.store_dir(store.versions.current_dir(), "ours"))["built"] == "added"
    a = columnar.read_classified(store.versions.current_dir(), "ours")
    b = load_data_dir(store.path("ours"))
    pd.testing.assert_frame_equal(by_rows(a.incidents), by_rows(b.incidents), check_dtype=False)
    assert a.summary.lines() == b.summary.lines()  # the kept file's name, as a second read gives it
    assert any(
        "police_uk/" in f.source and f.source.endswith("2019-01-northamptonshire-street.csv") for f in a.summary.files
    )
