"""The meeting pack (HTML and PDF, from the library and the command line) and chart images.

Drawing charts (kaleido) and printing PDFs need Chromium, so those tests carry the ``browser``
marker: skipped on a laptop without it, a failure under ``CI=true`` (see ``conftest.py``).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import shutil
import unicodedata

import pytest
from progress_helpers import action, actions, incidents, monthly_rows, months_between

from ruralaction.cli import main
from ruralaction.measures.periods import financial_year, parse_period
from ruralaction.progress import charts
from ruralaction.progress.config import load_progress_config
from ruralaction.progress.scorecard import build_scorecard
from ruralaction.reports import pack as report


@pytest.fixture(scope="module")
def pack_root(demo_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("pack")
    shutil.copytree(demo_dir, root / "demo")
    return root


def expected_scorecard(root, period: str, ward: str | None = None):
    """The scorecard the pack should show, computed again from the same store and database."""
    from ruralaction.actions import list_actions, open_database
    from ruralaction.incidents.store import Store

    store = Store(root)
    data = store.load("demo")
    engine = open_database(f"sqlite:///{root / 'ruralaction.db'}")
    try:
        acts = list_actions(engine, "demo")
        concerns, note, issues = report.read_concerns(engine, "demo")
    finally:
        engine.dispose()
    wards = data.geography.wards
    return build_scorecard(
        data.incidents,
        acts,
        concerns,
        parse_period(period),
        load_progress_config(),
        read_at=dt.datetime.now(),
        ward=ward,
        ward_names=dict(zip(wards["ward_code"], wards["ward_name"])),
        county=data.definition.county,
        demo=True,
        issues_for=issues,
        concerns_note=note,
    )


def pdf_text(body: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    text = unicodedata.normalize("NFKC", " ".join(p.extract_text() for p in reader.pages))  # "ﬁ" ligatures -> "fi"
    return " ".join(text.split())  # lines joined: words as printed


@pytest.mark.browser
def test_the_command_line_writes_the_html_pack_with_the_periods_scorecard(pack_root, tmp_path, capsys):
    out = tmp_path / "pack.html"
    assert main(["report", "--data-dir", str(pack_root), "--period", "2024-25", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Financial year 2024-25 (Apr 2024 – Mar 2025)" in printed and str(out) in printed
    page = out.read_text("utf-8")
    sc = expected_scorecard(pack_root, "2024-25")
    assert "Financial year 2024-25 (Apr 2024 – Mar 2025)" in page
    for s in sc.scores:
        assert f"<td class='n value'>{html.escape(s.value_text)}</td>" in page, s.key
        assert html.escape(s.status.text) in page
    assert sc.score("rural_crime").value_text == f"{int(sc.categories['crimes'].sum()):,}"
    assert "Demo data — generated, not real incidents" in page
    assert page.count("src='data:image/svg+xml;base64,") == 3  # map, trend, actions per month
    assert "<script" not in page and "http://" not in page and "https://" not in page  # self-contained
    # the PDF printed from it carries the same figures
    text = pdf_text(report.html_to_pdf(page))
    assert text.startswith("Rural Action: progress against the three aims")
    for s in sc.scores:
        assert s.value_text in text, s.key
    assert "Off track" in text or "On track" in text


@pytest.mark.browser
def test_the_command_line_writes_a_ward_pdf_from_the_extension(pack_root, tmp_path, demo_dir):
    import json

    wards = json.loads(next((demo_dir / "boundaries").rglob("*.geojson")).read_text())["features"]
    rural = next(w["properties"] for w in wards if w["properties"].get("RUC11CD", "").startswith("E"))
    code, name = rural["WD13CD"], rural["WD13NM"]
    out = tmp_path / "ward.pdf"
    assert main(["report", "--data-dir", str(pack_root), "--ward", code, "--out", str(out)]) == 0
    body = out.read_bytes()
    assert body.startswith(b"%PDF-")
    text = pdf_text(body)
    # The ward's class, with its basis, as every page and download gives it (issue #13).
    assert (
        f"{name} · Financial year 2025-26 (Apr 2025 – Mar 2026) · Rural ward (class in the ward boundary file)" in text
    )
    sc = expected_scorecard(pack_root, "2025-26", code)
    assert f"{sc.score('rural_crime').value_text}" in text
    assert "Not rated" in text  # county targets are not rated for one ward


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "pack.docx"], "must end in .html or .pdf"),
        (["--period", "2025-27", "--out", "p.html"], "not a financial year"),
    ],
)
def test_the_command_line_refuses_a_wrong_format_or_period(pack_root, tmp_path, capsys, args, message):
    args = [a if not a.startswith("p") or "." not in a else str(tmp_path / a) for a in args]
    assert main(["report", "--data-dir", str(pack_root), *args]) == 2
    assert message in capsys.readouterr().err


def _small_pack(title: str) -> report.Pack:
    rows = [{"month": m, "rural": False} for m in months_between("2024-04", "2026-03")]
    rows += monthly_rows({"2024-05": 20}) + monthly_rows({"2025-05": 17})
    df = incidents(rows)
    acts = actions(
        [
            action("2025-06-01", title=title, visible=True, lead="NFU", support="Police"),
            action("2025-07-01", title="Gate checks", wards=("W2",)),
        ]
    )
    sc = build_scorecard(
        df,
        acts,
        None,
        financial_year(2025),
        load_progress_config(),
        read_at=dt.datetime(2026, 6, 1, 12),
        ward_names={"W1": "Brix<b>worth</b>"},
        county="Tinyshire",
        concerns_note="No concerns recorded yet.",
    )
    return report.build_pack(sc, acts, df, None, None, ())


def test_the_pack_escapes_text_from_the_data_and_says_when_charts_are_missing():
    evil = "<script>alert(1)</script> Night patrols & more"
    pack = _small_pack(evil)
    page = report.pack_html(pack, images={}, image_error="no Chromium on this machine")
    assert "<script>" not in page and html.escape(evil) in page
    assert "the chart could not be drawn (no Chromium on this machine)" in page
    assert "2 actions taken, newest first." in page and "★ Visible" in page
    assert "<td class='n value'>17</td>" in page  # rural crimes in 2025-26
    assert "No concerns recorded yet." in page
    assert [c.name for c in pack.charts] == ["rural-crime-trend", "actions-per-month"]  # no wards: no map
    assert report.file_name(pack.scorecard, "pdf") == "rural-action-pack-2025-26-county.pdf"


@pytest.mark.browser
def test_a_chart_is_saved_as_png_by_kaleido_with_its_data_as_csv():
    from ruralaction.exports import csv_bytes

    chart = _small_pack("Patrol").charts[1]
    body = charts.png(chart.fig, width=800, height=400)
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(body[16:20], "big"), int.from_bytes(body[20:24], "big")
    assert (width, height) == (1600, 800)  # twice the pixels, for print
    text = csv_bytes(chart.data).decode("utf-8-sig")
    assert text.splitlines()[0] == "month,visible,not_visible" and "2025-06,1,0" in text
