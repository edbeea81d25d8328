"""Hand-built frames for the progress tests: classified incidents, actions and concerns with
only what the measures read, so every expected number can be counted by eye."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ruralaction.incidents.schema import RURAL_CATEGORIES


def incidents(rows: list[dict]) -> pd.DataFrame:
    """A classified frame from rows of ``month`` ("YYYY-MM") and optional ``category`` (default
    burglary), ``ward`` (W1), ``rural`` (True), ``farm`` (False), ``description`` (None)."""
    months = pd.to_datetime([r["month"] + "-01" for r in rows]).astype("datetime64[s]")
    cat = pd.Categorical([r.get("category", "burglary") for r in rows], categories=list(RURAL_CATEGORIES))
    ward = pd.Categorical([r.get("ward", "W1") for r in rows])
    n = len(rows)
    return pd.DataFrame(
        {
            "crime_id": [f"c{i}" for i in range(n)],
            "month": months,
            "longitude": np.full(n, -0.95),
            "latitude": np.full(n, 52.05),
            "location": pd.Categorical(["On or near Church Lane"] * n),
            "last_outcome": pd.Categorical([None] * n),
            "context": pd.Categorical([None] * n),
            "description": pd.array([r.get("description") for r in rows], dtype="str"),
            "wildlife_flag": pd.array([None] * n, dtype="boolean"),
            "rural_category": cat,
            "at_farm": np.array([r.get("farm", False) for r in rows], dtype=bool),
            "ward_code": ward,
            "ward_name": pd.Categorical([{"W1": "Brixworth", "W2": "Castle"}.get(w, w) for w in ward]),
            "in_rural_ward": pd.array([True] * n, dtype="boolean"),
            "is_rural_crime": np.array([r.get("rural", True) for r in rows], dtype=bool),
            "rural_reason": pd.Categorical(["Burglary in a rural ward (Brixworth)"] * n),
        }
    )


def monthly_rows(month_counts: dict[str, int], **kw) -> list[dict]:
    """``{"2024-04": 3, …}`` -> that many rows per month."""
    return [{"month": m, **kw} for m, k in month_counts.items() for _ in range(k)]


def months_between(first: str, last: str) -> list[str]:
    return [f"{p:%Y-%m}" for p in pd.period_range(first, last, freq="M")]


def action(
    when: str,
    *,
    wards=("W1",),
    lead="Police",
    support="",
    visible=False,
    status="completed",
    issue="Burglary",
    title="Patrol",
    id_: int = 0,
) -> dict:
    d = dt.date.fromisoformat(when)
    return {
        "id": id_,
        "title": title,
        "ward_codes": tuple(wards),
        "wards": "; ".join(wards),
        "lead_partner": lead,
        "supporting_partners": support,
        "issue": issue,
        "status": status,
        "action_date": d,
        "completed_on": d if status == "completed" else None,
        "visible": visible,
    }


def actions(rows: list[dict]) -> pd.DataFrame:
    """A :func:`~ruralaction.actions.list_actions`-shaped table (the columns the measures read)."""
    for i, r in enumerate(rows, 1):
        r["id"] = r["id"] or i
    cols = [
        "id",
        "title",
        "ward_codes",
        "wards",
        "lead_partner",
        "supporting_partners",
        "issue",
        "status",
        "action_date",
        "completed_on",
        "visible",
    ]
    df = pd.DataFrame(rows, columns=cols)
    df["visible"] = df["visible"].astype(bool)
    for c in ("action_date", "completed_on"):
        df[c] = df[c].astype(object)
    return df


def concerns(rows: list[tuple]) -> pd.DataFrame:
    """``concerns_frame``-shaped: rows of (ward, category, raised "YYYY-MM-DD", first action date or None)."""
    return pd.DataFrame(
        {
            "id": np.arange(1, len(rows) + 1, dtype="int64"),
            "ward_code": [r[0] for r in rows],
            "category": [r[1] for r in rows],
            "raised_at": pd.to_datetime([r[2] + "T10:30:00" for r in rows], utc=True),
            "status": ["actioned" if r[3] else "new" for r in rows],
            "first_action_at": pd.to_datetime([r[3] for r in rows], utc=True),
        }
    )
