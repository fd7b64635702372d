"""Staging's values made from files, kept on disk between processes (`warm.by_content` under `warm.stored_in`):
used again only while the files' bytes and the code's stamp are the same."""

from __future__ import annotations

from pathlib import Path

from carebook.build import warm


def counted(calls: list[str], value: str):
    """A maker that records each call."""

    def make() -> str:
        calls.append(value)
        return value

    return make


def test_a_kept_value_is_made_again_only_when_its_files_or_code_change(tmp_path: Path):
    source, store = tmp_path / "sources.csv", tmp_path / "store"
    source.write_text("id,title\na,One\n", encoding="utf-8")
    calls: list[str] = []
    with warm.stored_in(store, "code-1"):
        assert warm.by_content("citations", [source], counted(calls, "first")) == "first"
        assert warm.by_content("citations", [source], counted(calls, "again")) == "first"  # from the store
    with warm.stored_in(store, "code-1"):  # as a new build would: nothing in memory, the file on disk
        assert warm.by_content("citations", [source], counted(calls, "again")) == "first"
    assert calls == ["first"]
    source.write_text("id,title\na,Two\n", encoding="utf-8")
    with warm.stored_in(store, "code-1"):
        assert warm.by_content("citations", [source], counted(calls, "edited")) == "edited"
    with warm.stored_in(store, "code-2"):  # staging's code or the lock changed
        assert warm.by_content("citations", [source], counted(calls, "new code")) == "new code"
    assert calls == ["first", "edited", "new code"]


def test_a_damaged_store_is_made_again_and_no_store_keeps_nothing(tmp_path: Path):
    source, store = tmp_path / "sources.csv", tmp_path / "store"
    source.write_text("id\na\n", encoding="utf-8")
    calls: list[str] = []
    with warm.stored_in(store, "code"):
        warm.by_content("citations", [source], counted(calls, "first"))
    for kept in store.iterdir():
        kept.write_bytes(b"not a pickle")
    with warm.stored_in(store, "code"):
        assert warm.by_content("citations", [source], counted(calls, "remade")) == "remade"
    assert warm.by_content("citations", [source], counted(calls, "outside")) == "outside"  # no store: made each time
    assert calls == ["first", "remade", "outside"]
