"""Embedded demo data: a fictional but believable Northamptonshire, written in the real formats.

:func:`write_demo` writes three years of police.uk street-level CSVs (bulk-archive layout), a
force wildlife-crime export, demo ward boundaries (Voronoi cells around the county's real towns
and villages, clipped to a hand-drawn county outline) and an ONS-format LSOA rural-urban lookup.
The real pipeline reads them like any other data; only ``demo.json`` says they are a demo.

Geography (wards, LSOAs, the pool of police.uk snap points) is the same for every seed, so ward
codes in bookmarked links survive a regeneration; the seed only changes the incidents.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ruralaction.schema import CRIME_TYPES, POLICE_UK_COLUMNS

FORCE = "Northamptonshire Police"
_GEO_SEED = 1_974_04_01  # fixed: geography does not depend on the caller's seed
_KM_LAT = 1 / 111.2  # degrees of latitude per km
_KM_LON = 1 / 68.0  # degrees of longitude per km at 52.3 N
_MARGIN = 0.0004  # keep snap points ~30 m inside their ward

DISTRICTS = {
    "C": "Corby", "D": "Daventry", "E": "East Northamptonshire", "K": "Kettering",
    "N": "Northampton", "S": "South Northamptonshire", "W": "Wellingborough",
}
RUC_NAMES = {"C1": "Urban city and town", "D1": "Rural town and fringe", "E1": "Rural village and dispersed"}

# Hand-drawn approximation of the county outline (lon, lat), clockwise from the south-west.
_OUTLINE = [
    (-1.28, 51.99), (-1.33, 52.08), (-1.27, 52.10), (-1.32, 52.17), (-1.23, 52.25), (-1.22, 52.32),
    (-1.27, 52.34), (-1.18, 52.37), (-1.20, 52.41), (-1.10, 52.44), (-1.00, 52.46), (-0.90, 52.47),
    (-0.86, 52.52), (-0.77, 52.52), (-0.68, 52.55), (-0.58, 52.61), (-0.51, 52.64), (-0.47, 52.62),
    (-0.48, 52.58), (-0.42, 52.58), (-0.40, 52.53), (-0.34, 52.50), (-0.36, 52.43), (-0.48, 52.38),
    (-0.46, 52.32), (-0.52, 52.31), (-0.54, 52.26), (-0.63, 52.26), (-0.67, 52.20), (-0.78, 52.17),
    (-0.87, 52.12), (-0.83, 52.07), (-0.87, 52.03), (-0.95, 52.07), (-1.05, 52.06), (-1.10, 52.04),
    (-1.15, 51.98),
]

# (ward name, district, lon, lat, RUC11 code, relative crime volume). Town centres carry the most.
_WARDS: list[tuple[str, str, float, float, str, float]] = [
    ("Northampton Castle", "N", -0.894, 52.237, "C1", 4.0), ("Northampton Abington", "N", -0.872, 52.244, "C1", 1.3),
    ("Northampton Semilong", "N", -0.903, 52.250, "C1", 1.2), ("Northampton Kingsthorpe", "N", -0.905, 52.266, "C1", 1.0),
    ("Northampton Boothville", "N", -0.851, 52.276, "C1", 0.8), ("Northampton Eastfield", "N", -0.856, 52.260, "C1", 1.0),
    ("Northampton Headlands", "N", -0.862, 52.249, "C1", 0.9), ("Northampton Billing", "N", -0.815, 52.255, "C1", 1.1),
    ("Northampton Talavera", "N", -0.832, 52.271, "C1", 1.0), ("Northampton Rectory Farm", "N", -0.806, 52.268, "C1", 0.8),
    ("Northampton Riverside", "N", -0.810, 52.243, "C1", 1.2), ("Northampton Delapre", "N", -0.893, 52.222, "C1", 1.1),
    ("Northampton Hunsbury", "N", -0.918, 52.207, "C1", 0.9), ("Northampton Upton", "N", -0.953, 52.229, "C1", 0.9),
    ("Northampton St James", "N", -0.920, 52.237, "C1", 1.2), ("Northampton Duston", "N", -0.944, 52.251, "C1", 1.0),
    ("Northampton Kings Heath", "N", -0.928, 52.263, "C1", 1.3),
    ("Kettering William Knibb", "K", -0.724, 52.399, "C1", 3.0), ("Kettering All Saints", "K", -0.722, 52.410, "C1", 1.1),
    ("Kettering Northfield", "K", -0.741, 52.412, "C1", 1.0), ("Kettering Pipers Hill", "K", -0.711, 52.392, "C1", 0.9),
    ("Kettering St Peter's", "K", -0.745, 52.398, "C1", 0.9), ("Kettering Ise Lodge", "K", -0.690, 52.400, "C1", 0.9),
    ("Kettering Wicksteed", "K", -0.718, 52.381, "C1", 0.9), ("Burton Latimer", "K", -0.674, 52.363, "C1", 0.8),
    ("Desborough", "K", -0.822, 52.442, "C1", 0.8), ("Rothwell", "K", -0.802, 52.421, "D1", 0.6),
    ("Broughton and Mawsley", "K", -0.785, 52.380, "E1", 0.3), ("Geddington", "K", -0.683, 52.437, "E1", 0.25),
    ("Welland", "K", -0.845, 52.478, "E1", 0.2),
    ("Corby Central", "C", -0.702, 52.490, "C1", 3.0), ("Corby Kingswood", "C", -0.717, 52.480, "C1", 1.2),
    ("Corby Lodge Park", "C", -0.722, 52.497, "C1", 1.0), ("Corby Danesholme", "C", -0.734, 52.468, "C1", 0.9),
    ("Corby Beanfield", "C", -0.735, 52.486, "C1", 1.0), ("Corby Shire Lodge", "C", -0.700, 52.505, "C1", 0.9),
    ("Weldon", "C", -0.665, 52.494, "D1", 0.35), ("Gretton", "C", -0.683, 52.533, "E1", 0.2),
    ("Cottingham and Middleton", "C", -0.770, 52.500, "E1", 0.2), ("Stanion", "C", -0.648, 52.462, "E1", 0.2),
    ("Wellingborough Swanspool", "W", -0.694, 52.301, "C1", 2.8), ("Wellingborough Croyland", "W", -0.700, 52.288, "C1", 1.0),
    ("Wellingborough Hemmingwell", "W", -0.690, 52.317, "C1", 1.2), ("Wellingborough Queensway", "W", -0.731, 52.303, "C1", 1.1),
    ("Earls Barton", "W", -0.752, 52.264, "D1", 0.45), ("Finedon", "W", -0.655, 52.338, "D1", 0.45),
    ("Irchester", "W", -0.648, 52.283, "D1", 0.4), ("Wollaston", "W", -0.676, 52.257, "D1", 0.4),
    ("Bozeat", "W", -0.672, 52.222, "E1", 0.2), ("Sywell and Mears Ashby", "W", -0.790, 52.295, "E1", 0.25),
    ("Great Harrowden and Orlingbury", "W", -0.735, 52.345, "E1", 0.2),
    ("Rushden Sartoris", "E", -0.600, 52.290, "C1", 1.5), ("Rushden Bates", "E", -0.577, 52.276, "C1", 1.0),
    ("Rushden Pemberton", "E", -0.614, 52.283, "C1", 1.0), ("Higham Ferrers", "E", -0.592, 52.307, "C1", 0.8),
    ("Irthlingborough", "E", -0.613, 52.327, "D1", 0.6), ("Raunds", "E", -0.538, 52.344, "D1", 0.6),
    ("Ringstead and Denford", "E", -0.548, 52.370, "E1", 0.2), ("Woodford", "E", -0.595, 52.373, "E1", 0.25),
    ("Thrapston", "E", -0.536, 52.396, "D1", 0.5), ("Titchmarsh", "E", -0.495, 52.408, "E1", 0.15),
    ("Oundle", "E", -0.470, 52.482, "D1", 0.5), ("Barnwell", "E", -0.455, 52.440, "E1", 0.15),
    ("Lower Nene", "E", -0.405, 52.505, "E1", 0.2), ("Prebendal", "E", -0.435, 52.555, "E1", 0.15),
    ("Kings Cliffe", "E", -0.515, 52.562, "E1", 0.2), ("Fineshade", "E", -0.565, 52.598, "E1", 0.15),
    ("Brigstock", "E", -0.610, 52.458, "E1", 0.2),
    ("Daventry Abbey", "D", -1.162, 52.258, "C1", 1.8), ("Daventry Drayton", "D", -1.182, 52.263, "C1", 1.0),
    ("Daventry Hill", "D", -1.145, 52.262, "C1", 0.9), ("Brixworth", "D", -0.906, 52.333, "D1", 0.5),
    ("Long Buckby", "D", -1.078, 52.303, "D1", 0.5), ("Moulton", "D", -0.852, 52.292, "D1", 0.55),
    ("Crick and West Haddon", "D", -1.137, 52.347, "E1", 0.3), ("Barby and Kilsby", "D", -1.200, 52.327, "E1", 0.25),
    ("Braunston", "D", -1.205, 52.290, "E1", 0.2), ("Weedon Bec", "D", -1.085, 52.233, "D1", 0.35),
    ("Flore", "D", -1.050, 52.244, "E1", 0.25), ("Woodford Halse", "D", -1.212, 52.166, "E1", 0.25),
    ("Byfield", "D", -1.245, 52.182, "E1", 0.2), ("Guilsborough", "D", -1.012, 52.352, "E1", 0.2),
    ("Welford", "D", -1.058, 52.420, "E1", 0.2), ("Yelvertoft", "D", -1.110, 52.385, "E1", 0.2),
    ("Spratton", "D", -0.950, 52.320, "E1", 0.2), ("Walgrave", "D", -0.822, 52.345, "E1", 0.2),
    ("Towcester Brook", "S", -0.990, 52.124, "D1", 0.4), ("Towcester Mill", "S", -0.985, 52.141, "D1", 0.4),
    ("Brackley East", "S", -1.135, 52.035, "C1", 0.7), ("Brackley West", "S", -1.160, 52.030, "C1", 0.7),
    ("Middleton Cheney", "S", -1.274, 52.073, "D1", 0.35), ("King's Sutton", "S", -1.276, 52.022, "D1", 0.3),
    ("Deanshanger", "S", -0.887, 52.047, "D1", 0.3), ("Old Stratford", "S", -0.863, 52.064, "D1", 0.3),
    ("Silverstone", "S", -1.026, 52.090, "D1", 0.35), ("Roade and Blisworth", "S", -0.905, 52.160, "D1", 0.35),
    ("Bugbrooke", "S", -1.013, 52.210, "D1", 0.3), ("Grange Park", "S", -0.885, 52.190, "D1", 0.35),
    ("Hackleton", "S", -0.825, 52.188, "E1", 0.2), ("Yardley Hastings", "S", -0.752, 52.205, "E1", 0.2),
    ("Harpole and Kislingbury", "S", -0.985, 52.236, "E1", 0.2), ("Blakesley", "S", -1.090, 52.155, "E1", 0.15),
    ("Whittlewood", "S", -0.945, 52.080, "E1", 0.15), ("Cosgrove and Grafton", "S", -0.875, 52.098, "E1", 0.15),
    ("Salcey", "S", -0.862, 52.150, "E1", 0.15), ("Helmdon and Wappenham", "S", -1.110, 52.080, "E1", 0.12),
    ("Chipping Warden", "S", -1.265, 52.132, "E1", 0.12), ("Croughton", "S", -1.195, 52.003, "E1", 0.12),
    ("Evenley", "S", -1.135, 52.003, "E1", 0.12),
]
# Rural wards near the A14/A43/M1 with elevated burglary, vehicle crime and criminal damage.
HOTSPOT_WARDS = ("Crick and West Haddon", "Barby and Kilsby", "Flore", "Silverstone", "Woodford")
# Rural wards published without a rural-urban class (the classifier must use the LSOA lookup).
UNCLASSIFIED_WARDS = ("Guilsborough", "Welford", "Spratton", "Walgrave", "Braunston")
_HOSPITALS = ("Northampton Abington", "Kettering Northfield", "Daventry Abbey", "Wellingborough Hemmingwell", "Corby Central")
_POLICE_STATIONS = ("Northampton Castle", "Kettering William Knibb", "Corby Central", "Wellingborough Swanspool",
                    "Daventry Abbey", "Rushden Sartoris", "Towcester Brook", "Brackley East")

_STREETS = (
    "High Street", "Church Lane", "Church Street", "Main Road", "Main Street", "Station Road", "Mill Lane", "The Green",
    "Back Lane", "London Road", "Northampton Road", "Kettering Road", "Wellingborough Road", "Harborough Road",
    "Manor Road", "Park Road", "Victoria Road", "Queen Street", "King Street", "Market Street", "Sheep Street",
    "Silver Street", "West Street", "East Street", "North Street", "School Lane", "Chapel Lane", "Bridge Street",
    "Orchard Close", "The Crescent", "Westfield Road", "Windmill Close", "Meadow Way", "Spencer Road",
    "St Andrew's Road", "St Giles' Terrace", "Oakley Road", "Cottesmore Avenue", "Grafton Close", "Malvern Close",
    "Byron Road", "Osborne Road", "Cambridge Street", "Nelson Street", "Alfred Street", "Jubilee Crescent",
    "Victoria Street", "Dale Street", "Tweed Road", "Roundwood Way", "The Grove", "Back Street", "Rectory Lane",
    "Vicarage Lane", "Hall Lane", "Brook Street", "Water Lane", "Glebe Road", "Manor Close", "Holly Close",
    "Beech Avenue", "Elm Drive", "Ash Grove", "Willow Close", "Chestnut Road", "Sycamore Drive", "Hawthorn Road",
    "Field View", "Nene Way", "Ise View", "Welland Rise", "Cherwell Close", "Tove Road", "Pytchley Road",
    "Spencer Street", "Wood Street", "Gold Street", "Abington Street", "Drapery", "Bouverie Street",
    "Woolmonger Street", "Harlestone Road", "Weedon Road", "Towcester Road", "Brackley Road", "Daventry Road",
    "Rockingham Road", "Stamford Road", "Thrapston Road", "Oundle Road", "Rushden Road", "Irchester Road",
    "Bedford Road", "Newport Pagnell Road", "Welford Road", "Crick Road", "Watling Street", "Banbury Road",
    "Buckingham Road", "Hartwell Road", "Denton Road", "Grendon Road", "Lodge Road", "Poplars Lane",
    "Sandpit Lane", "Pound Lane", "Townsend Lane", "Well Lane", "Greenhill Rise", "Ridgeway", "Hillside Road",
)
_FARMS = (
    "Manor Farm", "Glebe Farm", "Lodge Farm", "Grange Farm", "Home Farm", "Church Farm", "Hill Farm", "Park Farm",
    "Rectory Farm", "Top Farm", "Bridge Farm", "Lower Farm", "Moat Farm", "Hall Farm", "Vicarage Farm", "Wood Farm",
    "Mill Farm", "Brook Farm", "Highfield Farm", "Red House Farm", "Windmill Farm", "Spinney Farm", "Manor Farm Barns",
    "Glebe Barns", "The Stables",
)
# Street names with a farm word in them: police.uk locations that are NOT farms.
_FARM_STREETS = (
    "Home Farm Close", "Farm Road", "Manor Farm Road", "Glebe Farm Close", "Farm Lane", "Church Farm Way",
    "Lodge Farm Drive", "Park Farm Way", "Grange Farm Close", "Farmbrook Court", "Farmhouse Lane", "Barn Close",
)
_ROADS = {
    "C": ("A43", "A6003", "A427"), "D": ("A5", "A361", "A428", "M1", "A45"), "E": ("A14", "A605", "A45", "A6", "A43"),
    "K": ("A14", "A6", "A43", "A509"), "N": ("A45", "A43", "A508", "A5123", "A4500"),
    "S": ("A43", "A5", "A508", "A422", "A361", "B4525"), "W": ("A509", "A45", "A4500"),
}
# Snap-point kinds. Index 0-4 are places on streets/roads/farms; the rest are police.uk's named places.
_KINDS = (
    "street", "road", "farm", "farm street", "Parking Area", "Supermarket", "Petrol Station", "Shopping Area",
    "Sports/Recreation Area", "Park/Open Space", "Further/Higher Educational Building", "Nightclub",
    "Theatre/Concert Hall", "Police Station", "Hospital",
)
_KIND_BUSY = np.array([1, 0.8, 0.2, 1, 0.5, 0.8, 1.0, 0.6, 0.4, 0.15, 0.5, 0.6, 0.8, 1.5, 2.0])
# Areas outside the county that police.uk files show (with real-looking, non-demo LSOA codes).
_ELSEWHERE = (  # (LSOA name stem, lon, lat, first 5 digits of LSOA code, weight)
    ("Milton Keynes", -0.76, 52.04, "E0101", 5), ("Bedford", -0.47, 52.14, "E0101", 4),
    ("Rugby", -1.26, 52.37, "E0103", 4), ("Harborough", -0.92, 52.48, "E0102", 3),
    ("Huntingdonshire", -0.25, 52.44, "E0101", 3), ("Peterborough", -0.25, 52.57, "E0101", 3),
    ("Cherwell", -1.34, 52.06, "E0102", 2), ("Rutland", -0.65, 52.62, "E0101", 1),
    ("Stratford-on-Avon", -1.40, 52.15, "E0103", 1), ("Aylesbury Vale", -0.95, 51.95, "E0101", 1),
    ("Leicester", -1.13, 52.63, "E0101", 1), ("Coventry", -1.51, 52.41, "E0100", 1),
    ("Birmingham", -1.89, 52.48, "E0100", 1), ("Bournemouth, Christchurch and Poole", -1.89, 50.72, "E0103", 0.3),
)

# Share of each police.uk type (about Northamptonshire 2024) and its summer-versus-winter swing.
_TYPE_MIX = {
    "Violence and sexual offences": (0.37, 0.08), "Anti-social behaviour": (0.17, 0.25),
    "Criminal damage and arson": (0.075, 0.08), "Shoplifting": (0.068, 0.0), "Other theft": (0.062, 0.06),
    "Vehicle crime": (0.06, -0.04), "Public order": (0.05, 0.08), "Burglary": (0.043, -0.08),
    "Drugs": (0.039, 0.05), "Other crime": (0.022, 0.0), "Possession of weapons": (0.014, 0.05),
    "Robbery": (0.012, 0.0), "Bicycle theft": (0.008, 0.35), "Theft from the person": (0.004, 0.05),
}
# Rural-urban multipliers (C1, D1, E1) and snap-point-kind multipliers per type.
_TYPE_RUC = {
    "Shoplifting": (1, 0.6, 0.1), "Violence and sexual offences": (1, 0.8, 0.5), "Burglary": (1, 1.2, 1.5),
    "Vehicle crime": (1, 1.2, 1.4), "Criminal damage and arson": (1, 1.1, 1.2), "Theft from the person": (1, 0.4, 0.2),
    "Robbery": (1, 0.5, 0.3), "Drugs": (1, 0.7, 0.5), "Bicycle theft": (1, 0.6, 0.3), "Other theft": (1, 1, 1.1),
}
_TYPE_KIND = {
    "Shoplifting": {"Supermarket": 6, "Shopping Area": 5, "Petrol Station": 3, "street": 0.4, "road": 0.1, "farm": 0.02},
    "Violence and sexual offences": {"Nightclub": 4, "Police Station": 1.5, "Hospital": 1.5, "farm": 0.5},
    "Public order": {"Nightclub": 4, "Shopping Area": 1.5},
    "Vehicle crime": {"Parking Area": 4, "farm": 4, "road": 1.5, "Supermarket": 0.7},
    "Burglary": {"farm": 4, "Supermarket": 0.3, "Shopping Area": 0.5, "Nightclub": 0.3, "Hospital": 0.3},
    "Criminal damage and arson": {"farm": 3},
    "Other theft": {"Hospital": 2, "Supermarket": 1.5, "Sports/Recreation Area": 2, "farm": 1.5},
    "Theft from the person": {"Shopping Area": 4, "Nightclub": 3, "Supermarket": 2, "farm": 0.1},
    "Bicycle theft": {"Further/Higher Educational Building": 5, "Supermarket": 2, "Sports/Recreation Area": 2, "farm": 0.2},
    "Drugs": {"Park/Open Space": 2, "Parking Area": 1.5},
    "Robbery": {"Shopping Area": 2},
    "Anti-social behaviour": {"Park/Open Space": 3, "Sports/Recreation Area": 2, "Shopping Area": 2, "farm": 0.5},
    "Possession of weapons": {"Shopping Area": 1.5, "Nightclub": 2},
}
_HOTSPOT_TYPES = ("Burglary", "Vehicle crime", "Criminal damage and arson")

_OUTCOMES = {  # 2024-style police.uk outcome -> base probability
    "Investigation complete; no suspect identified": 0.30, "Unable to prosecute suspect": 0.30,
    "Under investigation": 0.14, "Awaiting court outcome": 0.07, "Action to be taken by another organisation": 0.03,
    "Local resolution": 0.035, "Offender given a caution": 0.012, "Further action is not in the public interest": 0.007,
    "Further investigation is not in the public interest": 0.006, "Formal action is not in the public interest": 0.002,
    "Suspect charged as part of another case": 0.002, "Offender given penalty notice": 0.003,
}
_NO_SUSPECT = {"Investigation complete; no suspect identified": 1.7, "Unable to prosecute suspect": 0.6}
_OUTCOME_BIAS = {
    "Violence and sexual offences": {"Unable to prosecute suspect": 1.6, "Investigation complete; no suspect identified": 0.5},
    "Burglary": _NO_SUSPECT, "Vehicle crime": _NO_SUSPECT, "Bicycle theft": _NO_SUSPECT, "Other theft": _NO_SUSPECT,
    "Theft from the person": _NO_SUSPECT, "Criminal damage and arson": _NO_SUSPECT,
    "Shoplifting": {"Awaiting court outcome": 2.5, "Local resolution": 2, "Investigation complete; no suspect identified": 1.2},
    "Drugs": {"Awaiting court outcome": 2.5, "Offender given a caution": 5, "Local resolution": 4,
              "Offender given penalty notice": 4, "Investigation complete; no suspect identified": 0.2},
    "Possession of weapons": {"Awaiting court outcome": 4, "Offender given a caution": 2},
    "Public order": {"Unable to prosecute suspect": 1.3}, "Robbery": {"Awaiting court outcome": 1.5},
}
# Chance that a crime from the latest months is still "Under investigation".
_RECENT_UNDER_INVESTIGATION = (0.55, 0.4, 0.28, 0.18)

FORCE_EXPORT_COLUMNS = (
    "Occurrence Reference", "Date Committed", "Offence Group", "Longitude", "Latitude", "Location Description",
    "LSOA Code", "LSOA Name", "Premises Type", "Description", "Wildlife Flag", "Outcome",
)
_FARM_PREMISES = ("Farm", "Farm building", "Stable", "Dwelling")
_NIGHT = np.r_[np.full(5, 3.0), np.full(15, 0.3), np.full(4, 3.0)]  # hour weights 0..23
_DAWN_DUSK = np.r_[np.full(6, 0.5), np.full(4, 3.0), np.full(5, 1.0), np.full(4, 3.0), np.full(5, 0.5)]
_WINTER = np.array([1.6, 1.4, 0.8, 0.2, 0.1, 0.1, 0.2, 0.8, 1.6, 1.8, 1.8, 1.6])  # Jan..Dec
_NESTING = np.array([0.5, 0.6, 1.0, 1.5, 1.8, 1.6, 1.3, 1.0, 0.8, 0.6, 0.5, 0.5])
# Offence group -> (rows a year, wildlife flag, season, hours, {premises: weight}, descriptions).
_WILDLIFE_GROUPS: dict[str, tuple] = {
    "Hare coursing": (90, "Y", _WINTER, _DAWN_DUSK, {"Agricultural land": 5, "Field": 4, "Farm": 1}, (
        "Hare coursing reported on farmland near {place}", "Group with lurcher dogs coursing hares in fields off the lane",
        "Hare coursing; 4x4 vehicles driven across crops near {place}",
        'Suspects shouted "get off" & fled <on quad bikes> after hare coursing',
    )),
    "Poaching": (45, "Y", _WINTER * 0.6 + 0.4, _NIGHT, {"Woodland": 4, "Field": 3, "Agricultural land": 2}, (
        "Deer poached at night near {place}", "Lamping with lights and dogs seen in woodland",
        "Fish poaching from the lake at {place}", "Carcass of poached deer found by gamekeeper",
    )),
    "Wildlife crime": (55, "Y", _NESTING, _DAWN_DUSK, {"Woodland": 3, "Field": 2, "Agricultural land": 2, "Farm": 1}, (
        "Badger sett disturbed near {place}", "Red kite found shot in field", "Snare set on a badger run",
        "Bat roost destroyed during barn works at {place}", "Illegal trap found near pheasant pen",
        "Bird of prey poisoning suspected; buzzard found dead",
    )),
    "Theft of vehicle": (20, "N", None, _NIGHT, {"Farm": 3, "Farm building": 3}, (
        "Quad bike stolen from farm near {place}", "Tractor taken from yard overnight",
        "Land Rover & livestock trailer stolen from {place}",
    )),
    "Theft from vehicle": (18, "N", None, _NIGHT, {"Farm building": 3, "Farm": 2, "Field": 1}, (
        "GPS unit stolen from tractor cab", "Diesel stolen from tractor in barn", "Tools taken from pick-up parked at {place}",
    )),
    "Burglary - business and community": (30, "N", None, _NIGHT, {"Farm building": 4, "Stable": 2, "Farm": 2}, (
        "Barn broken into and power tools taken near {place}", "Saddles & tack stolen from stable block",
        "Workshop forced; chainsaws stolen", "Grain store padlock cut, nothing taken",
    )),
    "Burglary - residential": (8, "N", None, _NIGHT, {"Dwelling": 1}, (
        "Farmhouse entered through rear door, keys taken", "Isolated cottage near {place} broken into",
    )),
    "Other theft": (25, "N", None, _NIGHT, {"Farm": 3, "Agricultural land": 2, "Farm building": 1}, (
        "Red diesel drained from storage tank near {place}", "Sheep taken from field, 12 missing",
        "Heating oil stolen; tank <1/4 full> afterwards", "Fencing & gates removed from field entrance",
    )),
    "Criminal damage": (25, "N", None, _NIGHT, {"Field": 3, "Farm": 2, "Agricultural land": 2}, (
        "Crops damaged by vehicles driven across field near {place}", "Gates forced off hinges; fences cut",
        "Off-road bikes damaging young crops", "Farm signs & CCTV camera damaged",
    )),
    "Arson": (8, "N", _NESTING, _NIGHT, {"Agricultural land": 2, "Farm": 2}, (
        "Straw bales set alight near {place}", "Hay stack fire, deliberate ignition suspected",
    )),
    "Theft from person": (3, "N", None, _DAWN_DUSK, {"Farm": 1, "Dwelling": 1}, (
        "Handbag snatched at farm shop near {place}",
    )),
}
_EXPORT_OUTCOMES = {
    "Investigation complete; no suspect identified": 0.5, "Under investigation": 0.15, "Unable to prosecute suspect": 0.15,
    "Local resolution": 0.06, "Offender given a caution": 0.04, "Awaiting court outcome": 0.07,
    "Action to be taken by another organisation": 0.03,
}


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`write_demo` wrote.

    Attributes
    ----------
    data_dir : Path
        The data directory written to.
    months : list of str
        The police.uk months written, ``"YYYY-MM"``, oldest first.
    n_incidents : int
        police.uk rows written (crimes and anti-social behaviour, including out-of-county and
        unmapped rows).
    n_force_export : int
        Rows in the force wildlife-crime export files.
    n_wards : int
        Demo wards in the boundary file.
    files : list of Path
        Every file written, ``demo.json`` last.
    """

    data_dir: Path
    months: list[str]
    n_incidents: int
    n_force_export: int
    n_wards: int
    files: list[Path]


@dataclass(frozen=True)
class _Geography:
    wards: gpd.GeoDataFrame  # one row per ward: code, name, district, ruc, weight, hotspot, geometry
    lsoas: pd.DataFrame  # code, name, ward (index into wards), ruc
    pool: pd.DataFrame  # police.uk snap points: lon, lat, text, kind, ward, lsoa, place


def default_end_month(today: dt.date | None = None) -> str:
    """Return the latest month police.uk would have published: two months before ``today``."""
    today = today or dt.date.today()
    index = today.year * 12 + today.month - 1 - 2
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _month_list(end_month: str, years: int) -> list[str]:
    try:
        end = dt.datetime.strptime(end_month, "%Y-%m")
    except ValueError:
        raise ValueError(f"end_month must be 'YYYY-MM', not {end_month!r}.") from None
    if not isinstance(years, int) or years < 1:
        raise ValueError(f"years must be a positive whole number, not {years!r}.")
    last = end.year * 12 + end.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(last - 12 * years + 1, last + 1)]


def county_outline() -> shapely.Polygon:
    """The demo county outline: a hand-drawn approximation of Northamptonshire (WGS84)."""
    return shapely.Polygon(_OUTLINE)


def _sample_points(poly, n: int, rng: np.random.Generator, centre=None, sigma_km: float = 1.0) -> np.ndarray:
    """``n`` points inside ``poly`` (at least ``_MARGIN`` from its edge), clustered at ``centre`` if given."""
    inner = poly.buffer(-_MARGIN)
    inner = poly if inner.is_empty else inner
    shapely.prepare(inner)
    x0, y0, x1, y1 = inner.bounds
    found: list[np.ndarray] = []
    need = n
    for attempt in range(60):
        m = 4 * need + 16
        if centre is not None and attempt < 30:
            xs = centre[0] + rng.normal(0, sigma_km * _KM_LON, m)
            ys = centre[1] + rng.normal(0, sigma_km * _KM_LAT, m)
        else:
            xs, ys = rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)
        ok = shapely.contains_xy(inner, xs, ys)
        found.append(np.column_stack([xs[ok], ys[ok]])[:need])
        need -= len(found[-1])
        if need == 0:
            break
    return np.round(np.concatenate(found), 6)


def _snap_counts(ward, rng: np.random.Generator) -> dict[str, int]:
    """How many police.uk snap points of each kind a ward has (town centres have the venues)."""
    urban, rural_town, centre = ward.ruc == "C1", ward.ruc == "D1", ward.weight >= 1.5
    chance = rng.random(6)
    return {
        "street": 50 if centre else 35 if urban else 30 if rural_town else 22,
        "road": 1 if urban else int(rng.integers(2, 4)),
        "farm": int(chance[0] < 0.2) if urban else int(rng.integers(3, 5) if rural_town else rng.integers(5, 9)),
        "farm street": int(chance[1] < 0.5),
        "Parking Area": 3 if centre else 1 + int(urban),
        "Supermarket": 3 if centre else int(rng.integers(1, 3)) if urban else int(rural_town),
        "Petrol Station": int(urban or chance[2] < 0.4),
        "Shopping Area": 3 if centre else int(urban and chance[3] < 0.5),
        "Sports/Recreation Area": int(urban or rural_town or chance[4] < 0.5),
        "Park/Open Space": 1 + int(centre),
        "Further/Higher Educational Building": int(centre or (urban and chance[5] < 0.3)),
        "Nightclub": 2 * int(centre),
        "Theatre/Concert Hall": int(centre),
        "Police Station": int(ward["name"] in _POLICE_STATIONS),
        "Hospital": int(ward["name"] in _HOSPITALS),
    }


def _build_geography() -> _Geography:
    rng = np.random.default_rng(_GEO_SEED)
    table = pd.DataFrame(_WARDS, columns=["name", "district", "lon", "lat", "ruc", "weight"])
    table["district"] = table["district"].map(DISTRICTS)
    table = table.sort_values(["district", "name"], ignore_index=True)
    outline = county_outline()
    # Voronoi in a plane scaled to ~km so cells are not stretched east-west, then back to degrees.
    scale = np.array([1 / _KM_LON, 1 / _KM_LAT])
    seeds = shapely.points(table[["lon", "lat"]].to_numpy() * scale)
    frame = shapely.multipoints(np.array(_OUTLINE) * scale).envelope.buffer(50)
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=frame, ordered=True)
    cells = shapely.transform(np.asarray(cells.geoms), lambda c: c / scale)
    cells = shapely.set_precision(shapely.intersection(cells, outline), 1e-6)
    wards = gpd.GeoDataFrame(table, geometry=cells, crs="EPSG:4326")
    wards["code"] = [f"E059{i:05d}" for i in range(1, len(wards) + 1)]
    wards["hotspot"] = wards["name"].isin(HOTSPOT_WARDS)

    # LSOAs: 1-5 per ward, sectors around the ward's centre; numbered north to south per district.
    n_lsoa = np.where(wards["ruc"] == "C1", rng.integers(3, 6, len(wards)),
                      np.where(wards["ruc"] == "D1", rng.integers(2, 5, len(wards)), rng.integers(1, 4, len(wards))))
    msoa = wards.groupby("district")["lat"].rank(ascending=False, method="first").astype(int)
    lsoa_ward = np.repeat(np.arange(len(wards)), n_lsoa)
    letter = np.concatenate([np.arange(k) for k in n_lsoa])
    lsoas = pd.DataFrame({
        "code": [f"E019{i:05d}" for i in range(1, len(lsoa_ward) + 1)],
        "name": [f"{wards['district'].iat[w]} {msoa.iat[w]:03d}{'ABCDE'[k]}" for w, k in zip(lsoa_ward, letter)],
        "ward": lsoa_ward, "ruc": wards["ruc"].to_numpy()[lsoa_ward],
    })
    first_lsoa = np.r_[0, np.cumsum(n_lsoa)[:-1]]

    frames = []
    kind_of = {k: i for i, k in enumerate(_KINDS)}
    letter_of = {v: k for k, v in DISTRICTS.items()}
    for w, ward in wards.iterrows():  # ~100 wards, not rows
        urban = ward.ruc == "C1"
        counts = _snap_counts(ward, rng)
        kinds = np.repeat([kind_of[k] for k in counts], list(counts.values()))
        spread = np.isin(kinds, [kind_of["farm"], kind_of["road"]])  # farms and roads lie in open country
        xy = np.empty((len(kinds), 2))
        xy[~spread] = _sample_points(ward.geometry, int((~spread).sum()), rng, (ward.lon, ward.lat),
                                     0.9 if urban else 0.8)
        xy[spread] = _sample_points(ward.geometry, int(spread.sum()), rng)
        text = np.asarray(_KINDS, dtype=object)[kinds]  # named places read "On or near Supermarket"
        for kind, names, unique in (("street", _STREETS, True), ("road", _ROADS[letter_of[ward.district]], False),
                                    ("farm", _FARMS, True), ("farm street", _FARM_STREETS, False)):
            sel = kinds == kind_of[kind]
            text[sel] = rng.choice(names, sel.sum(), replace=not unique)
        angle = np.arctan2(xy[:, 1] - ward.lat, (xy[:, 0] - ward.lon) * _KM_LAT / _KM_LON)
        sector = np.minimum((angle + np.pi) / (2 * np.pi) * n_lsoa[w], n_lsoa[w] - 1).astype(int)
        frames.append(pd.DataFrame({
            "lon": xy[:, 0], "lat": xy[:, 1], "text": "On or near " + pd.Series(text, dtype=object),
            "kind": kinds, "ward": w, "lsoa": first_lsoa[w] + sector,
            "place": ward["name"].split(" and ")[0],
        }))
    return _Geography(wards, lsoas, pd.concat(frames, ignore_index=True))


def _fixed6(values: pd.Series) -> np.ndarray:
    """Coordinates as police.uk writes them (six decimals), formatted once per snap point."""
    return np.array([f"{v:.6f}" for v in values], dtype=object)


def _police_uk_frame(geo: _Geography, months: list[str], rng: np.random.Generator) -> pd.DataFrame:
    """All police.uk rows for ``months``, sorted by month and then LSOA name like the real files."""
    types = list(CRIME_TYPES)
    share = np.array([_TYPE_MIX[t][0] for t in types])
    swing = np.array([_TYPE_MIX[t][1] for t in types])
    cal = np.array([int(m[5:]) for m in months])
    season = 1 + swing[None, :] * np.cos(2 * np.pi * (cal[:, None] - 7) / 12)
    trend = 1 - 0.015 * np.arange(len(months))[:, None] / 12
    counts = rng.poisson(5850 * share[None, :] / share.sum() * season * trend)  # months x types

    pool, wards = geo.pool, geo.wards
    ruc_index = wards["ruc"].map({"C1": 0, "D1": 1, "E1": 2}).to_numpy()[pool["ward"]]
    kind_index = pool["kind"].to_numpy()
    busy = _KIND_BUSY[kind_index]
    base = busy / np.bincount(pool["ward"], weights=busy)[pool["ward"]] * wards["weight"].to_numpy()[pool["ward"]]
    weights = np.empty((len(types), len(pool)))
    for t, name in enumerate(types):
        kind_mult = np.ones(len(_KINDS))
        for kind, mult in _TYPE_KIND.get(name, {}).items():
            kind_mult[_KINDS.index(kind)] = mult
        weights[t] = base * np.asarray(_TYPE_RUC.get(name, (1, 1, 1)))[ruc_index] * kind_mult[kind_index]
    hot_rows = [types.index(t) for t in _HOTSPOT_TYPES]
    in_hotspot = wards["hotspot"].to_numpy()[pool["ward"]]

    point_parts, month_parts, type_parts = [], [], []
    for m in range(len(months)):  # hotspots cool down from x3.2 to x1.8 as the programme works
        w = weights.copy()
        w[np.ix_(hot_rows, np.flatnonzero(in_hotspot))] *= 3.2 - 1.4 * m / max(len(months) - 1, 1)
        cum = np.cumsum(w, axis=1)
        for t in range(len(types)):
            u = rng.random(counts[m, t]) * cum[t, -1]
            point_parts.append(np.searchsorted(cum[t], u, side="right"))
            month_parts.append(np.full(counts[m, t], m))
            type_parts.append(np.full(counts[m, t], t))
    pt = np.concatenate(point_parts)
    lsoa = pool["lsoa"].to_numpy()[pt]
    inside = pd.DataFrame({
        "m": np.concatenate(month_parts), "t": np.concatenate(type_parts),
        "lon": _fixed6(pool["lon"])[pt], "lat": _fixed6(pool["lat"])[pt], "loc": pool["text"].to_numpy()[pt],
        "lsoa_code": geo.lsoas["code"].to_numpy()[lsoa], "lsoa_name": geo.lsoas["name"].to_numpy()[lsoa],
    })

    # A few dozen rows a month recorded by the force but located elsewhere, and a handful unmapped.
    away = pd.DataFrame(_ELSEWHERE, columns=["area", "lon", "lat", "prefix", "weight"])
    spots = away.loc[rng.choice(len(away), 120, p=away["weight"] / away["weight"].sum())].reset_index(drop=True)
    spots["lon"] = spots["lon"] + rng.normal(0, 4 * _KM_LON, len(spots))
    spots["lat"] = spots["lat"] + rng.normal(0, 4 * _KM_LAT, len(spots))
    spots = spots[~shapely.contains_xy(county_outline().buffer(0.02), spots["lon"], spots["lat"])].reset_index(drop=True)
    spots["code"] = spots["prefix"] + pd.Series(rng.integers(1000, 9999, len(spots)).astype(str))
    msoa = pd.Series(rng.integers(1, 40, len(spots))).map("{:03d}".format)
    spots["name"] = spots["area"] + " " + msoa + pd.Series(rng.choice(list("ABCDEF"), len(spots)))
    spots["loc"] = "On or near " + pd.Series(rng.choice(_STREETS, len(spots)), dtype=object)
    n_away, n_lost = rng.poisson(30, len(months)), rng.poisson(4, len(months))
    a = rng.integers(0, len(spots), n_away.sum())
    away_rows = pd.DataFrame({
        "m": np.repeat(np.arange(len(months)), n_away), "lon": _fixed6(spots["lon"])[a],
        "lat": _fixed6(spots["lat"])[a], "loc": spots["loc"].to_numpy()[a],
        "lsoa_code": spots["code"].to_numpy()[a], "lsoa_name": spots["name"].to_numpy()[a],
    })
    lost_rows = pd.DataFrame({"m": np.repeat(np.arange(len(months)), n_lost), "lon": "", "lat": "",
                              "loc": "No Location", "lsoa_code": "", "lsoa_name": ""})
    extra = pd.concat([away_rows, lost_rows], ignore_index=True)
    extra["t"] = rng.choice(len(types), len(extra), p=share / share.sum())
    rows = pd.concat([inside, extra], ignore_index=True)

    # Outcomes: per-type mix; the latest months are mostly still under investigation.
    names = np.array(list(_OUTCOMES), dtype=object)
    outcome = np.empty(len(rows), dtype=object)
    for t, name in enumerate(types):
        sel = np.flatnonzero(rows["t"].to_numpy() == t)
        if name == "Anti-social behaviour":
            outcome[sel] = ""
            continue
        p = np.array([_OUTCOMES[o] * _OUTCOME_BIAS.get(name, {}).get(o, 1) for o in names])
        outcome[sel] = rng.choice(names, len(sel), p=p / p.sum())
    age = len(months) - 1 - rows["m"].to_numpy()
    recent = np.r_[_RECENT_UNDER_INVESTIGATION, 0.0][np.minimum(age, len(_RECENT_UNDER_INVESTIGATION))]
    is_asb = rows["t"].to_numpy() == types.index("Anti-social behaviour")
    outcome[(rng.random(len(rows)) < recent) & ~is_asb] = "Under investigation"

    crime_id = np.frombuffer(rng.bytes(32 * len(rows)).hex().encode("ascii"), dtype="S64").astype(str).astype(object)
    crime_id[is_asb] = ""
    # Real files list rows by LSOA name (unmapped rows last), in no particular order within one.
    by_name = np.where(rows["lsoa_name"] == "", "\uffff", rows["lsoa_name"]).astype(str)
    order = np.lexsort((rng.random(len(rows)), by_name, rows["m"]))
    frame = pd.DataFrame({
        "Crime ID": crime_id, "Month": np.asarray(months, dtype=object)[rows["m"]], "Reported by": FORCE,
        "Falls within": FORCE, "Longitude": rows["lon"], "Latitude": rows["lat"], "Location": rows["loc"],
        "LSOA code": rows["lsoa_code"], "LSOA name": rows["lsoa_name"],
        "Crime type": np.asarray(types, dtype=object)[rows["t"]], "Last outcome category": outcome, "Context": "",
    })
    return frame.iloc[order].reset_index(drop=True)[list(POLICE_UK_COLUMNS)]


def _force_export_frame(geo: _Geography, months: list[str], rng: np.random.Generator) -> pd.DataFrame:
    """Wildlife and farm crime from the force's own system: exact places, premises and free text."""
    pool, wards = geo.pool, geo.wards
    rural_ward = (wards["ruc"] != "C1").to_numpy()[pool["ward"]]
    farm_pts = np.flatnonzero(pool["kind"].to_numpy() == _KINDS.index("farm"))
    open_pts = np.flatnonzero(pool["kind"].to_numpy() <= _KINDS.index("farm street"))
    cal = np.array([int(m[5:]) for m in months])
    parts = []
    for group, (per_year, flag, season, hours, premises, texts) in _WILDLIFE_GROUPS.items():
        lam = per_year / 12 * (np.ones(12) if season is None else season / season.mean())[cal - 1]
        n = rng.poisson(lam)
        k = int(n.sum())
        prem = rng.choice(list(premises), k, p=np.array(list(premises.values())) / sum(premises.values()))
        candidates = np.where(np.isin(prem, _FARM_PREMISES), 1, 0)
        rural_first = rng.random(k) < 0.92
        pick = np.empty(k, dtype=int)
        for c, pts in ((1, farm_pts), (0, open_pts)):
            for want_rural in (True, False):
                sel = (candidates == c) & (rural_first == want_rural)
                choices = pts[rural_ward[pts] == want_rural]
                pick[sel] = rng.choice(choices, sel.sum())
        parts.append(pd.DataFrame({
            "m": np.repeat(np.arange(len(months)), n), "group": group, "flag": flag, "premises": prem, "pt": pick,
            "hour": rng.choice(24, k, p=hours / hours.sum()), "template": rng.choice(np.array(texts, dtype=object), k),
        }))
    rows = pd.concat(parts, ignore_index=True)
    starts = pd.to_datetime(pd.Series(months)[rows["m"]].to_numpy(), format="%Y-%m")
    when = (starts + pd.to_timedelta(np.floor(rng.random(len(rows)) * starts.days_in_month), unit="D")
            + pd.to_timedelta(rows["hour"], unit="h") + pd.to_timedelta(rng.integers(0, 60, len(rows)), unit="min"))
    rows["when"] = when
    rows = rows.sort_values(["when", "group"], ignore_index=True)

    pts = pool.iloc[rows["pt"]].reset_index(drop=True)
    # Exact positions (force systems are not snapped): jitter ~80 m, kept inside the ward.
    lon = pts["lon"].to_numpy() + rng.normal(0, 0.08 * _KM_LON, len(rows))
    lat = pts["lat"].to_numpy() + rng.normal(0, 0.08 * _KM_LAT, len(rows))
    ok = shapely.contains_xy(wards.geometry.to_numpy()[pts["ward"]], lon, lat)
    lon, lat = np.where(ok, lon, pts["lon"]), np.where(ok, lat, pts["lat"])
    place = pts["place"]
    spot = pts["text"].str.removeprefix("On or near ")
    is_farm = pts["kind"].to_numpy() == _KINDS.index("farm")
    premises = rows["premises"]
    lead = np.select([is_farm, premises == "Woodland", premises == "Dwelling"],
                     [spot, "Woodland off " + spot, spot], "Field off " + spot)
    year = rows["when"].dt.year
    seq = rows.groupby(year).cumcount().to_numpy() * 7 + 100 + rng.integers(0, 7, len(rows))
    return pd.DataFrame({
        "Occurrence Reference": "NP-" + (year % 100).map("{:02d}".format) + "-" + pd.Series(seq).map("{:06d}".format),
        "Date Committed": rows["when"].dt.strftime("%d/%m/%Y %H:%M"), "Offence Group": rows["group"],
        "Longitude": np.round(lon, 6), "Latitude": np.round(lat, 6),
        "Location Description": pd.Series(lead, dtype=object) + ", " + place,
        "LSOA Code": geo.lsoas["code"].to_numpy()[pts["lsoa"]], "LSOA Name": geo.lsoas["name"].to_numpy()[pts["lsoa"]],
        "Premises Type": premises, "Wildlife Flag": rows["flag"],
        "Description": [t.format(place=p) for t, p in zip(rows["template"], place)],  # a few hundred rows
        "Outcome": rng.choice(list(_EXPORT_OUTCOMES), len(rows), p=list(_EXPORT_OUTCOMES.values())),
    })[list(FORCE_EXPORT_COLUMNS)]


def _written_before(data_dir: Path) -> set[Path]:
    """Files a previous demo wrote here; raise if the directory holds data the demo did not write."""
    marker = data_dir / "demo.json"
    previous: set[Path] = set()
    if marker.exists():
        try:
            previous = {(data_dir / f).resolve() for f in json.loads(marker.read_text("utf-8")).get("files", [])}
        except (json.JSONDecodeError, AttributeError):
            previous = set()
    for sub in ("police_uk", "force_export", "boundaries", "ruc"):
        for path in (data_dir / sub).rglob("*") if (data_dir / sub).is_dir() else ():
            if path.is_file() and path.resolve() not in previous:
                raise FileExistsError(
                    f"{data_dir} already holds data that is not demo data ({path}); "
                    "write the demo to an empty or demo-only directory.")
    return previous


def _write_marker(root: Path, seed: int, years: int, months: list[str], files: list[Path]) -> Path:
    """``demo.json``: tells the UI the data is a demo, and the next run which files it may replace."""
    base = root.resolve()
    rel = sorted({p.relative_to(base).as_posix() for p in map(Path.resolve, map(Path, files)) if base in p.parents})
    marker = root / "demo.json"
    marker.write_text(json.dumps({
        "demo": True, "seed": seed, "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "months": months, "years": years, "end_month": months[-1], "files": rel,
    }, indent=2) + "\n", encoding="utf-8")
    return marker


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", float_format="%.6f", na_rep="", encoding="utf-8")
    return path


def write_demo(data_dir: str | os.PathLike, *, seed: int = 2026, years: int = 3,
               end_month: str | None = None) -> DemoSummary:
    """Write the embedded demo data set into ``data_dir`` in the formats the real pipeline reads.

    Parameters
    ----------
    data_dir : path-like
        Created if missing. Must hold no data other than an earlier demo's (checked against the
        ``files`` list in its ``demo.json``); an earlier demo's files are replaced.
    seed : int, default 2026
        Seeds the incidents. Same seed and ``end_month`` give byte-identical files (except the
        ``generated`` stamp in ``demo.json``).
    years : int, default 3
        Number of twelve-month years of police.uk data, ending at ``end_month``.
    end_month : str, optional
        Last month, ``"YYYY-MM"``. Default: :func:`default_end_month` (two months before today).

    Returns
    -------
    DemoSummary

    Raises
    ------
    ValueError
        ``end_month`` is not ``YYYY-MM`` or ``years`` is not a positive integer.
    FileExistsError
        ``data_dir`` already holds non-demo data.

    Notes
    -----
    Files written (relative to ``data_dir``):

    - ``police_uk/YYYY-MM/YYYY-MM-northamptonshire-street.csv``: police.uk street-level CSVs.
    - ``force_export/YYYY-wildlife-export.csv``: one per calendar year, the
      ``[formats.force_export]`` layout of the definition file.
    - ``boundaries/wards/demo_wards.geojson``: ward polygons (``WD13CD``, ``WD13NM``, ``LAD13NM``,
      ``RUC11CD``, ``RUC11``, ``demo``); codes ``E059xxxxx`` cannot collide with real wards.
    - ``ruc/demo_ruc_2011.csv``: ONS-format LSOA lookup, codes ``E019xxxxx``.
    - ``demo.json``: ``{"demo": true, "seed", "generated", "months", "files", ...}``.
    """
    months = _month_list(end_month or default_end_month(), years)
    root = Path(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    previous = _written_before(root)
    # Mark the directory first, so a run that fails half-way still leaves it recognisably demo.
    planned = [root / "police_uk" / m / f"{m}-northamptonshire-street.csv" for m in months]
    planned += [root / "force_export" / f"{y}-wildlife-export.csv" for y in sorted({m[:4] for m in months})]
    planned += [root / "boundaries" / "wards" / "demo_wards.geojson", root / "ruc" / "demo_ruc_2011.csv"]
    _write_marker(root, seed, years, months, [*previous, *planned])
    geo = _build_geography()
    rng = np.random.default_rng([seed, 7])
    files: list[Path] = []

    incidents = _police_uk_frame(geo, months, rng)
    bounds = np.searchsorted(incidents["Month"].to_numpy(), months + ["9999-99"], side="left")
    for i, month in enumerate(months):
        rows = incidents.iloc[bounds[i]:bounds[i + 1]]
        files.append(_csv(rows, root / "police_uk" / month / f"{month}-northamptonshire-street.csv"))

    export = _force_export_frame(geo, months, rng)
    export_year = export["Date Committed"].str[6:10]
    for year in sorted(export_year.unique()):
        files.append(_csv(export[export_year == year], root / "force_export" / f"{year}-wildlife-export.csv"))

    wards = geo.wards
    null_ruc = wards["name"].isin(UNCLASSIFIED_WARDS)
    out = gpd.GeoDataFrame({
        "WD13CD": wards["code"], "WD13NM": wards["name"], "LAD13NM": wards["district"],
        "RUC11CD": wards["ruc"].where(~null_ruc, None), "RUC11": wards["ruc"].map(RUC_NAMES).where(~null_ruc, None),
        "demo": True,
    }, geometry=wards.geometry, crs="EPSG:4326")
    geojson = root / "boundaries" / "wards" / "demo_wards.geojson"
    geojson.parent.mkdir(parents=True, exist_ok=True)
    geojson.unlink(missing_ok=True)  # the GeoJSON driver will not overwrite
    out.to_file(geojson, driver="GeoJSON")
    files.append(geojson)

    lookup = pd.DataFrame({"LSOA11CD": geo.lsoas["code"], "LSOA11NM": geo.lsoas["name"],
                           "RUC11CD": geo.lsoas["ruc"], "RUC11": geo.lsoas["ruc"].map(RUC_NAMES)})
    files.append(_csv(lookup, root / "ruc" / "demo_ruc_2011.csv"))

    written = {f.resolve() for f in files}
    for stale in previous - written:  # an earlier demo's months that this one does not cover
        if stale.is_file() and root.resolve() in stale.parents:
            stale.unlink()
            if stale.parent.name[:4].isdigit() and not any(stale.parent.iterdir()):
                stale.parent.rmdir()
    files.append(_write_marker(root, seed, years, months, files))
    return DemoSummary(root, months, len(incidents), len(export), len(wards), files)
