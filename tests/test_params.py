"""`-p` values are checked against the parameter's declared type and choices, naming the argument."""

from __future__ import annotations

import pytest

from carebook.build.params import declarations
from carebook.errors import UsageError

CHAPTER = """---
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

```{code-cell} ipython3
:tags: [parameters]
first_year = 1948  # the earliest year shown
share = 0.5
colour = ""  # a colour, or "" for none;
# one of: "", red, blue
```
"""


@pytest.fixture
def declared():
    return declarations(CHAPTER, "book/x.md")


def test_declared_defaults_and_choices(declared):
    assert declared["first_year"].default == 1948 and declared["first_year"].choices == ()
    assert declared["colour"].choices == ("", "red", "blue")


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("first_year", "1990", 1990),
        ("share", "1", 1),
        ("share", "0.25", 0.25),
        ("colour", "red", "red"),
        ("colour", "", ""),
    ],
)
def test_values_that_fit_are_taken(declared, name, text, value):
    assert declared[name].check("x", text) == value


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("first_year", "abc", "-p x first_year=abc: first_year takes a whole number, not text ('abc')"),
        ("first_year", "[1990", "-p x first_year=[1990: cannot read the value ("),
        ("share", "true", "-p x share=true: share takes a number, not true or false (True)"),
        ("colour", "green", "-p x colour=green: 'green' is not one of colour's choices: '', 'red', 'blue'"),
    ],
)
def test_values_that_do_not_fit_are_refused_naming_the_argument(declared, name, text, message):
    with pytest.raises(UsageError) as refused:
        declared[name].check("x", text)
    assert str(refused.value).startswith(message)
    assert "\n" not in str(refused.value)
