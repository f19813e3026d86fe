"""How long to wait, in the words a person would use: "in about 14 minutes"."""

from __future__ import annotations

import math

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def in_words(seconds: float) -> str:
    """When a wait of ``seconds`` ends: "in a few seconds", "in less than a minute",
    "in about a minute", "in about 14 minutes" (minutes rounded up, so nobody comes
    back too early), "in about an hour", "in about 3 hours", "in about 2 days"."""
    if seconds <= 10:
        return "in a few seconds"
    if seconds < 45:
        return "in less than a minute"
    if (minutes := math.ceil(seconds / MINUTE)) < 60:
        return "in about " + _counted(minutes, "a minute", "minutes")
    if seconds < 36 * HOUR:
        return "in about " + _counted(round(seconds / HOUR), "an hour", "hours")
    return "in about " + _counted(round(seconds / DAY), "a day", "days")


def try_again(seconds: float) -> str:
    """The sentence a refusal ends with: "Try again in about 14 minutes."."""
    return f"Try again {in_words(seconds)}."


def _counted(number: int, one: str, many: str) -> str:
    return one if number <= 1 else f"{number} {many}"
