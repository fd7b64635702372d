"""Figures that more than one chapter states, computed here once so that every chapter gives the same number
from the same rows."""

from __future__ import annotations

import pandas as pd

from carebook import data

BCF_PARTS = ("NHS minimum contribution", "Improved Better Care Fund grant", "Disabled Facilities Grant")


def bcf_minimum_parts(year: str) -> pd.DataFrame:
    """The Better Care Fund's minimum contributions in `year` (the NHS's, the councils' grant and the Disabled
    Facilities Grant), one row each from bcf_years.csv, in the order of BCF_PARTS."""
    frame = data.load("bcf_years")
    parts = frame[(frame["year"] == year) & frame["component"].isin(BCF_PARTS)]
    if sorted(parts["component"]) != sorted(BCF_PARTS) or set(parts["unit"]) != {"GBP_million"}:
        raise ValueError(f"data/bcf_years.csv: {year} needs one GBP_million row for each of {', '.join(BCF_PARTS)}")
    return parts.set_index("component", drop=False).loc[list(BCF_PARTS)].reset_index(drop=True)


def bcf_minimum_total(year: str) -> tuple[float, list[str]]:
    """The sum of the Better Care Fund's minimum contributions in `year` (£ million), and the rows it adds."""
    parts = bcf_minimum_parts(year)
    return float(parts["amount"].sum()), [f"bcf_years:{row_id}" for row_id in parts["id"]]


# Totals whose source words qualify them: "over £6.4 billion" is a lower bound, "the £9 billion" a rounded figure.
BCF_TOTAL_WORDS = {"bcf-2019-20-total-minimum": "over", "bcf-2025-26-total-rounded": "about"}


def bcf_total_words(row_id: str) -> str:
    """The word a Better Care Fund total is read with ('over ', 'about ' or nothing), as its source states it."""
    word = BCF_TOTAL_WORDS.get(row_id, "")
    return f"{word} " if word else ""
