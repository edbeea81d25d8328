"""Importing and exporting actions as CSV: every bad row reported with its line and reason, the
good ones imported in one transaction, a repeated import changing nothing; the commands."""

from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa
from actions_helpers import SYSTEM, WARDS, patrol

from ruralaction.actions import (
    Actor,
    ImportFileError,
    add_action,
    export_csv,
    import_csv,
    list_actions,
)
from ruralaction.actions.models import AuditEntry
from ruralaction.actions.users import add_user
from ruralaction.cli import main

HEADER = (
    "reference,title,wards,lead_partner,issue,action_type,status,completed_on,planned_on,visible,description,"
    "supporting_partners"
)
GOOD = [
    'P-1,Night patrols,E05900001,Police,Burglary,Patrol,completed,2025-03-01,,yes,"Patrols of farm tracks, two weeks",'
    "Farm Watch; NFU",
    "P-2,Marking day,Castle,Farm Watch,Machinery theft,Property marking,completed,14/03/2025,,no,,",
    "P-3,Gates on the green lane,E05900002; Moulton,Highways,Criminal damage,Gate or road measure,planned,,2099-01-01,no,,",
]


def csv_of(*lines: str) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


def audit_count(engine) -> int:
    with sa.orm.Session(engine) as s:
        return s.scalar(sa.select(sa.func.count()).select_from(AuditEntry))


def test_good_rows_import_and_a_repeated_import_changes_nothing(actions_db):
    report = import_csv(actions_db, csv_of(*GOOD), SYSTEM, WARDS, name="partners.csv")
    assert (report.rows, report.added, report.updated, report.unchanged, report.problems) == (3, 3, 0, 0, [])
    df = list_actions(actions_db).set_index("reference")
    assert df.loc["P-1", "supporting_partners"] == "Farm Watch; NFU" and df.loc["P-1", "visible"]
    assert df.loc["P-1", "description"] == "Patrols of farm tracks, two weeks"
    assert df.loc["P-2", "ward_codes"] == ("E05900002",)  # by name
    assert df.loc["P-2", "completed_on"].isoformat() == "2025-03-14"  # DD/MM/YYYY
    assert df.loc["P-3", "ward_codes"] == ("E05900002", "E05900003")
    entries = audit_count(actions_db)

    again = import_csv(actions_db, csv_of(*GOOD), SYSTEM, WARDS)
    assert (again.added, again.updated, again.unchanged, again.problems) == (0, 0, 3, [])
    assert audit_count(actions_db) == entries and len(list_actions(actions_db)) == 3


def test_a_changed_row_updates_its_action_and_the_audit_says_which_file_and_line(actions_db):
    import_csv(actions_db, csv_of(*GOOD), SYSTEM, WARDS)
    changed = GOOD[1].replace(",no,,", ",yes,Marked 34 items,")
    report = import_csv(actions_db, csv_of(GOOD[0], changed), SYSTEM, WARDS, name="v2.csv")
    assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
    row = list_actions(actions_db).set_index("reference").loc["P-2"]
    assert row["visible"] and row["description"] == "Marked 34 items" and row["version"] == 2
    with sa.orm.Session(actions_db) as s:
        last = s.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (last.operation, last.note) == ("update", "import v2.csv line 3")
    assert (last.before["visible"], last.after["visible"]) == (False, True)


def test_bad_rows_are_reported_with_line_and_reason_and_the_good_ones_still_import(actions_db):
    lines = [
        GOOD[0],  # line 2: good
        "P-4,,E05900001,Police,Burglary,Patrol,completed,2025-03-01,,no,,",  # 3: no title
        "P-5,No ward,,Police,Burglary,Patrol,completed,2025-03-01,,no,,",  # 4: no ward
        "P-6,Unknown ward,E05999999,Police,Burglary,Patrol,completed,2025-03-01,,no,,",  # 5
        "P-7,Bad date,E05900001,Police,Burglary,Patrol,completed,31/02/2025,,no,,",  # 6
        "P-8,Words for a date,E05900001,Police,Burglary,Patrol,completed,next week,,no,,",  # 7
        "P-1,Same reference again,E05900001,Police,Burglary,Patrol,completed,2025-03-02,,no,,",  # 8
        'P-9,"<script>alert(1)</script> & <b>bold</b>",E05900001,Police,Burglary,Patrol,completed,2025-03-01,,no,'
        '"<img src=x onerror=alert(2)>",',  # 9: good
        'P-10,"A description',  # 10-11:
        'over two lines",E05900001,Police,Fly-tipping,Clean-up,completed,2025-03-01,,no,,',  #   good
        "P-11,Unknown partner,E05900001,Ministry of Magic,Burglary,Patrol,completed,2025-03-01,,no,,",  # 12
        "P-12,Visible maybe,E05900001,Police,Burglary,Patrol,completed,2025-03-01,,perhaps,,",  # 13
        ",No reference,E05900001,Police,Burglary,Patrol,completed,2025-03-01,,no,,",  # 14
        "P-13,Finished next year,E05900001,Police,Burglary,Patrol,completed,2099-01-01,,no,,",  # 15
    ]
    report = import_csv(actions_db, csv_of(*lines), SYSTEM, WARDS)
    problems = {p.line: p.reason for p in report.problems}
    assert (report.rows, report.added) == (13, 3)
    assert sorted(problems) == [3, 4, 5, 6, 7, 8, 12, 13, 14, 15]
    assert "A title is required" in problems[3]
    assert "Choose at least one ward" in problems[4]
    assert "Unknown ward code: E05999999" in problems[5]
    assert "completed_on '31/02/2025' is not a date" in problems[6]
    assert "completed_on 'next week' is not a date" in problems[7]
    assert problems[8] == "The reference 'P-1' is already on line 2."
    assert "'Ministry of Magic' is not a partner" in problems[12]
    assert "visible 'perhaps' must be yes or no" in problems[13]
    assert "neither a reference nor an id" in problems[14]
    assert "in the future" in problems[15]
    assert report.problems[0].raw.startswith("P-4,,E05900001")
    df = list_actions(actions_db).set_index("reference")
    assert sorted(df.index) == ["P-1", "P-10", "P-9"]
    # HTML is text: stored exactly as written, never interpreted here (pages escape it)
    assert df.loc["P-9", "title"] == "<script>alert(1)</script> & <b>bold</b>"
    assert df.loc["P-9", "description"] == "<img src=x onerror=alert(2)>"
    assert df.loc["P-10", "title"] == "A description\nover two lines"


def test_the_good_rows_go_in_one_transaction(actions_db, monkeypatch):
    from ruralaction.actions import transfer

    real, calls = transfer.create_in_session, []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(transfer, "create_in_session", failing)
    with pytest.raises(RuntimeError):
        import_csv(actions_db, csv_of(*GOOD), SYSTEM, WARDS)
    assert list_actions(actions_db).empty and audit_count(actions_db) == 0


def test_a_file_without_the_required_columns_imports_nothing(actions_db):
    with pytest.raises(ImportFileError, match="Required columns missing: wards, lead_partner"):
        import_csv(
            actions_db, b"reference,title,issue,action_type,status\nP-1,x,Burglary,Patrol,completed\n", SYSTEM, WARDS
        )
    with pytest.raises(ImportFileError, match="empty"):
        import_csv(actions_db, b"", SYSTEM, WARDS)
    assert list_actions(actions_db).empty


def test_an_editor_imports_only_their_own_partners_rows(actions_db):
    add_user(actions_db, SYSTEM, "pc@police.example", "editor", "Police")
    report = import_csv(actions_db, csv_of(*GOOD), Actor(email="pc@police.example"), WARDS)
    assert report.added == 1
    assert [p.line for p in report.problems] == [3, 4]
    assert "edits Police actions only; this one is led by Farm Watch" in report.problems[0].reason
    assert list_actions(actions_db)["created_by"].tolist() == ["pc@police.example"]


def test_an_export_reimports_unchanged_even_with_formula_like_text(actions_db):
    add_action(
        actions_db,
        SYSTEM,
        patrol(
            title='=HYPERLINK("http://evil.example","click")',
            reference="F-1",
            description="-5 degrees, +2 vans",
            outcome="@everyone",
            evidence="Photos on file\n=cmd|' /C calc'!A0",
        ),
        WARDS,
    )
    add_action(
        actions_db,
        SYSTEM,
        patrol(
            title="Plain",
            latitude=52.25,
            longitude=-0.88,
            place_name="Manor Farm",
            supporting_partners=("NFU",),
            visible=True,
        ),
        WARDS,
    )  # no reference: by id
    data = export_csv(actions_db)
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads the accents right
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0]["title"].startswith("'=HYPERLINK") and rows[0]["outcome"] == "'@everyone"  # never a formula
    assert rows[0]["description"] == "'-5 degrees, +2 vans"
    assert rows[0]["evidence"] == "Photos on file\n'=cmd|' /C calc'!A0"  # a line inside a cell too
    assert rows[1]["visible"] == "yes" and rows[1]["wards"] == "E05900001"
    report = import_csv(actions_db, data, SYSTEM, WARDS)
    assert (report.added, report.updated, report.unchanged, report.problems) == (0, 0, 2, [])


def test_an_exported_row_changed_in_the_database_since_is_refused(actions_db):
    a = add_action(actions_db, SYSTEM, patrol(reference="V-1"), WARDS)
    exported = export_csv(actions_db).decode("utf-8-sig")
    from ruralaction.actions import update_action

    update_action(actions_db, SYSTEM, a.id, patrol(reference="V-1", outcome="changed online"), a.version, WARDS)
    edited = exported.replace("Night patrols of farm tracks", "Night patrols (spreadsheet edit)")
    report = import_csv(actions_db, edited.encode(), SYSTEM, WARDS)
    assert report.updated == 0 and "was changed by tests after this file was exported" in report.problems[0].reason
    assert list_actions(actions_db)["outcome"].tolist() == ["changed online"]


# --------------------------------------------------------------------------- the commands


@pytest.fixture
def data_dir(tmp_path):
    """A data directory with demo-coded ward boundaries under ours/."""
    wards = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"WD13CD": code, "WD13NM": name, "RUC11CD": "E1"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[x, 52.0], [x + 0.1, 52.0], [x + 0.1, 52.1], [x, 52.1], [x, 52.0]]],
                },
            }
            for x, (code, name) in zip((-1.0, -0.9, -0.8), WARDS.items())
        ],
    }
    folder = tmp_path / "data" / "ours" / "boundaries" / "wards"
    folder.mkdir(parents=True)
    (folder / "wards.geojson").write_text(json.dumps(wards))
    return tmp_path / "data"


def test_import_and_export_commands(data_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("RURALACTION_DB_URL", raising=False)
    src = tmp_path / "in.csv"
    src.write_bytes(csv_of(GOOD[0], "P-4,,E05900001,Police,Burglary,Patrol,completed,2025-03-01,,no,,", GOOD[1]))
    rejected = tmp_path / "rejected.csv"
    assert main(["actions", "import", str(src), "--data-dir", str(data_dir), "--rejected", str(rejected)]) == 0
    out = capsys.readouterr().out
    assert "3 rows read: 2 added, 0 updated, 0 unchanged, 1 refused." in out and "Line 3: A title is required." in out
    assert list(csv.DictReader(rejected.open(encoding="utf-8-sig")))[0]["line"] == "3"
    assert (data_dir / "ruralaction.db").is_file()  # the default database lives in the data dir

    out_csv = tmp_path / "out.csv"
    assert main(["actions", "export", str(out_csv), "--data-dir", str(data_dir)]) == 0
    assert "Wrote 2 ours actions" in capsys.readouterr().out
    assert [r["reference"] for r in csv.DictReader(io.StringIO(out_csv.read_text("utf-8-sig")))] == ["P-1", "P-2"]
    assert main(["actions", "import", str(out_csv), "--data-dir", str(data_dir)]) == 0
    assert "2 rows read: 0 added, 0 updated, 2 unchanged, 0 refused." in capsys.readouterr().out

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_of("P-4,,E05900001,Police,Burglary,Patrol,completed,2025-03-01,,no,,"))
    assert main(["actions", "import", str(bad), "--data-dir", str(data_dir)]) == 1  # nothing usable
    (tmp_path / "nocols.csv").write_text("a,b\n1,2\n")
    assert main(["actions", "import", str(tmp_path / "nocols.csv"), "--data-dir", str(data_dir)]) == 2
    assert "Required columns missing" in capsys.readouterr().err
