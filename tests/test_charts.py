"""Charts without a browser: each leaves HTML holding its Vega-Lite spec (no picture); `figure` refuses bad input."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import altair as alt
import pandas as pd
import pytest
from conftest import ROOT

from carebook import charts, data
from carebook.build.toc import chapters

RECORD = "application/papermill.record/"  # how myst-nb's glue stores a value's MIME bundle in the notebook


class ChartMarkup(HTMLParser):
    """The chart containers (id -> data-alt) and spec scripts (data-for -> text) of an HTML fragment."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.containers: dict[str, str] = {}
        self.specs: dict[str, str] = {}
        self.narrow: dict[str, str] = {}  # data-for -> the phone layout's spec, for charts that have one
        self.tables = 0
        self.links: list[str] = []
        self._in_spec: str | None = None
        self._into = self.specs
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attr = dict(attrs)
        classes = (attr.get("class") or "").split()
        if charts.VIS_CLASS in classes:
            self.containers[attr["id"]] = attr.get("data-alt", "")
        elif tag == "script" and "carebook-spec" in classes:
            self._in_spec = attr.get("data-for", "")
            self._into = self.specs
            self.specs[self._in_spec] = ""
        elif tag == "script" and "carebook-spec-narrow" in classes:
            self._in_spec = attr.get("data-for", "")
            self._into = self.narrow
            self.narrow[self._in_spec] = ""
        elif tag == "table":
            self.tables += 1
        elif tag == "a" and (attr.get("href") or "").endswith(".csv"):
            self.links.append(attr["href"])

    def handle_data(self, text):
        if self._in_spec is not None:
            self._into[self._in_spec] += text

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_spec = None


def glued(notebook: Path) -> dict[str, dict]:
    """Every glued value of an executed notebook: name -> MIME bundle (without the record prefix)."""
    found = {}
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                found[name] = {k.removeprefix(RECORD): v for k, v in output.get("data", {}).items()}
    return found


def glued_charts(notebook: Path) -> dict[str, dict]:
    """The glued values that are charts: those whose HTML holds a chart container, or that carry a picture."""
    return {
        name: bundle
        for name, bundle in glued(notebook).items()
        if "image/png" in bundle
        or "image/svg+xml" in bundle
        or f'class="{charts.VIS_CLASS}"' in "".join(bundle.get("text/html", ""))
    }


def executed(built_book: Path, page) -> Path:
    """The executed notebook of a chapter, beside the built HTML (`_build/executed/<chapter>.ipynb`)."""
    return built_book.parent / "executed" / f"{page.slug}.ipynb"


def test_chapters_glue_charts(built_book: Path):
    found = sum(len(glued_charts(executed(built_book, page))) for page in chapters(ROOT))
    assert found >= 5, f"only {found} glued charts across the executed chapters"


@pytest.mark.parametrize("page", chapters(ROOT), ids=lambda p: p.slug)
def test_every_glued_chart_has_html_spec_and_no_picture(built_book: Path, page):
    """Each chart is its HTML with the spec (which the web draws, and print and the e-book draw again as vector
    graphics): no picture is rendered while the chapter runs."""
    from carebook.sphinxext import vector

    notebook = executed(built_book, page)
    assert notebook.exists(), f"{notebook} was not executed"
    for name, bundle in glued_charts(notebook).items():
        where = f"{page.slug}: chart {name!r}"
        assert "text/html" in bundle, f"{where} has no HTML output for the web"
        assert not {"image/png", "image/svg+xml"} & set(bundle), f"{where} carries a picture besides its spec"
        markup = ChartMarkup("".join(bundle["text/html"]))
        chart = vector.chart_in("".join(bundle["text/html"]))
        assert chart is not None and chart["spec"] == json.loads(markup.specs[chart["id"]]), where
        assert chart["alt"] == "".join(bundle["text/plain"]), f"{where}: print and the e-book lose its alt text"
        assert len(markup.containers) == 1, f"{where}: expected one chart container, found {markup.containers}"
        ((vis_id, alt_text),) = markup.containers.items()
        assert vis_id in markup.specs, f"{where}: no script.carebook-spec for #{vis_id}"
        spec = json.loads(markup.specs[vis_id])
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/"), where
        assert alt_text, f"{where} has no alt text"
        assert spec.get("description") == alt_text, f"{where}: the spec's description is not its alt text"
        assert "".join(bundle.get("text/plain", "")) == alt_text, f"{where}: the plain-text output is not its alt text"
        assert markup.tables or markup.links, f"{where} has neither a data table nor a CSV link"


# --- the helper itself -------------------------------------------------------------------

ALT = "Four made-up points that mostly rise from left to right."


def a_source() -> str:
    return str(data.sources().index[0])


def a_chart() -> alt.Chart:
    frame = pd.DataFrame({"x": [1, 2, 3, 4], "y": [1, 3, 2, 5]})
    return alt.Chart(frame).mark_point().encode(x="x:Q", y="y:Q")


@pytest.mark.parametrize("alt_text", ["", "   ", "A chart."], ids=["empty", "blank", "too-short"])
def test_figure_refuses_a_chart_without_alt_text(alt_text):
    with pytest.raises(ValueError, match="fig-no-alt"):
        charts.figure("fig-no-alt", a_chart(), alt=alt_text, sources=[a_source()])


def test_figure_refuses_a_chart_without_alt_argument():
    with pytest.raises(ValueError, match="fig-no-alt-given.*alt text"):
        charts.figure("fig-no-alt-given", a_chart(), sources=[a_source()])


def test_figure_refuses_a_chart_without_sources():
    with pytest.raises(ValueError, match="fig-no-sources.*sources"):
        charts.figure("fig-no-sources", a_chart(), alt=ALT)
    with pytest.raises(ValueError, match="fig-empty-sources"):
        charts.figure("fig-empty-sources", a_chart(), alt=ALT, sources=[])


def test_spec_with_markup_characters_survives_into_the_html():
    chart = (
        a_chart()
        .transform_filter("datum.x < 3 && datum.y > 1")
        .encode(tooltip=[alt.Tooltip("y:Q", title="</script><!-- <b>y & co</b> -->")])
    )
    alt_text = 'Points where x < 3 && y > 1, with "quoted" words & an ampersand.'
    fig = charts.Figure(chart, alt_text, [a_source()], None)
    text = fig.html()
    markup = ChartMarkup(text)
    script = markup.specs[fig.id]
    assert not set("<>&") & set(script), "raw <, > or & inside the spec script"
    assert json.loads(script) == fig.spec
    assert json.loads(script)["transform"][0]["filter"] == "datum.x < 3 && datum.y > 1"
    assert markup.containers[fig.id] == alt_text


def test_a_phone_layout_travels_with_its_chart():
    """A chart given a narrow layout carries both specs, each with the alt text and footer; print keeps the wide one."""
    wide = a_chart()
    phone = alt.Chart(pd.DataFrame({"x": [1, 2, 3, 4], "y": [1, 3, 2, 5]})).mark_text().encode(y="x:O", text="y:Q")
    fig = charts.Figure(wide, ALT, [a_source()], None, narrow=phone)
    markup = ChartMarkup(fig.html())
    assert list(markup.narrow) == [fig.id], "the phone layout's spec is not tied to its chart"
    narrow_spec, wide_spec = json.loads(markup.narrow[fig.id]), json.loads(markup.specs[fig.id])
    assert narrow_spec["mark"]["type"] == "text" and wide_spec["mark"]["type"] == "point"
    assert narrow_spec["description"] == wide_spec["description"] == ALT
    assert narrow_spec["title"] == wide_spec["title"] and "Source" in " ".join(narrow_spec["title"]["text"])
    assert fig.id != charts.Figure(wide, ALT, [a_source()], None).id, "two different figures share an id"
    assert not ChartMarkup(charts.Figure(wide, ALT, [a_source()], None).html()).narrow


def test_event_rows_put_one_event_a_row_and_wrap_long_titles():
    from carebook import layouts

    events = pd.DataFrame(
        {
            "_date": pd.to_datetime(["2015-03-10", "1948-07-05", "2015-07-01"]),
            "title": ["First", "A title long enough that it cannot sit on one line of a phone", "Third"],
            "kind": ["a", "b", "a"],
        }
    )
    chart = layouts.event_rows(
        events, date="_date", title="title", kind="kind", kinds=["a", "b"], kind_title="Kind", tooltip=[]
    )
    rows = chart.data  # the layers share one table
    assert list(rows["_row"]) == [0, 1, 2] and list(rows["_year"]) == ["1948", "2015", ""], "a year is shown once"
    assert "\n" in rows["_label"].iloc[0] and max(len(line) for line in rows["_label"].iloc[0].split("\n")) <= 36


def test_stack_labels_sit_in_the_middle_of_their_segments():
    from carebook import layouts

    frame = pd.DataFrame({"wave": ["1", "1", "2"], "model": ["ACC", "PACS", "PACS"], "sites": [4, 6, 2]})
    labels = layouts.stack_labels(
        frame, x=alt.X("wave:N"), value="sites", label="model", order=["PACS", "ACC"], title="Sites"
    )
    middles = {(r["wave"], r["model"]): r["_mid"] for r in labels.data.to_dict("records")}
    assert middles == {("1", "PACS"): 3, ("1", "ACC"): 8, ("2", "PACS"): 1}


def test_layered_chart_shows_its_data():
    frame = pd.DataFrame({"year": [2015, 2016, 2017], "sites": [29, 37, 50]})
    bars = alt.Chart(frame).mark_bar().encode(x="year:O", y="sites:Q")
    rule = alt.Chart(pd.DataFrame({"target": [40]})).mark_rule().encode(y="target:Q")
    fig = charts.Figure(bars + rule, ALT, [a_source()], None)
    markup = ChartMarkup(fig.data_table())
    assert markup.tables == 1
    assert "<td>37</td>" in fig.data_table()


# --- one colour per thing, and the wheel left to the page (issue 16) --------------------------


def colour_scales(spec) -> list[dict]:
    """Every colour channel of a spec: {field, domain, range}."""
    found = []
    for node in charts._dicts(spec):
        enc = node.get("encoding", {}).get("color") if isinstance(node.get("encoding"), dict) else None
        if isinstance(enc, dict) and "field" in enc:
            scale = enc.get("scale", {})
            found.append({"field": enc["field"], "domain": scale.get("domain"), "range": scale.get("range")})
    return found


def colours_by_value(spec) -> dict[str, str]:
    pairs = {}
    for scale in colour_scales(spec):
        assert scale["domain"] and scale["range"], f"colour of {scale['field']} is not the book's: {scale}"
        pairs.update(zip(scale["domain"], scale["range"], strict=True))
    return pairs


def test_the_same_vanguard_model_has_the_same_colour_in_every_chart(built_book: Path):
    seen: dict[str, set[str]] = {}
    models = set(charts.COLOURS["vanguard model"])
    for page in chapters(ROOT):
        for bundle in glued_charts(executed(built_book, page)).values():
            markup = ChartMarkup("".join(bundle["text/html"]))
            spec = json.loads(next(iter(markup.specs.values())))
            for scale in colour_scales(spec):
                if scale["domain"] and set(scale["domain"]) & models:
                    for value, colour in zip(scale["domain"], scale["range"], strict=True):
                        seen.setdefault(value, set()).add(colour)
    assert len(seen) == len(models), f"vanguard models coloured in the charts: {sorted(seen)}"
    assert all(len(colours) == 1 for colours in seen.values()), f"a model with two colours: {seen}"
    assert len({next(iter(c)) for c in seen.values()}) == len(models), "two models share a colour"


def test_figure_gives_known_things_the_books_colours_in_any_order():
    first = pd.DataFrame({"model": ["UEC", "PACS"], "n": [1, 2]})
    second = pd.DataFrame({"model": ["PACS", "MCP", "UEC"], "n": [3, 1, 2]})
    specs = [
        charts.Figure(alt.Chart(f).mark_bar().encode(x="model:N", y="n:Q", color="model:N"), ALT, [a_source()], None)
        for f in (first, second)
    ]
    one, two = (colours_by_value(figure.spec) for figure in specs)
    assert one["UEC"] == two["UEC"] and one["PACS"] == two["PACS"]
    assert len(set(two.values())) == 3


def test_unknown_values_keep_the_palette():
    frame = pd.DataFrame({"thing": ["alpha", "beta"], "n": [1, 2]})
    figure = charts.Figure(
        alt.Chart(frame).mark_bar().encode(x="thing:N", y="n:Q", color="thing:N"), ALT, [a_source()], None
    )
    assert all(scale["range"] is None for scale in colour_scales(figure.spec))


def test_a_zoomable_chart_zooms_only_with_shift():
    figure = charts.Figure(a_chart().interactive(), ALT, [a_source()], None)
    params = [p for node in charts._dicts(figure.spec) for p in node.get("params", []) if isinstance(p, dict)]
    bound = [p for p in params if p.get("bind") == "scales"]
    assert bound, "the interactive chart lost its zoom"
    assert all(p["select"]["zoom"] == "wheel![event.shiftKey]" for p in bound)


def test_a_legend_keeps_only_the_values_drawn_in_their_own_colours():
    kinds = list(charts.COLOURS["kind of provision"])  # duty, power, structure
    frame = pd.DataFrame({"kind": ["duty", "structure"], "n": [1, 2]})
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(x="kind:N", y="n:Q", color=alt.Color("kind:N", scale=alt.Scale(domain=kinds)))
    )
    drawn = colours_by_value(charts.Figure(chart, ALT, [a_source()], None).spec)
    assert drawn == {kind: charts.COLOURS["kind of provision"][kind] for kind in ("duty", "structure")}


def test_a_zoomable_axis_has_room_for_the_points_at_its_ends():
    figure = charts.Figure(a_chart().interactive(bind_y=False), ALT, [a_source()], None)
    encoding = figure.spec["encoding"]
    assert encoding["x"]["scale"]["padding"] == charts.EDGE_PADDING
    assert "padding" not in encoding["y"].get("scale", {}), "an axis that does not zoom keeps its own ends"


def test_data_table_prints_numbers_as_the_prose_does():
    frame = pd.DataFrame(
        {"year": [2015, 2025], "million": [3800.0, 5614.0], "change": [-106000.0, 87000.0], "sites": [29, 14]}
    )
    bars = alt.Chart(frame).mark_bar().encode(x="year:O", y="million:Q", tooltip=["change:Q", "sites:Q"])
    table = charts.Figure(bars, ALT, [a_source()], None).data_table()
    for cell in ("<td>2015</td>", "<td>3,800</td>", "<td>5,614</td>", "<td>\u2212106,000</td>", "<td>87,000</td>"):
        assert cell in table
    assert "3800.0" not in table and "2,015" not in table


def test_data_table_gives_a_figure_its_rows_unit():
    from carebook.chartdata import reader_columns

    frame = pd.DataFrame({"item": ["a", "b"], "amount": [3.8, 329.0], "unit": ["GBP_billion", "GBP_million"]})
    shown = reader_columns(frame)
    assert list(shown["amount"]) == ["£3.8 billion", "£329 million"] and "unit" not in shown.columns


def test_data_table_headings_and_cells_have_no_working_marks():
    frame = pd.DataFrame(
        {"plan_or_outcome": ["Planned", "Actual"], "two_lines": ["£60 million|cash", "£329 million|cash"]}
    )
    bars = alt.Chart(frame).mark_bar().encode(x="plan_or_outcome:N", text="two_lines:N")
    table = charts.Figure(bars, ALT, [a_source()], None).data_table()
    assert "<th>Plan or outcome</th>" in table and "<td>£60 million cash</td>" in table and "|" not in table
