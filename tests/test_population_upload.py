"""The ONS LSOA population file through the Data page's geography upload and ``load --geography``:
recognised by its header, checked row by row, refused whole with file, line, column and why,
and nothing kept when refused."""

from __future__ import annotations

import pytest

from ruralaction.cli import main
from ruralaction.geography.boundaries import GeographyError
from ruralaction.geography.population import read_population_folder
from ruralaction.incidents.store import Store
from ruralaction.permissions import Actor, Role

ONS = (
    "Mid-2022 population estimates for 2021 Lower layer Super Output Areas (LSOAs) in England and Wales\n"
    "Source: Office for National Statistics\n"
    "\n"
    "LAD 2021 Code,LAD 2021 Name,LSOA 2021 Code,LSOA 2021 Name,Total,F0,M0\n"
    'E06000062,West Northamptonshire,E01027000,Daventry 001A,"1,712",9,11\n'
    "E06000062,West Northamptonshire,E01027001,Daventry 001B,1480,8,7\n"
)


ADMIN = Actor(email="admin@pcc.example", role=Role.ADMIN)


def test_upload_is_recognised_and_kept(tmp_path):
    store = Store(tmp_path)
    kind, dest = store.add_geography("mid-2022 lsoa.csv", ONS.encode("utf-8-sig"), actor=ADMIN)
    assert kind == "population" and dest.parent == store.path("ours") / "population"
    pop = read_population_folder(store.path("ours") / "population")
    assert pop.to_dict() == {"E01027000": 1712, "E01027001": 1480}
    assert store.version("ours")  # the data version covers the population folder
    before = store.version("ours")
    store.add_geography("second.csv", ONS.replace("1480", "1490").encode(), actor=ADMIN)
    assert store.version("ours") != before


def test_a_bad_upload_is_refused_whole_and_nothing_is_kept(tmp_path):
    store = Store(tmp_path)
    bad = ONS.replace("1480", "about 1500")
    with pytest.raises(GeographyError) as err:
        store.add_geography("pop.csv", bad.encode(), actor=ADMIN)
    assert "pop.csv was not used: line 6, column 'Total': 'about 1500' is not a whole number of residents" in str(
        err.value
    )
    assert not (store.path("ours") / "population").exists() and not (tmp_path / "versions").exists()


def test_load_geography_adds_the_population_file(tmp_path, tiny_dir):
    geo = tmp_path / "geo"
    (geo / "population").mkdir(parents=True)
    (geo / "population" / "lsoa-pop.csv").write_text(ONS, encoding="utf-8")
    data = tmp_path / "data"
    code = main(["load", str(tiny_dir / "police_uk"), "--geography", str(geo), "--data-dir", str(data)])
    assert code == 0
    assert (Store(data).path("ours") / "population" / "lsoa-pop.csv").is_file()
