"""Progress lines: silent for a program using the API, one line each at the terminal, however often it is set up."""

from __future__ import annotations

import io
import logging

import pytest

from carebook.build import progress


@pytest.fixture
def clean_logger():
    log = progress.LOG
    before = (list(log.handlers), log.level, log.propagate)
    log.handlers, log.propagate = [], True
    yield log
    log.handlers, log.level, log.propagate = before


def test_a_program_using_the_api_hears_nothing_unless_it_asks(clean_logger, capsys):
    progress.chapter("history", "executed", "in 1.0 s")
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_the_terminal_gets_each_line_once_and_warnings_apart(clean_logger):
    out, err = io.StringIO(), io.StringIO()
    progress.to_terminal(out, err)
    progress.to_terminal(out, err)  # `serve` and the CLI may both ask
    progress.chapter("history", "executed", "in 1.0 s")
    progress.step("html", "unchanged")
    progress.waiting("waiting for another build")
    assert out.getvalue().splitlines() == ["  executed history  in 1.0 s", "html... unchanged"]
    assert err.getvalue().splitlines() == ["waiting for another build"]


def test_a_programs_own_logging_can_listen(clean_logger, caplog):
    with caplog.at_level(logging.INFO, logger="carebook"):
        progress.page("reading", "history")
    assert [r.getMessage() for r in caplog.records] == ["  reading  history"]
