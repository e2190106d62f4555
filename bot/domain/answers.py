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


# Between the answers of a multiple choice typed as one message: "morning and evening",
# "morning, afternoon", "am & pm".
_MANY = re.compile(r"\s*(?:,|;|&|\+|/|\band\b|\bplus\b)\s*", re.IGNORECASE)


def choose_many(text: str, offers: Sequence[Offer[T]]) -> list[T] | None:
    """The values of every offer a typed list stands for ("morning and evening"), in the order
    typed and each once; None unless every part of it is one of the offers."""
    whole = choose(text, offers)
    if whole is not None:
        return [whole]
    chosen: list[T] = []
    for part in _MANY.split(text):
        if not part.strip():
            continue
        value = choose(part, offers)
        if value is None:
            return None
        if value not in chosen:
            chosen.append(value)
    return chosen or None


@dataclass(frozen=True)
class Pick(Generic[T]):
    """What typed words press among the buttons of one or more messages put together: ``value``;
    or nothing, because they fit a button on more than one of them (``several``), or none."""

    value: T | None = None
    several: bool = False


# "cancel 2", "2 cancel", "cancel #2": a button's words and which message it is on.
_NUMBERED = re.compile(r"^(?:#?(\d{1,2})\s+(.+)|(.+?)\s+#?(\d{1,2}))$")


def _one(found: Sequence[tuple[int, T]]) -> Pick[T]:
    """A pick from (message, value) pairs that fit: the one button they all are, or none if
    they are several ("here" to a list of sessions, "cancel" to two lines of /myshifts)."""
    if not found:
        return Pick()
    if len({value for _, value in found}) > 1:
        return Pick(several=True)
    return Pick(found[0][1])


def _fitting(words: str, numbered: Sequence[tuple[int, Offer[T]]]) -> Pick[T]:
    """The offers ``words`` fit: their label in any case, then a plain word for their meaning,
    then words found whole in exactly one label ("canvass" for "10:00 Canvass Peckham")."""
    by_label = [(n, o.value) for n, o in numbered if o.label and fold(o.label) == words]
    if by_label:
        return _one(by_label)
    by_meaning = [
        (n, o.value) for n, o in numbered if o.meaning is not None and words in SYNONYMS[o.meaning]
    ]
    if by_meaning:
        return _one(by_meaning)
    if len(words) < 3:
        return Pick()
    inside = [
        (n, o.value)
        for n, o in numbered
        if o.label and f" {words} " in f" {fold(o.label)} " and fold(o.label) != words
    ]
    return _one(inside)


def pick(text: str, messages: Sequence[Sequence[Offer[T]]]) -> Pick[T]:
    """The button ``text`` presses among those of ``messages`` (each message's buttons in
    order), as a person would mean it: a button's label in any case, a plain word for what it
    means, or its number in the list: the button's on one message, the message's when several
    each carry one. With several messages, "cancel 2" is the Cancel of the second."""
    words = fold(text)
    if not words or len(words) > _LONGEST:
        return Pick()
    numbered = [(n, offer) for n, offers in enumerate(messages, start=1) for offer in offers]
    found = _fitting(words, numbered)
    if found.value is not None or found.several:
        return found
    # The buttons of each message, once each (a button is offered by its label and its words).
    buttons = [list(dict.fromkeys(offer.value for offer in offers)) for offers in messages]
    if words.isdigit():
        number = int(words)
        if len(messages) == 1:
            return Pick(buttons[0][number - 1]) if 1 <= number <= len(buttons[0]) else Pick()
        if 1 <= number <= len(messages):
            on = buttons[number - 1]
            return Pick(on[0]) if len(on) == 1 else Pick(several=len(on) > 1)
        return Pick()
    match = _NUMBERED.match(words)
    if match is None or len(messages) < 2:
        return Pick()
    number = int(match[1] or match[4])
    rest = match[2] or match[3]
    if not 1 <= number <= len(messages):
        return Pick()
    found = _fitting(rest, [(n, o) for n, o in numbered if n == number])
    return found if found.value is not None else Pick()
