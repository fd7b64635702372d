"""The bibliography to take away: BibTeX, RIS and CSL JSON files made from references.bib, the records the
references page is built from. Each work is keyed by its citation label ('NAO2018a'), never by a source id."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pybtex.database import Entry, parse_string

from carebook.sphinxext.bibliography import LABEL_FIELD, MONTHS, author_text, label_entries, plain

STEM = "joined-up-references"
FOLDER = Path("_static") / "references"
RIS_TYPES = {"article": "JOUR", "techreport": "RPRT", "incollection": "CHAP"}
CSL_TYPES = {"article": "article-journal", "techreport": "report", "incollection": "chapter"}


def _blocks(text: str) -> dict[str, tuple[str, str]]:
    """Each entry's (type, body after the key) as written in the .bib file, by key."""
    blocks = {}
    for block in re.split(r"(?m)^(?=@)", text)[1:]:
        found = re.match(r"@(\w+)\{([^,]+),(.*)", block, flags=re.S)
        if found:
            blocks[found.group(2).strip()] = (found.group(1), found.group(3).rstrip())
    return blocks


def cite_key(entry: Entry) -> str:
    """A key readers can type, from the citation label: 'Keeble et al. (2019)' -> 'Keeble2019'."""
    author = re.sub(r" et al\.$", "", author_text(entry))
    label = entry.fields[LABEL_FIELD].replace("n.d.", "nd")
    return re.sub(r"[^A-Za-z0-9-]", "", author) + label


def _text(value: str) -> str:
    """A field as plain text: no protecting braces or TeX escapes."""
    return plain(value).replace("\\&", "&").replace("\\%", "%").replace("--", "–")


def _month(entry: Entry) -> int:
    month = plain(entry.fields.get("month", "")).lower()[:3]
    return list(MONTHS).index(month) + 1 if month in MONTHS else 0


def _date_parts(entry: Entry) -> list[int]:
    """[year, month, day] as far as the entry gives them."""
    year = plain(entry.fields.get("year", ""))
    if not year:
        return []
    parts = [int(year)]
    if _month(entry):
        parts.append(_month(entry))
        day = plain(entry.fields.get("day", ""))
        if day.isdigit():
            parts.append(int(day))
    return parts


def _persons(entry: Entry) -> list[dict]:
    """CSL names: {'family', 'given'} for people, {'literal'} for a body."""
    names = []
    for person in entry.persons.get("author", []):
        family = _text(" ".join(person.prelast_names + person.last_names))
        given = _text(" ".join(person.first_names + person.middle_names))
        names.append({"family": family, "given": given} if given else {"literal": family})
    return names


def _accessed(entry: Entry) -> list[int]:
    """The access date ('7 December 2026') as [year, month, day]; [] when written otherwise."""
    found = re.fullmatch(r"(\d{1,2}) ([A-Za-z]+) (\d{4})", _text(entry.fields["urldate"]))
    months = [m.lower() for m in MONTHS.values()]
    if not found or found.group(2).lower() not in months:
        return []
    return [int(found.group(3)), months.index(found.group(2).lower()) + 1, int(found.group(1))]


def csl_item(key: str, entry: Entry) -> dict:
    """One work as CSL JSON (the format Zotero, Mendeley and pandoc read)."""
    f = entry.fields
    item: dict = {"id": key, "type": CSL_TYPES.get(entry.type, "webpage" if "url" in f else "document")}
    item["title"] = _text(f.get("title", ""))
    if names := _persons(entry):
        item["author"] = names
    if parts := _date_parts(entry):
        item["issued"] = {"date-parts": [parts]}
    for csl, bib in (("container-title", "journal"), ("container-title", "booktitle"), ("volume", "volume")):
        if bib in f:
            item[csl] = _text(f[bib])
    for csl, bib in (("issue", "number"), ("page", "pages"), ("DOI", "doi"), ("URL", "url"), ("note", "note")):
        if bib in f and not (csl == "issue" and entry.type == "techreport"):
            item[csl] = _text(f[bib])
    if entry.type == "techreport":
        item["number"] = " ".join(filter(None, [_text(f.get("type", "")), _text(f.get("number", ""))]))
    if "institution" in f:
        item["publisher"] = _text(f["institution"])
    if "howpublished" in f:
        item["genre"] = _text(f["howpublished"])
    if "urldate" in f:
        parts = _accessed(entry)
        item["accessed"] = {"date-parts": [parts]} if parts else {"literal": _text(f["urldate"])}
    return item


def ris_record(entry: Entry) -> str:
    """One work as an RIS record (the format EndNote and most reference managers import)."""
    f = entry.fields
    lines = [("TY", RIS_TYPES.get(entry.type, "ELEC" if "url" in f else "GEN")), ("TI", _text(f.get("title", "")))]
    lines += [("AU", n.get("literal") or f"{n['family']}, {n['given']}") for n in _persons(entry)]
    if parts := _date_parts(entry):
        lines.append(("PY", str(parts[0])))
        lines.append(("DA", "/".join(f"{p:02d}" for p in parts) + "/" * (4 - len(parts))))
    tags = (("T2", "journal"), ("T2", "booktitle"), ("VL", "volume"), ("SP", "pages"), ("DO", "doi"), ("UR", "url"))
    lines += [(tag, _text(f[name])) for tag, name in tags if name in f]
    if entry.type == "article" and "number" in f:
        lines.append(("IS", _text(f["number"])))
    if entry.type == "techreport":
        lines.append(("M1", " ".join(filter(None, [_text(f.get("type", "")), _text(f.get("number", ""))]))))
    if "institution" in f:
        lines.append(("PB", _text(f["institution"])))
    if "howpublished" in f:
        lines.append(("M3", _text(f["howpublished"])))
    if "urldate" in f:
        lines.append(("Y2", "/".join(f"{p:02d}" for p in _accessed(entry)) or _text(f["urldate"])))
    if "note" in f:
        lines.append(("N1", _text(f["note"])))
    return "".join(f"{tag}  - {value}\n" for tag, value in lines if value) + "ER  - \n"


def downloads(bib: Path) -> dict[Path, bytes]:
    """The three files, by path under the staged tree, each holding every work of `bib`."""
    text = bib.read_text(encoding="utf-8")
    data = parse_string(text, "bibtex")
    label_entries(data.entries)
    keys = {key: cite_key(entry) for key, entry in data.entries.items()}
    blocks = _blocks(text)
    order = sorted(keys, key=lambda k: keys[k].lower())
    bibtex = "".join(f"@{blocks[k][0]}{{{keys[k]},{blocks[k][1]}\n\n" for k in order)
    ris = "\n".join(ris_record(data.entries[k]) for k in order)
    csl = json.dumps([csl_item(keys[k], data.entries[k]) for k in order], indent=1, ensure_ascii=False) + "\n"
    return {
        FOLDER / f"{STEM}.bib": bibtex.encode("utf-8"),
        FOLDER / f"{STEM}.ris": ris.encode("utf-8"),
        FOLDER / f"{STEM}.json": csl.encode("utf-8"),
    }
