"""Typed words as button presses, free of Telegram: the one rule for when something typed means
what a button offered at that moment means.

People type instead of tapping: the label itself in any case ("SKIP", "« back"), or a plain word
they would use ("no thanks", "later", "done", "none"). Each step that offers buttons lists its
:class:`Offer` s; :func:`choose` returns the value of the one the words mean, or None when they
are not an answer to those buttons (a name, a postcode, a date...), so the step reads them as it
did before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class Meaning(StrEnum):
    """What a button means, beyond its own label."""

    YES = "yes"
    NO = "no"
    MAYBE = "maybe"
    SKIP = "skip"
    DONE = "done"
    BACK = "back"
    CANCEL = "cancel"
    HERE = "here"
    LATE = "late"
    LIFT = "lift"


# Words that mean each, once folded by :func:`fold`. Some are shared ("no thanks" is a Skip where
# Skip is offered, a No where No is): the step's own offers, in order, decide.
SYNONYMS: dict[Meaning, frozenset[str]] = {
    Meaning.YES: frozenset(
        {
            "yes", "y", "yeah", "yea", "yep", "yup", "yes please", "sure", "ok", "okay", "k",
            "go ahead", "go on", "confirm", "do it", "please do", "agree", "i agree", "of course",
            "definitely", "absolutely", "count me in", "i'm in", "im in", "i'll be there",
            "going", "+", "👍",
        }
    ),
    Meaning.NO: frozenset(
        {
            "no", "n", "nope", "nah", "no thanks", "no thank you", "not now", "don't", "dont",
            "do not", "can't", "cant", "cannot", "can't make it", "cant make it", "not coming",
            "no way", "👎",
        }
    ),
    Meaning.MAYBE: frozenset(
        {"maybe", "perhaps", "possibly", "not sure", "unsure", "might", "might do", "tbc"}
    ),
    Meaning.SKIP: frozenset(
        {
            "skip", "skip it", "none", "nothing", "no", "n", "nope", "nah", "no thanks",
            "no thank you", "not now", "later", "maybe later", "pass", "n/a", "na", "rather not",
            "i'd rather not", "prefer not", "prefer not to say", "-",
        }
    ),
    Meaning.DONE: frozenset(
        {
            "done", "finished", "finish", "that's all", "thats all", "that's it", "thats it",
            "all done", "next", "continue", "no more", "nothing more", "nothing else", "ok done",
        }
    ),
    Meaning.BACK: frozenset({"back", "go back", "previous", "undo"}),
    Meaning.HERE: frozenset(
        {"here", "i'm here", "im here", "i am here", "arrived", "i've arrived", "just arrived"}
    ),
    Meaning.LATE: frozenset(
        {
            "late", "running late", "i'm late", "im late", "i'm running late", "running behind",
            "on my way", "omw", "delayed", "be there soon", "nearly there",
        }
    ),
    Meaning.LIFT: frozenset(
        {
            "need a lift", "i need a lift", "lift please", "a lift please", "need lift",
            "yes please a lift", "can i get a lift", "could i get a lift", "i'd like a lift",
            "need a ride", "i need a ride", "lift", "a lift", "i'll need a lift",
        }
    ),
    Meaning.CANCEL: frozenset(
        {"cancel", "stop", "quit", "abort", "exit", "never mind", "nevermind", "forget it"}
    ),
}

# Ticks, arrows and other marks buttons carry, and the full stops and "!" people add.
_MARKS = re.compile(r"[^\w\s'/+\-👍👎]")
_LONGEST = 60


def fold(text: str) -> str:
    """Words as compared: lower case, curly apostrophes straight, marks and spare spaces gone."""
    plain = text.casefold().replace("’", "'").replace("‘", "'")
    kept = _MARKS.sub(" ", plain)
    words = " ".join(kept.split())
    # A lone mark ("+", "-", "👍") is an answer; around words it is only decoration, and a
    # hyphen between them a space ("Door-knocking" is "door knocking").
    if len(words) <= 2:
        return words
    return " ".join(words.replace("-", " ").split()).strip("+ ")


@dataclass(frozen=True)
class Offer(Generic[T]):
    """One button on offer: the value its press stands for, its label, and what it means."""

    value: T
    label: str = ""
    meaning: Meaning | None = None


def choose(text: str, offers: Sequence[Offer[T]]) -> T | None:
    """The value of the offer ``text`` stands for: its label in any case first, then the
    synonyms of each offer's meaning, in the order offered; None if it is neither."""
    words = fold(text)
    if not words or len(words) > _LONGEST:
        return None
    for offer in offers:
        if offer.label and fold(offer.label) == words:
            return offer.value
    for offer in offers:
        if offer.meaning is not None and words in SYNONYMS[offer.meaning]:
            return offer.value
    return None


def means(text: str, *meanings: Meaning) -> Meaning | None:
    """Which of ``meanings`` (in that order of preference) ``text`` stands for, if any."""
    return choose(text, [Offer(meaning, meaning.value, meaning) for meaning in meanings])
