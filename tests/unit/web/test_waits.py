"""Waits in words, as the 429 pages and problems say them."""

from __future__ import annotations

import pytest

from web.waits import in_words, try_again


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "in a few seconds"),
        (10, "in a few seconds"),
        (11, "in less than a minute"),
        (44, "in less than a minute"),
        (45, "in about a minute"),
        (60, "in about a minute"),
        (61, "in about 2 minutes"),
        (14 * 60, "in about 14 minutes"),
        (14 * 60 + 1, "in about 15 minutes"),
        (59 * 60, "in about 59 minutes"),
        (59 * 60 + 1, "in about an hour"),
        (3600, "in about an hour"),
        (3600 + 29 * 60, "in about an hour"),
        (3 * 3600, "in about 3 hours"),
        (35 * 3600, "in about 35 hours"),
        (36 * 3600, "in about 2 days"),
        (7 * 86400, "in about 7 days"),
    ],
)
def test_a_wait_is_said_in_words_a_person_uses(seconds: int, words: str) -> None:
    assert in_words(seconds) == words


def test_minutes_are_rounded_up_so_nobody_comes_back_too_early() -> None:
    assert in_words(13 * 60 + 1) == "in about 14 minutes"


def test_a_refusal_ends_with_a_sentence_saying_when() -> None:
    assert try_again(14 * 60) == "Try again in about 14 minutes."
