"""Data versions (#12.1) and roles on every data write (#11.1): every change is all-or-nothing
and can be undone; a process killed at any point of a change leaves the previous version whole
and no stray files after the next start; nobody but an admin changes the data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from policeuk import csv_text, row

from ruralaction.cli import main
from ruralaction.incidents import versions
from ruralaction.incidents.store import Store, StoreError
from ruralaction.incidents.versions import KILL_POINTS
from ruralaction.measures import store_queries as sq
from ruralaction.permissions import ANONYMOUS, Actor, PermissionDenied, Role
from ruralaction.settings import VERSION_GRACE_DEFAULT, VERSION_GRACE_ENV

ROOT = Path(__file__).resolve().parent.parent
ADMIN = Actor(email="admin@pcc.example", role=Role.ADMIN)
EDITOR = Actor(email="pc@police.example", role=Role.EDITOR, partner="Police")
NO_ROLE = Actor(email="someone@example.org")
WARDS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"WD13CD": "W1", "WD13NM": "Brixworth"},
            "geometry": {"type": "Polygon", "coordinates": [[[-1, 52], [-0.8, 52], [-0.8, 52.2], [-1, 52]]]},
        }
    ],
}


def upload(name, ids, month="2024-01"):
    return (name, csv_text([row(i, month=month) for i in ids]).encode())


def crime_ids(store: Store) -> list[str]:
    return sorted(store.load("ours").incidents["crime_id"])


def tree(root: Path) -> list[str]:
    """Every file under the data directory except the lock and the audit log."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.name not in (".store.lock", "audit.jsonl")
    )


def test_each_change_is_a_version_that_undo_removes(tmp_path, monkeypatch):
    monkeypatch.setenv(VERSION_GRACE_ENV, "0")  # no grace for readers: removed at once
    store = Store(tmp_path)
    store.add_incidents([upload("a.csv", ["a1", "a2"])], actor=ADMIN)
    first = store.versions.current_id()
    store.add_incidents([upload("b.csv", ["b1"], month="2024-02")], actor=ADMIN)
    second = store.versions.current_id()
    assert crime_ids(store) == ["a1", "a2", "b1"] and second > first
    assert [v.id for v in store.versions.list()] == [second, first]
    assert store.versions.get(second).parent == first and store.versions.get(second).actor == ADMIN.email

    back = store.undo(ADMIN)
    assert back.id == first and crime_ids(store) == ["a1", "a2"]
    assert not (tmp_path / "versions" / second).exists(), "the undone version's files are removed"
    with pytest.raises(StoreError, match="no earlier data version"):
        store.undo(ADMIN)

    store.set_active("demo", actor=ADMIN)
    assert store.active() == "demo"
    store.use("1", ADMIN)  # back to version 1's content, as a new version
    assert store.active() == "ours" and store.versions.current().action == "back to version 1"
    actions = [e["action"] for e in store.versions.audit_log()]
    assert actions == ["back to version 1", "show demo data", "undo", "add incident files", "add incident files"]


def test_a_legacy_data_directory_becomes_version_one_and_can_be_returned_to(tmp_path):
    legacy = tmp_path / "ours" / "police_uk" / "2024-01"
    legacy.mkdir(parents=True)
    (legacy / "2024-01-x-street.csv").write_text(csv_text([row("old")]))
    store = Store(tmp_path)
    assert store.versions.current_id() is None and crime_ids(store) == ["old"]
    store.add_incidents([upload("n.csv", ["new"], month="2024-02")], actor=ADMIN)
    assert crime_ids(store) == ["new", "old"] and not (tmp_path / "ours").exists()
    assert [v.action for v in store.versions.list()] == ["add incident files", "start versions"]
    store.undo(ADMIN)
    assert crime_ids(store) == ["old"]


def test_delete_upload_and_geography_are_versions_too(tmp_path):
    store = Store(tmp_path)
    store.add_incidents([upload("a.csv", ["a1"])], actor=ADMIN)
    store.add_geography("wards.geojson", json.dumps(WARDS).encode(), actor=ADMIN)
    names = [u.name for u in store.uploads()]
    assert "boundaries/wards.geojson" in names and any(n.startswith("police_uk/") for n in names)
    store.delete_upload(next(n for n in names if n.startswith("police_uk/")), actor=ADMIN)
    assert not store.has_incidents("ours") and store.active() == "demo"
    with pytest.raises(StoreError, match="no upload"):
        store.delete_upload("police_uk/../../etc", actor=ADMIN)
    store.undo(ADMIN)
    assert crime_ids(store) == ["a1"]


@pytest.mark.parametrize("actor", [ANONYMOUS, NO_ROLE, EDITOR], ids=["anonymous", "no role", "editor"])
def test_every_data_write_needs_an_admin(tmp_path, actor):
    store = Store(tmp_path)
    writes = {
        "upload": lambda: store.add_incidents([upload("a.csv", ["a"])], actor=actor),
        "geography": lambda: store.add_geography("w.geojson", json.dumps(WARDS).encode(), actor=actor),
        "geography folder": lambda: store.add_geography_folder(tmp_path, actor=actor),
        "dataset switch": lambda: store.set_active("demo", actor=actor),
        "demo build": lambda: store.ensure_demo(actor=actor),
        "demo rebuild": lambda: store.build_demo(actor=actor),
        "delete upload": lambda: store.delete_upload("police_uk/x", actor=actor),
        "undo": lambda: store.undo(actor),
        "use a version": lambda: store.use("1", actor),
        "any change": lambda: store.change(actor, "fetch").__enter__(),
    }
    for what, write in writes.items():
        with pytest.raises(PermissionDenied):
            write()
            pytest.fail(f"{what} was allowed for {actor.label}")
    assert tree(tmp_path) == [] and not (tmp_path / "audit.jsonl").exists()


def test_cli_lists_undoes_and_goes_back(tmp_path, capsys):
    store = Store(tmp_path)
    store.add_incidents([upload("a.csv", ["a1"])], actor=ADMIN)
    store.add_incidents([upload("b.csv", ["b1"], month="2024-02")], actor=ADMIN)
    assert main(["data", "versions", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0].startswith("* 2 ·") and "admin@pcc.example · add incident files" in out[0]
    assert main(["data", "undo", "--data-dir", str(tmp_path)]) == 0
    assert crime_ids(store) == ["a1"]
    assert main(["data", "use", "7", "--data-dir", str(tmp_path)]) == 1
    assert "no single data version '7'" in capsys.readouterr().err
    assert main(["data", "audit", "--data-dir", str(tmp_path)]) == 0
    assert "command line (" in capsys.readouterr().out


# ----------------------------------------------------------------------------- crashes

_WRITER = """
import sys
from pathlib import Path
from policeuk import csv_text, row
from ruralaction.incidents.store import Store
from ruralaction.permissions import Actor, Role
admin = Actor(email="admin@pcc.example", role=Role.ADMIN)
store = Store(Path(sys.argv[1]))
if sys.argv[2] == "undo":
    store.undo(admin)
else:
    store.add_incidents([("b.csv", csv_text([row("b1", month="2024-02"), row("b2", month="2024-02")]).encode())],
                        actor=admin)
"""


def _killed_at(root: Path, point: str, what: str = "add") -> int:
    env = {**os.environ, "RURALACTION_STORE_KILL_AT": point, "PYTHONPATH": f"{ROOT}:{ROOT / 'tests'}"}
    return subprocess.run(
        [sys.executable, "-c", _WRITER, str(root), what], check=False, env=env, timeout=120
    ).returncode


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_change_killed_at_any_point_leaves_a_whole_version_and_no_stray_files(tmp_path, point, monkeypatch):
    monkeypatch.setenv(VERSION_GRACE_ENV, "0")  # undone versions go at the next change (the grace: below)
    store = Store(tmp_path)
    store.add_incidents([upload("a.csv", ["a1"])], actor=ADMIN)
    before = store.versions.current_id()
    files_before = tree(tmp_path)
    if point == "undo-switched":
        store.add_incidents([upload("b.csv", ["b1", "b2"], month="2024-02")], actor=ADMIN)
        assert _killed_at(tmp_path, point, "undo") == -9
        assert crime_ids(store) == ["a1"] and store.versions.current_id() == before  # the undo happened
    elif point == "undo-retired":  # killed after recording the undone version, before the switch
        store.add_incidents([upload("b.csv", ["b1", "b2"], month="2024-02")], actor=ADMIN)
        files_before, before = tree(tmp_path), store.versions.current_id()
        assert _killed_at(tmp_path, point, "undo") == -9
        assert crime_ids(store) == ["a1", "b1", "b2"] and store.versions.current_id() == before  # not undone
        assert [v.id for v in store.versions.list()][0] == before
    else:
        assert _killed_at(tmp_path, point) == -9
        if point == "switched":  # killed after the switch: the new version is whole and shown
            assert crime_ids(store) == ["a1", "b1", "b2"]
            assert store.versions.current().parent == before
        else:  # killed before the switch: the previous version, whole and untouched
            assert store.versions.current_id() == before and crime_ids(store) == ["a1"]
            assert [v.id for v in store.versions.list()] == [before]
    # The next change (any process) cleans what the killed one left, then works.
    shown = store.versions.current_id()
    store.add_incidents([upload("c.csv", ["c1"], month="2024-03")], actor=ADMIN)
    store.undo(ADMIN)
    assert store.versions.current_id() == shown
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".") and p.name != ".store.lock"]
    assert leftovers == []
    if point in ("staged", "renamed", "undo-retired", "undo-switched"):
        assert tree(tmp_path) == files_before, "exactly the previous version's files, nothing else"


def test_another_process_sees_a_new_version_at_its_next_look_and_a_reader_keeps_its_own(tmp_path):
    writer, reader = Store(tmp_path), Store(tmp_path)
    writer.add_incidents([upload("a.csv", ["a1"])], actor=ADMIN)
    seen, folder = reader.version("ours"), reader.versions.current_dir()
    writer.add_incidents([upload("b.csv", ["b1"], month="2024-02")], actor=ADMIN)
    assert reader.version("ours") != seen and crime_ids(reader) == ["a1", "b1"], "no restart needed"
    # A reader that resolved the version before the switch still reads that version, whole.
    old = Store(tmp_path).classified("ours")
    assert folder.is_dir() and (folder / "manifest.json").is_file()
    from ruralaction.incidents.columnar import read_classified

    assert sorted(read_classified(folder, "ours").incidents["crime_id"]) == ["a1"]
    assert sorted(old.incidents["crime_id"]) == ["a1", "b1"]


def test_a_change_that_does_not_touch_a_dataset_keeps_its_classified_files(tmp_path):
    store = Store(tmp_path)
    store.add_incidents([upload("a.csv", ["a1"])], actor=ADMIN)
    rows = sorted((store.versions.current_dir() / "classified" / "ours" / "rows").rglob("*.parquet"))
    store.set_active("demo", actor=ADMIN)
    after = sorted((store.versions.current_dir() / "classified" / "ours" / "rows").rglob("*.parquet"))
    assert [p.stat().st_ino for p in after] == [p.stat().st_ino for p in rows], "not classified again"


# ----------------------------------------------------------------------------- readers in other instances


def test_a_reader_holding_an_undone_version_keeps_answering_until_the_grace_period_ends(tmp_path, monkeypatch):
    monkeypatch.delenv(VERSION_GRACE_ENV, raising=False)  # the default grace
    store = Store(tmp_path)
    store.add_incidents([upload("a.csv", ["a1"])], actor=ADMIN)
    store.add_incidents([upload("b.csv", ["b1", "b2"], month="2024-02")], actor=ADMIN)
    undone = store.versions.current_dir()
    view = sq.StoreView.of(undone, "ours")  # another instance's view, resolved before the undo
    seen = sq.headline(view)
    assert seen.incidents == 3 and seen.months == 2

    back = store.undo(ADMIN)
    assert crime_ids(store) == ["a1"] and back.id == store.versions.current_id()
    assert sq.headline(view) == seen, "the undone version still answers its reader"
    assert undone.name not in [v.id for v in store.versions.list()], "but it is no longer listed"
    with pytest.raises(StoreError, match="no single data version"):
        store.use(undone.name, ADMIN)
    store.add_incidents([upload("c.csv", ["c1"], month="2024-03")], actor=ADMIN)  # a change within the grace
    assert sq.headline(view) == seen and [v.number for v in store.versions.list()] == [3, 1]

    later = versions._now() + timedelta(seconds=VERSION_GRACE_DEFAULT + 1)
    monkeypatch.setattr(versions, "_now", lambda: later)
    store.set_active("demo", actor=ADMIN)  # the first change after the grace removes it
    assert not undone.exists() and store.versions.retired() == {}
    assert [v.number for v in store.versions.list()] == [4, 3, 1] and crime_ids(store) == ["a1", "c1"]


def test_versions_past_those_kept_are_removed_only_after_the_grace_period(tmp_path, monkeypatch):
    monkeypatch.setenv(VERSION_GRACE_ENV, "5")
    store = Store(tmp_path)
    store.add_incidents([upload("a.csv", ["a1"])], actor=ADMIN)
    oldest = store.versions.current_dir()
    view = sq.StoreView.of(oldest, "ours")
    for dataset in ("demo", "ours", "demo"):
        store.set_active(dataset, actor=ADMIN)
    with store.versions.lock():
        store.versions.prune(keep=2)
    first_two = sorted(p.name for p in (tmp_path / "versions").iterdir())[:2]
    assert [v.number for v in store.versions.list()] == [4, 3] and sorted(store.versions.retired()) == first_two
    assert oldest.is_dir() and sq.headline(view).incidents == 1, "a reader of a pruned version keeps answering"
    with pytest.raises(StoreError, match="no single data version"):
        store.use("1", ADMIN)
    later = versions._now() + timedelta(seconds=6)
    monkeypatch.setattr(versions, "_now", lambda: later)
    with store.versions.lock():
        removed = store.versions.cleanup()
    assert sorted(p.name for p in removed) == first_two and not oldest.exists()
    assert [p.name[:6] for p in sorted((tmp_path / "versions").iterdir())] == ["000003", "000004"]
    assert not (tmp_path / "retired.json").exists()


_READER = """
import sys
from pathlib import Path
from ruralaction.incidents.versions import Versions
from ruralaction.measures import store_queries as sq
root, stop = Path(sys.argv[1]), Path(sys.argv[2])
sq.ANSWER_MAX_BYTES = -1  # every query reads the files (no kept answers): a query a new viewer starts
versions, views, shown, before = Versions(root), {}, None, None
while True:
    vid = versions.current_id()
    if vid != shown:
        before, shown = shown, vid
    # the version shown now, and the one shown before it (a query another session started then)
    for v in (shown, before):
        if v is not None:
            if v not in views:  # one view per version, kept like the app's cache
                views[v] = sq.StoreView.of(root / "versions" / v, "ours")
            h = sq.headline(views[v])
            print(v, h.incidents, h.months, flush=True)
    if stop.exists():
        break
"""


@pytest.mark.parametrize("grace", ["600", "0"], ids=["grace", "no grace"])
def test_a_reader_process_sees_old_or_new_totals_while_versions_switch(tmp_path, monkeypatch, grace):
    """Another process queries in a loop while this one goes back and forth between two
    versions: every answer is one version's whole totals, never a mix or an error. Without the
    grace period (the old behaviour) the reader's query of the undone version fails."""
    monkeypatch.setenv(VERSION_GRACE_ENV, grace)
    store = Store(tmp_path)
    store.add_incidents([upload("a.csv", ["a1"])], actor=ADMIN)
    store.add_incidents([upload("b.csv", ["b1", "b2"], month="2024-02")], actor=ADMIN)
    totals = {"a": "1 1", "b": "3 2"}
    content = {store.versions.list()[1].id: "a", store.versions.current_id(): "b"}
    stop = tmp_path / "stop"
    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'tests'}"}
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(tmp_path), str(stop)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []

    def seen(vid: str) -> bool:
        """Read the reader's answers until one is from ``vid`` (False: the reader stopped)."""
        for line in reader.stdout:
            lines.append(line)
            if line.startswith(vid):
                return True
        return False

    try:
        alive = seen(store.versions.current_id())
        for _ in range(4 if alive else 0):
            content[store.use("1", ADMIN).id] = "a"
            if not seen(store.versions.current_id()):
                break
            store.undo(ADMIN)
            if not seen(store.versions.current_id()):
                break
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    lines += out.splitlines(keepends=True)
    answers = [line.split(" ", 1) for line in lines]
    assert answers and all(rest.strip() == totals[content[vid]] for vid, rest in answers), "one version's totals"
    if grace == "0":
        assert reader.returncode != 0 and "IO Error" in err, "without the grace the reader fails"
        return
    assert reader.returncode == 0, err
    assert {content[vid] for vid, _ in answers} == {"a", "b"} and len({vid for vid, _ in answers}) == 1 + 4
