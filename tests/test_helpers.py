"""The chapter helpers: a fact read once, signed values, fractions in words, several facts glued at once, a chart's
source line from the rows it draws, and the recurring chart shapes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import vl_convert
from conftest import ROOT

from carebook import charts, data, prose, reads, shapes

ALT = "Planned and actual changes in made-up measures, drawn as bars."


@pytest.fixture
def recorded(tmp_path: Path, monkeypatch) -> Path:
    """A copy of the data package read as a chapter reads it, its reads noted in a file returned."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    deps = tmp_path / "deps.tsv"
    monkeypatch.setenv(reads.ROOT_ENV, str(tmp_path))
    monkeypatch.setenv(reads.DEPS_ENV, str(deps))
    with data.reading(tmp_path / "data"):
        yield deps


def reads_of(deps: Path, path: str) -> list[str]:
    """The hashes noted for `path`, one per recorded read."""
    lines = deps.read_text(encoding="utf-8").splitlines() if deps.exists() else []
    return [line.split("\t")[1] for line in lines if line.split("\t")[0] == path]


def test_a_fact_is_read_and_recorded_once_then_again_when_its_file_changes(recorded: Path):
    first = data.fact("funding", "bcf-2015-16-minimum")
    data.fact("funding", "bcf-2015-16-total")
    data.load("funding")
    assert len(reads_of(recorded, "data/funding.csv")) == 1
    assert len(reads_of(recorded, "data/schemas/funding.json")) == 1

    csv = recorded.parent / "data" / "funding.csv"
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("bcf-2015-16-minimum,"))
    amount = f",{first['amount']:g},"
    assert amount in lines[at], "the row this test edits has changed"
    lines[at] = lines[at].replace(amount, f",{first['amount'] + 1:g},", 1)
    csv.write_text("".join(lines), encoding="utf-8")
    assert data.fact("funding", "bcf-2015-16-minimum")["amount"] == first["amount"] + 1
    hashes = reads_of(recorded, "data/funding.csv")
    assert len(hashes) == 2 and hashes[0] != hashes[1]


def test_changing_a_fact_or_a_loaded_table_leaves_the_next_read_alone(recorded: Path):
    row = data.fact("funding", "bcf-2015-16-minimum")
    row["amount"] = 0
    frame = data.load("funding")
    frame.loc[:, "amount"] = 0
    assert data.fact("funding", "bcf-2015-16-minimum")["amount"] > 0
    assert data.load("funding")["amount"].max() > 0


def test_an_unknown_fact_names_its_table_and_id():
    with pytest.raises(KeyError, match="no-such-row.*data/funding.csv"):
        data.fact("funding", "no-such-row")


def test_a_value_is_signed_by_its_change_column():
    planned = data.fact("funding", "bcf-admissions-planned-2015-16")
    actual = data.fact("funding", "bcf-admissions-actual-2015-16")
    level = data.fact("funding", "bcf-2015-16-minimum")
    assert (planned["change"], actual["change"], level["change"]) == ("decrease", "increase", "level")
    assert data.signed(planned) == -planned["amount"] < 0
    assert data.signed(actual) == actual["amount"] > 0
    assert data.signed(level) == level["amount"]
    with pytest.raises(ValueError, match="no change"):
        data.signed(pd.Series({"id": "made-up", "amount": 1.0}))


@pytest.mark.parametrize(
    ("share", "words"), [(0.333, "one-third"), (1 / 3, "one-third"), (0.5, "half"), (0.25, "a quarter")]
)
def test_fractions_in_words(share, words):
    assert prose.fraction_words(share) == words


@pytest.mark.parametrize("share", [0.4, 0.3, 0.34, 1.5])
def test_a_fraction_the_book_cannot_name_is_refused(share):
    with pytest.raises(ValueError, match=f"{share!r} is not a fraction the book names"):
        prose.fraction_words(share)


def test_glue_many_glues_each_row_as_its_own_provenance(monkeypatch):
    import myst_nb

    glued = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=True: glued.__setitem__(name, value))
    assert prose.glue_many("funding", {"a": "bcf-2015-16-minimum", "b": "bcf-2015-16-local-topup"}) is None
    assert list(glued) == ["a", "b"]
    assert glued["a"].text == prose.fmt_row(data.fact("funding", "bcf-2015-16-minimum"))
    assert [r["key"] for r in glued["b"].provenance["rows"]] == ["funding:bcf-2015-16-local-topup"]
    with pytest.raises(KeyError, match="no-such-row"):
        prose.glue_many("funding", {"c": "bcf-2015-16-minimum", "d": "no-such-row"})
    assert "c" not in glued, "nothing is glued when one of the ids is wrong"


def test_join_words():
    assert [prose.join_words(items) for items in (["a"], ["a", "b"], ["a", "b", "c"])] == ["a", "a and b", "a, b and c"]
    with pytest.raises(ValueError, match="nothing to list"):
        prose.join_words([])


def first_year() -> pd.DataFrame:
    ids = ["bcf-admissions-planned-2015-16", "bcf-admissions-actual-2015-16"]
    rows = data.load("funding").set_index("id", drop=False).loc[ids].copy()
    rows["measure_short"] = "Emergency admissions"
    rows["kind"] = ["Planned", "Actual"]
    return rows


def footer(fig: charts.Figure) -> str:
    title = fig.spec["title"]["text"]
    return " ".join(title) if isinstance(title, list) else title


def test_a_charts_default_source_line_names_the_sources_of_the_rows_drawn_as_readers_see_them():
    rows = first_year()
    source_id = str(rows["source_id"].iloc[0])
    chart = charts.labelled_bars(prose.with_source(rows), category="kind", value="amount", title="Number")
    fig = charts.Figure(chart, ALT, charts.drawn_sources(chart), None)
    assert prose.cite(source_id) in footer(fig)
    assert source_id not in footer(fig)
    assert footer(fig) == charts.source_line([source_id])


def test_plan_against_actual_draws_falls_left_of_zero_with_their_direction_and_the_house_colours():
    fig = charts.Figure(
        charts.plan_against_actual(first_year(), measure="measure_short", kind="kind", title="Change"),
        ALT,
        ["pac-hc959-2017"],
        None,
    )
    values = {row["kind"]: row for dataset in fig.spec["datasets"].values() for row in dataset}
    planned, actual = values["Planned"], values["Actual"]
    assert planned["signed"] < 0 < actual["signed"]
    assert planned["label"].startswith("down ") and actual["label"].startswith("up ")
    domain = fig.spec["spec"]["layer"][0]["encoding"]["x"]["scale"]["domain"]
    assert domain[0] < planned["signed"] and domain[1] > actual["signed"]
    colour = fig.spec["spec"]["layer"][0]["encoding"]["color"]["scale"]
    assert dict(zip(colour["domain"], colour["range"], strict=True)) == charts.COLOURS["plan or outcome"]
    assert vl_convert.vegalite_to_svg(fig.spec).startswith("<svg")  # it draws


def test_labelled_bars_scale_to_the_data_and_label_every_bar():
    frame = pd.DataFrame({"item": ["a", "b"], "value": [40.0, 80.0], "label": ["forty", "eighty"]})
    fig = charts.Figure(
        charts.labelled_bars(frame, category="item", value="value", title="Value"), ALT, ["pac-2018"], None
    )
    bars, text = fig.spec["layer"]
    assert bars["encoding"]["x"]["scale"]["domain"] == [0, 80.0 * shapes.HEADROOM]
    assert text["mark"]["type"] == "text" and text["encoding"]["text"]["field"] == "label"
    assert vl_convert.vegalite_to_svg(fig.spec).startswith("<svg")  # it draws
    with pytest.raises(ValueError, match="headroom"):
        charts.headroom([0, None])


def test_the_bcf_minimum_total_adds_its_three_parts_and_names_what_is_missing(recorded: Path):
    from carebook import facts

    total, rows = facts.bcf_minimum_total("2025-26")
    parts = [data.fact("bcf_years", key.split(":", 1)[1]) for key in rows]
    assert sorted(p["component"] for p in parts) == sorted(facts.BCF_PARTS)
    assert total == sum(p["amount"] for p in parts)

    csv = recorded.parent / "data" / "bcf_years.csv"
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    csv.write_text("".join(line for line in lines if not line.startswith(parts[-1]["id"] + ",")), encoding="utf-8")
    with pytest.raises(ValueError, match="bcf_years.csv: 2025-26 needs one GBP_million row for each of"):
        facts.bcf_minimum_total("2025-26")


def test_a_long_locator_is_cut_at_a_word_with_its_quotation_closed():
    """Tables and tooltips cut a long locator (prose.LOCATOR_CHARS) after a whole word, never inside one."""
    source_id = str(first_year()["source_id"].iloc[0])
    words = "the National Assistance Act received Royal Assent on the day it was given and came into force"
    cited = prose.cite(source_id, f'quote: "{words}"')
    locator = cited.removeprefix(prose.cite(source_id) + ", ")
    assert locator.endswith('\u00a0…"') and len(locator) <= prose.LOCATOR_CHARS + 3, locator
    kept = locator.removeprefix('quote: "').removesuffix('\u00a0…"')
    assert words.startswith(kept) and words[len(kept)] == " ", f"cut inside a word: {locator!r}"
    nested = prose.cite(source_id, 'section "Care Act 2014" (the box "15 million people estimated to be living with')
    assert nested.endswith('…")'), nested
