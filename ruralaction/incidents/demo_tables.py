"""The places, streets and mixes the demo county is made of (data for :mod:`ruralaction.incidents.demo`).

Town and village positions are approximate real ones; everything else is invented to be
believable: crime-type mixes by area, outcome probabilities, seasonal and hourly patterns.
"""

from __future__ import annotations

import numpy as np

FORCE = "Northamptonshire Police"
GEO_SEED = 1_974_04_01  # fixed: geography does not depend on the caller's seed
KM_LAT = 1 / 111.2  # degrees of latitude per km
KM_LON = 1 / 68.0  # degrees of longitude per km at 52.3 N
MARGIN = 0.0004  # keep snap points ~30 m inside their ward

DISTRICTS = {
    "C": "Corby", "D": "Daventry", "E": "East Northamptonshire", "K": "Kettering",
    "N": "Northampton", "S": "South Northamptonshire", "W": "Wellingborough",
}
RUC_NAMES = {"C1": "Urban city and town", "D1": "Rural town and fringe", "E1": "Rural village and dispersed"}

# Hand-drawn approximation of the county outline (lon, lat), clockwise from the south-west.
OUTLINE = [
    (-1.28, 51.99), (-1.33, 52.08), (-1.27, 52.10), (-1.32, 52.17), (-1.23, 52.25), (-1.22, 52.32),
    (-1.27, 52.34), (-1.18, 52.37), (-1.20, 52.41), (-1.10, 52.44), (-1.00, 52.46), (-0.90, 52.47),
    (-0.86, 52.52), (-0.77, 52.52), (-0.68, 52.55), (-0.58, 52.61), (-0.51, 52.64), (-0.47, 52.62),
    (-0.48, 52.58), (-0.42, 52.58), (-0.40, 52.53), (-0.34, 52.50), (-0.36, 52.43), (-0.48, 52.38),
    (-0.46, 52.32), (-0.52, 52.31), (-0.54, 52.26), (-0.63, 52.26), (-0.67, 52.20), (-0.78, 52.17),
    (-0.87, 52.12), (-0.83, 52.07), (-0.87, 52.03), (-0.95, 52.07), (-1.05, 52.06), (-1.10, 52.04),
    (-1.15, 51.98),
]

# (ward name, district, lon, lat, RUC11 code, relative crime volume). Town centres carry the most.
WARDS: list[tuple[str, str, float, float, str, float]] = [
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
HOSPITALS = ("Northampton Abington", "Kettering Northfield", "Daventry Abbey", "Wellingborough Hemmingwell", "Corby Central")
POLICE_STATIONS = ("Northampton Castle", "Kettering William Knibb", "Corby Central", "Wellingborough Swanspool",
                    "Daventry Abbey", "Rushden Sartoris", "Towcester Brook", "Brackley East")

STREETS = (
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
FARMS = (
    "Manor Farm", "Glebe Farm", "Lodge Farm", "Grange Farm", "Home Farm", "Church Farm", "Hill Farm", "Park Farm",
    "Rectory Farm", "Top Farm", "Bridge Farm", "Lower Farm", "Moat Farm", "Hall Farm", "Vicarage Farm", "Wood Farm",
    "Mill Farm", "Brook Farm", "Highfield Farm", "Red House Farm", "Windmill Farm", "Spinney Farm", "Manor Farm Barns",
    "Glebe Barns", "The Stables",
)
# Street names with a farm word in them: police.uk locations that are NOT farms.
FARM_STREETS = (
    "Home Farm Close", "Farm Road", "Manor Farm Road", "Glebe Farm Close", "Farm Lane", "Church Farm Way",
    "Lodge Farm Drive", "Park Farm Way", "Grange Farm Close", "Farmbrook Court", "Farmhouse Lane", "Barn Close",
)
ROADS = {
    "C": ("A43", "A6003", "A427"), "D": ("A5", "A361", "A428", "M1", "A45"), "E": ("A14", "A605", "A45", "A6", "A43"),
    "K": ("A14", "A6", "A43", "A509"), "N": ("A45", "A43", "A508", "A5123", "A4500"),
    "S": ("A43", "A5", "A508", "A422", "A361", "B4525"), "W": ("A509", "A45", "A4500"),
}
# Snap-point kinds. Index 0-4 are places on streets/roads/farms; the rest are police.uk's named places.
KINDS = (
    "street", "road", "farm", "farm street", "Parking Area", "Supermarket", "Petrol Station", "Shopping Area",
    "Sports/Recreation Area", "Park/Open Space", "Further/Higher Educational Building", "Nightclub",
    "Theatre/Concert Hall", "Police Station", "Hospital",
)
KIND_BUSY = np.array([1, 0.8, 0.2, 1, 0.5, 0.8, 1.0, 0.6, 0.4, 0.15, 0.5, 0.6, 0.8, 1.5, 2.0])
# Areas outside the county that police.uk files show (with real-looking, non-demo LSOA codes).
ELSEWHERE = (  # (LSOA name stem, lon, lat, first 5 digits of LSOA code, weight)
    ("Milton Keynes", -0.76, 52.04, "E0101", 5), ("Bedford", -0.47, 52.14, "E0101", 4),
    ("Rugby", -1.26, 52.37, "E0103", 4), ("Harborough", -0.92, 52.48, "E0102", 3),
    ("Huntingdonshire", -0.25, 52.44, "E0101", 3), ("Peterborough", -0.25, 52.57, "E0101", 3),
    ("Cherwell", -1.34, 52.06, "E0102", 2), ("Rutland", -0.65, 52.62, "E0101", 1),
    ("Stratford-on-Avon", -1.40, 52.15, "E0103", 1), ("Aylesbury Vale", -0.95, 51.95, "E0101", 1),
    ("Leicester", -1.13, 52.63, "E0101", 1), ("Coventry", -1.51, 52.41, "E0100", 1),
    ("Birmingham", -1.89, 52.48, "E0100", 1), ("Bournemouth, Christchurch and Poole", -1.89, 50.72, "E0103", 0.3),
)

# Share of each police.uk type (about Northamptonshire 2024) and its summer-versus-winter swing.
TYPE_MIX = {
    "Violence and sexual offences": (0.37, 0.08), "Anti-social behaviour": (0.17, 0.25),
    "Criminal damage and arson": (0.075, 0.08), "Shoplifting": (0.068, 0.0), "Other theft": (0.062, 0.06),
    "Vehicle crime": (0.06, -0.04), "Public order": (0.05, 0.08), "Burglary": (0.043, -0.08),
    "Drugs": (0.039, 0.05), "Other crime": (0.022, 0.0), "Possession of weapons": (0.014, 0.05),
    "Robbery": (0.012, 0.0), "Bicycle theft": (0.008, 0.35), "Theft from the person": (0.004, 0.05),
}
# Rural-urban multipliers (C1, D1, E1) and snap-point-kind multipliers per type.
TYPE_RUC = {
    "Shoplifting": (1, 0.6, 0.1), "Violence and sexual offences": (1, 0.8, 0.5), "Burglary": (1, 1.2, 1.5),
    "Vehicle crime": (1, 1.2, 1.4), "Criminal damage and arson": (1, 1.1, 1.2), "Theft from the person": (1, 0.4, 0.2),
    "Robbery": (1, 0.5, 0.3), "Drugs": (1, 0.7, 0.5), "Bicycle theft": (1, 0.6, 0.3), "Other theft": (1, 1, 1.1),
}
TYPE_KIND = {
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
HOTSPOT_TYPES = ("Burglary", "Vehicle crime", "Criminal damage and arson")

OUTCOMES = {  # 2024-style police.uk outcome -> base probability
    "Investigation complete; no suspect identified": 0.30, "Unable to prosecute suspect": 0.30,
    "Under investigation": 0.14, "Awaiting court outcome": 0.07, "Action to be taken by another organisation": 0.03,
    "Local resolution": 0.035, "Offender given a caution": 0.012, "Further action is not in the public interest": 0.007,
    "Further investigation is not in the public interest": 0.006, "Formal action is not in the public interest": 0.002,
    "Suspect charged as part of another case": 0.002, "Offender given penalty notice": 0.003,
}
NO_SUSPECT = {"Investigation complete; no suspect identified": 1.7, "Unable to prosecute suspect": 0.6}
OUTCOME_BIAS = {
    "Violence and sexual offences": {"Unable to prosecute suspect": 1.6, "Investigation complete; no suspect identified": 0.5},
    "Burglary": NO_SUSPECT, "Vehicle crime": NO_SUSPECT, "Bicycle theft": NO_SUSPECT, "Other theft": NO_SUSPECT,
    "Theft from the person": NO_SUSPECT, "Criminal damage and arson": NO_SUSPECT,
    "Shoplifting": {"Awaiting court outcome": 2.5, "Local resolution": 2, "Investigation complete; no suspect identified": 1.2},
    "Drugs": {"Awaiting court outcome": 2.5, "Offender given a caution": 5, "Local resolution": 4,
              "Offender given penalty notice": 4, "Investigation complete; no suspect identified": 0.2},
    "Possession of weapons": {"Awaiting court outcome": 4, "Offender given a caution": 2},
    "Public order": {"Unable to prosecute suspect": 1.3}, "Robbery": {"Awaiting court outcome": 1.5},
}
# Chance that a crime from the latest months is still "Under investigation".
RECENT_UNDER_INVESTIGATION = (0.55, 0.4, 0.28, 0.18)

FORCE_EXPORT_COLUMNS = (
    "Occurrence Reference", "Date Committed", "Offence Group", "Longitude", "Latitude", "Location Description",
    "LSOA Code", "LSOA Name", "Premises Type", "Description", "Wildlife Flag", "Outcome",
)
FARM_PREMISES = ("Farm", "Farm building", "Stable", "Dwelling")
NIGHT = np.r_[np.full(5, 3.0), np.full(15, 0.3), np.full(4, 3.0)]  # hour weights 0..23
DAWN_DUSK = np.r_[np.full(6, 0.5), np.full(4, 3.0), np.full(5, 1.0), np.full(4, 3.0), np.full(5, 0.5)]
WINTER = np.array([1.6, 1.4, 0.8, 0.2, 0.1, 0.1, 0.2, 0.8, 1.6, 1.8, 1.8, 1.6])  # Jan..Dec
NESTING = np.array([0.5, 0.6, 1.0, 1.5, 1.8, 1.6, 1.3, 1.0, 0.8, 0.6, 0.5, 0.5])
# Offence group -> (rows a year, wildlife flag, season, hours, {premises: weight}, descriptions).
WILDLIFE_GROUPS: dict[str, tuple] = {
    "Hare coursing": (90, "Y", WINTER, DAWN_DUSK, {"Agricultural land": 5, "Field": 4, "Farm": 1}, (
        "Hare coursing reported on farmland near {place}", "Group with lurcher dogs coursing hares in fields off the lane",
        "Hare coursing; 4x4 vehicles driven across crops near {place}",
        'Suspects shouted "get off" & fled <on quad bikes> after hare coursing',
    )),
    "Poaching": (45, "Y", WINTER * 0.6 + 0.4, NIGHT, {"Woodland": 4, "Field": 3, "Agricultural land": 2}, (
        "Deer poached at night near {place}", "Lamping with lights and dogs seen in woodland",
        "Fish poaching from the lake at {place}", "Carcass of poached deer found by gamekeeper",
    )),
    "Wildlife crime": (55, "Y", NESTING, DAWN_DUSK, {"Woodland": 3, "Field": 2, "Agricultural land": 2, "Farm": 1}, (
        "Badger sett disturbed near {place}", "Red kite found shot in field", "Snare set on a badger run",
        "Bat roost destroyed during barn works at {place}", "Illegal trap found near pheasant pen",
        "Bird of prey poisoning suspected; buzzard found dead",
    )),
    "Theft of vehicle": (20, "N", None, NIGHT, {"Farm": 3, "Farm building": 3}, (
        "Quad bike stolen from farm near {place}", "Tractor taken from yard overnight",
        "Land Rover & livestock trailer stolen from {place}",
    )),
    "Theft from vehicle": (18, "N", None, NIGHT, {"Farm building": 3, "Farm": 2, "Field": 1}, (
        "GPS unit stolen from tractor cab", "Diesel stolen from tractor in barn", "Tools taken from pick-up parked at {place}",
    )),
    "Burglary - business and community": (30, "N", None, NIGHT, {"Farm building": 4, "Stable": 2, "Farm": 2}, (
        "Barn broken into and power tools taken near {place}", "Saddles & tack stolen from stable block",
        "Workshop forced; chainsaws stolen", "Grain store padlock cut, nothing taken",
    )),
    "Burglary - residential": (8, "N", None, NIGHT, {"Dwelling": 1}, (
        "Farmhouse entered through rear door, keys taken", "Isolated cottage near {place} broken into",
    )),
    "Other theft": (25, "N", None, NIGHT, {"Farm": 3, "Agricultural land": 2, "Farm building": 1}, (
        "Red diesel drained from storage tank near {place}", "Sheep taken from field, 12 missing",
        "Heating oil stolen; tank <1/4 full> afterwards", "Fencing & gates removed from field entrance",
    )),
    "Criminal damage": (25, "N", None, NIGHT, {"Field": 3, "Farm": 2, "Agricultural land": 2}, (
        "Crops damaged by vehicles driven across field near {place}", "Gates forced off hinges; fences cut",
        "Off-road bikes damaging young crops", "Farm signs & CCTV camera damaged",
    )),
    "Arson": (8, "N", NESTING, NIGHT, {"Agricultural land": 2, "Farm": 2}, (
        "Straw bales set alight near {place}", "Hay stack fire, deliberate ignition suspected",
    )),
    "Theft from person": (3, "N", None, DAWN_DUSK, {"Farm": 1, "Dwelling": 1}, (
        "Handbag snatched at farm shop near {place}",
    )),
}
EXPORT_OUTCOMES = {
    "Investigation complete; no suspect identified": 0.5, "Under investigation": 0.15, "Unable to prosecute suspect": 0.15,
    "Local resolution": 0.06, "Offender given a caution": 0.04, "Awaiting court outcome": 0.07,
    "Action to be taken by another organisation": 0.03,
}
