"""The evidence statistics on simulated data with known answers: Gi* hotspots with FDR, seasonal
expected counts and flags, difference-in-differences impact; and each checked against the
maintained library it stands on (esda, statsmodels, scipy)."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest

from ruralaction.measures import hotspots as hs
from ruralaction.measures import seasonal as se
from ruralaction.measures.counts import CountTable, month_span
from ruralaction.progress import impact as im


def _square_grid(n: int = 30) -> hs.HexGrid:
    q, r = np.meshgrid(np.arange(n), np.arange(n))
    return hs.HexGrid.from_axial(q.ravel(), r.ravel())


# --------------------------------------------------------------------------- Gi*


def test_planted_cluster_is_found_and_nothing_else():
    grid = _square_grid()
    graph = hs.neighbour_graph(grid)
    rng = np.random.default_rng(7)
    y = rng.poisson(2, grid.n)
    centre = grid.positions(np.array([15]), np.array([15]))[0]
    ring = grid.positions(np.array([15, 16, 14, 15, 15, 16, 14]), np.array([15, 15, 15, 16, 14, 14, 16]))
    y[ring] += 6
    res = hs.gi_star(grid, y, graph=graph)
    assert res.status == "ok"
    hot = set(res.hot["cell"])
    assert centre in hot
    assert res.cells.loc[centre, "confidence"] >= 95
    # every hot cell is within two rings of the planted cluster's centre
    qq, rr = grid.q[list(hot)], grid.r[list(hot)]
    assert (np.abs(qq - 15) + np.abs(rr - 15) + np.abs((qq + rr) - 30)).max() / 2 <= 2
    assert "significant hotspot" in res.words


@pytest.mark.parametrize("mean", [0.5, 2.0, 10.0])
def test_random_fields_show_no_more_hotspots_than_the_nominal_rate(mean):
    """Under no clustering, BH at the 90% level lets at most 10% of fields show any cell."""
    grid = _square_grid(20)
    graph = hs.neighbour_graph(grid)
    rng = np.random.default_rng(11)
    runs = 100
    shown = sum(
        (hs.gi_star(grid, rng.poisson(mean, grid.n), graph=graph, draws=19_999).cells["kind"] != "").any()
        for _ in range(runs)
    )
    # 10% nominal; allow two binomial standard errors above it
    assert shown / runs <= 0.10 + 2 * np.sqrt(0.1 * 0.9 / runs)


def test_the_normal_approximation_alone_would_over_find_hotspots():
    """Why p-values come from random relocation: with small counts, normal p-values + BH show
    hotspots in far more random fields than the nominal 10%."""
    from scipy.stats import norm

    grid = _square_grid(25)
    graph = hs.neighbour_graph(grid)
    rng = np.random.default_rng(3)
    runs, shown = 100, 0
    for _ in range(runs):
        z = hs.gi_star_z(rng.poisson(1.0, grid.n), graph)
        adj, conf = hs.fdr_confidence(2 * norm.sf(np.abs(z)))
        shown += ((conf > 0) & (z > 0)).any()
    assert shown / runs > 0.15


def test_gi_star_agrees_with_esda_on_polygon_contiguity():
    """Our axial-coordinate neighbours and z-scores equal esda run directly on libpysal's queen
    contiguity of the hexagon polygons."""
    import esda
    import geopandas as gpd
    import shapely
    from libpysal.weights import Queen, fill_diagonal

    grid = _square_grid(12)
    polys = [shapely.Polygon(p) for p in grid.polygons]
    gdf = gpd.GeoDataFrame(geometry=polys, crs="EPSG:4326").to_crs("EPSG:27700")
    y = np.random.default_rng(5).poisson(4, grid.n).astype(float)
    w = fill_diagonal(Queen.from_dataframe(gdf, use_index=False, silence_warnings=True), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = esda.G_Local(y, w, transform="B", star=True, permutations=0)
    ours = hs.gi_star_z(y, hs.neighbour_graph(grid))
    np.testing.assert_allclose(ours, ref.Zs, atol=1e-9)
    # our p-values are esda's own conditional-randomization p-values, without its cell-by-cell loop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        perm = esda.G_Local(y, w, transform="B", star=True, permutations=2_999, seed=1, n_jobs=1)
    ours = hs.relocation_p(y, hs.neighbour_graph(grid)) / 2  # esda's p_sim is one-sided (folded)
    assert np.corrcoef(ours, perm.p_sim)[0, 1] > 0.93
    assert np.median(np.abs(ours - perm.p_sim)) < 0.03  # ties of whole-number totals are split differently


def test_too_few_crimes_means_no_hotspots():
    grid = _square_grid(10)
    y = np.zeros(grid.n, int)
    y[:12] = 2
    res = hs.gi_star(grid, y)
    assert res.status == "too few" and (res.cells["kind"] == "").all()
    assert "at least 30" in res.words


def test_mann_kendall_matches_scipy_kendalltau():
    """Kendall's tau against time is the Mann-Kendall test: without our continuity correction,
    our z (ties corrected) gives scipy's asymptotic p-value exactly, ties and all."""
    from scipy.stats import kendalltau, norm

    rng = np.random.default_rng(2)
    x = np.round(rng.normal(size=(40, 15)) + np.linspace(0, 1, 15) * rng.normal(size=(40, 1)), 1)
    s, z, p = hs.mann_kendall(x)
    for row, si, zi in zip(x, s, z):
        ref = kendalltau(np.arange(len(row)), row, method="asymptotic")
        if si == 0:
            assert ref.statistic == pytest.approx(0, abs=1e-12)
            continue
        var = ((abs(si) - 1) / zi) ** 2
        assert 2 * norm.sf(abs(si) / np.sqrt(var)) == pytest.approx(ref.pvalue, rel=1e-9)
        assert np.sign(zi) == np.sign(ref.statistic)


def test_emerging_patterns_new_and_intensifying():
    grid = _square_grid(20)
    rng = np.random.default_rng(9)
    steps = 10
    counts = rng.poisson(1.5, (steps, grid.n))
    grow = grid.positions(np.array([5, 6, 4, 5, 5, 6, 4]), np.array([5, 5, 5, 6, 4, 4, 6]))
    for k in range(steps):
        counts[k, grow] += 3 + k  # hot throughout and rising
    fresh = grid.positions(np.array([14, 15, 13, 14, 14, 15, 13]), np.array([14, 14, 14, 15, 13, 13, 15]))
    counts[-1, fresh] += 12  # hot in the last step only
    res = hs.emerging(grid, counts, [f"2024-{m:02d}" for m in range(1, steps + 1)])
    pats = dict(zip(res.cells["cell"], res.cells["pattern"]))
    centre_grow = grid.positions(np.array([5]), np.array([5]))[0]
    centre_new = grid.positions(np.array([14]), np.array([14]))[0]
    assert pats.get(centre_grow) == "intensifying"
    assert pats.get(centre_new) == "new"
    few = hs.emerging(grid, counts[:3], ["a", "b", "c"])
    assert few.status == "too few steps" and few.cells.empty


def test_grid_covers_an_area_and_points_fall_in_their_cells():
    import geopandas as gpd
    import shapely

    area = gpd.GeoSeries([shapely.box(-1.0, 52.0, -0.8, 52.1)], crs="EPSG:4326")
    grid = hs.grid_for_area(area)
    assert 90 < grid.n < 140  # 13.7 km × 11.1 km plus a 0.8 km margin, at 1.66 km² a cell
    cells = hs.assign_cells(np.array([-0.9, -0.95, np.nan, 5.0]), np.array([52.05, 52.02, 52.0, 50.0]), grid)
    assert cells[0] >= 0 and cells[1] >= 0 and cells[2] == -1 and cells[3] == -1


# --------------------------------------------------------------------------- seasonal


def _seasonal_table(n_series: int, months: list[str], base: float, rng) -> tuple[CountTable, np.ndarray]:
    moy = np.array([int(m[5:]) - 1 for m in months])
    lam = base * np.exp(0.5 * np.sin(2 * np.pi * moy / 12))
    y = rng.poisson(lam, (n_series, len(months)))
    return CountTable(pd.Index(range(n_series)), tuple(months), np.ones(len(months), bool), y), lam


def test_batched_fit_equals_statsmodels():
    import statsmodels.api as sm

    months = month_span("2021-01", "2024-06")
    table, _ = _seasonal_table(3, months, 6, np.random.default_rng(1))
    x = se.design(months, 2)
    w = np.ones((3, len(months)))
    w[1, 10] = 0
    fit = se.fit_poisson(x, table.counts, w)
    for i in range(3):
        ref = sm.GLM(table.counts[i], x, family=sm.families.Poisson(), freq_weights=w[i]).fit()
        np.testing.assert_allclose(fit.beta[i], ref.params, atol=1e-6)
        np.testing.assert_allclose(fit.cov_unscaled[i], ref.cov_params(), atol=1e-6)
        assert fit.dispersion[i] == pytest.approx(max(1.0, ref.pearson_chi2 / ref.df_resid), rel=1e-6)


def test_negative_binomial_equals_scipy_stats():
    from scipy.stats import nbinom

    mean = np.array([0.7, 4.0, 12.5, 60.0, 380.0])
    var = mean * np.array([1.01, 1.5, 2.0, 1.2, 3.0])
    ours = se.predictive(mean, var)
    ref = nbinom(mean**2 / (var - mean), mean / var)
    for q in (0.05, 0.5, 0.95):
        np.testing.assert_array_equal(ours.ppf(q), ref.ppf(q))
    k = np.array([0, 3, 15, 70, 450])
    np.testing.assert_allclose(ours.sf(k - 1), ref.sf(k - 1), rtol=1e-9, atol=1e-15)


def test_flag_rate_is_near_and_never_above_the_nominal_level():
    months = month_span("2021-01", "2024-12")
    table, _ = _seasonal_table(800, months, 9, np.random.default_rng(4))
    ex = se.expected_counts(table, assess=[months[-1]])
    rate = ex.frame["flag"].mean()
    assert 0.01 <= rate <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / 800)
    inside = ((ex.frame["observed"] >= ex.frame["low"]) & (ex.frame["observed"] <= ex.frame["high"])).mean()
    assert inside >= 0.88  # a 90% range (counts are whole numbers, so a little more)


def test_a_planted_spike_is_flagged_and_said_in_words():
    months = month_span("2022-01", "2024-10")
    table, lam = _seasonal_table(40, months, 8, np.random.default_rng(8))
    table.counts[:, -1] = np.round(lam[-1] * 3)
    ex = se.expected_counts(table, assess=[months[-1]])
    assert ex.frame["flag"].all()
    words = se.month_words(ex.frame.iloc[0])
    assert words.startswith("October 2024") and "unusual" in words


def test_missing_months_are_left_out_and_short_history_is_said():
    months = month_span("2023-01", "2024-04")
    y = np.full((1, len(months)), 6)
    covered = np.ones(len(months), bool)
    covered[3:9] = False  # six months with no file
    y[0, 3:9] = 0
    table = CountTable(pd.Index(["county"]), tuple(months), covered, y)
    ex = se.expected_counts(table)
    assert set(ex.frame["month"]) == {m for m, c in zip(months, covered) if c}
    assert (ex.frame["status"] == "too little history").all()
    assert "Too little history" in se.month_words(ex.frame.iloc[-1])
    assert not ex.frame["flag"].any()


def test_small_counts_are_never_flagged():
    months = month_span("2021-01", "2024-12")
    y = np.zeros((1, len(months)), int)
    y[0, ::4] = 1
    y[0, -1] = 4  # far above a near-zero expectation, but under 5
    ex = se.expected_counts(CountTable(pd.Index(["w"]), tuple(months), np.ones(len(months), bool), y), [months[-1]])
    assert not ex.frame["flag"].any()


def test_calendar_is_the_typical_year_over_covered_months():
    months = month_span("2022-01", "2023-12")
    y = np.tile(np.r_[np.full(9, 2), [10, 12, 11]], 2)[None, :]
    cov = np.ones(24, bool)
    cov[0] = False  # January 2022 not loaded: January's mean comes from one year
    y = y.copy()
    y[0, 0] = 0
    cal = se.calendar(CountTable(pd.Index(["vehicle crime"]), tuple(months), cov, y))
    jan = cal[cal["month_of_year"] == 1].iloc[0]
    assert jan["mean"] == 2 and jan["years"] == 1
    assert cal[cal["month_of_year"] == 11]["mean"].iloc[0] == 12
    words = se.calendar_words(cal)
    assert "Jan is covered fewer than 2 times" in words[0]
    full = se.calendar(
        CountTable(pd.Index(["vehicle crime"]), tuple(months), np.ones(24, bool), np.tile(y[0, 12:], 2)[None])
    )
    assert se.calendar_words(full) == ["Vehicle crime peaks in Oct–Dec: 2.6 times its average month."]


# --------------------------------------------------------------------------- impact


def _panel(rng, effect: float, months: list[str], start: str, wards: int = 60):
    codes = [f"W{i:02d}" for i in range(wards)]
    level = np.exp(rng.normal(np.log(4), 0.5, wards))
    common = np.exp(rng.normal(0, 0.15, len(months)) + 0.3 * np.sin(np.arange(len(months)) * 2 * np.pi / 12))
    lam = level[:, None] * common[None, :]
    lam[0, np.arange(len(months)) > months.index(start)] *= effect
    y = rng.poisson(lam)
    return CountTable(pd.Index(codes), tuple(months), np.ones(len(months), bool), y), codes


@pytest.mark.parametrize("effect", [0.6, 1.0])
def test_impact_interval_covers_the_known_effect_at_about_the_nominal_rate(effect):
    months = month_span("2023-01", "2024-12")
    rng = np.random.default_rng(21 if effect < 1 else 22)
    runs, covered, verdicts = 80, 0, []
    for _ in range(runs):
        table, codes = _panel(rng, effect, months, "2024-01")
        kind = pd.Series([True] * 40 + [False] * 20, index=codes)
        r = im.evaluate(table, ["W00"], dt.date(2024, 1, 10), kind, months=6, category="burglary")
        verdicts.append(r.verdict)
        if r.status == "measured":
            covered += r.low <= effect <= r.high
            assert set(r.controls) <= set(codes[:40]) and "W00" not in r.controls
    measured = sum(v != "too few crimes to tell" for v in verdicts)
    assert covered / measured >= 0.90  # nominal 95%
    if effect == 1.0:
        assert verdicts.count("no evidence of an effect") / runs >= 0.85
    else:
        assert verdicts.count("likely an effect") / runs >= 0.2


def test_impact_words_and_guards():
    months = month_span("2023-01", "2024-12")
    table, codes = _panel(np.random.default_rng(1), 0.3, months, "2024-01")
    table.counts[0] *= 3
    kind = pd.Series([True] * 60, index=codes)
    r = im.evaluate(table, ["W00"], dt.date(2024, 1, 10), kind, months=6, category="burglary")
    assert r.status == "measured" and r.verdict == "likely an effect"
    assert r.sentence.startswith("Fell by") and "more than comparable wards" in r.sentence
    # a month without data in a window: no comparison
    gap = CountTable(table.areas, table.months, table.covered.copy(), table.counts)
    gap.covered[months.index("2023-09")] = False
    assert im.evaluate(gap, ["W00"], dt.date(2024, 1, 10), kind, category="burglary").status == "incomplete"
    # tiny counts
    tiny = CountTable(table.areas, table.months, table.covered, np.minimum(table.counts, 0))
    assert (
        im.evaluate(tiny, ["W00"], dt.date(2024, 1, 10), kind, category="burglary").verdict == "too few crimes to tell"
    )
    # the action's busy neighbours are never comparable
    busy = codes[1:58]
    assert (
        im.evaluate(table, ["W00"], dt.date(2024, 1, 10), kind, busy=busy, category="burglary").status
        == "no comparison"
    )


def test_rollup_pools_actions_of_a_type():
    rows = pd.DataFrame(
        {
            "action_type": ["Patrol", "Patrol", "Patrol", "Signage", "Signage"],
            "status": ["measured", "measured", "too few", "measured", "incomplete"],
            "log_ratio": [np.log(0.6), np.log(0.7), np.nan, np.log(1.05), np.nan],
            "log_se": [0.1, 0.12, np.nan, 0.3, np.nan],
        }
    )
    out = im.rollup(rows).set_index("action_type")
    assert out.loc["Patrol", "measured"] == 2 and out.loc["Patrol", "too_few"] == 1
    assert out.loc["Patrol", "high"] < 1 and out.loc["Patrol", "verdict"] == "followed by falls beyond comparable wards"
    assert out.loc["Signage", "verdict"] == "no evidence either way"
