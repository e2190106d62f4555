"""The rules of volunteer sign-up, free of Telegram: the questions, their order, and what counts as
a valid answer."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class Step(StrEnum):
    NAME = "name"
    LOCATION = "location"
    AVAILABILITY = "availability"
    ACTIVITIES = "activities"
    PHONE = "phone"


ORDER: tuple[Step, ...] = (
    Step.NAME,
    Step.LOCATION,
    Step.AVAILABILITY,
    Step.ACTIVITIES,
    Step.PHONE,
)


def next_step(step: Step) -> Step | None:
    """The question after ``step`` during sign-up, or None when sign-up is complete."""
    index = ORDER.index(step)
    return ORDER[index + 1] if index + 1 < len(ORDER) else None


# Codes are stored and used in callback data; labels are what volunteers see.
AVAILABILITY: dict[str, str] = {
    "wkday": "Weekday daytimes",
    "wkeve": "Weekday evenings",
    "sat": "Saturdays",
    "sun": "Sundays",
    "polling": "Polling day",
}

ACTIVITIES: dict[str, str] = {
    "doors": "Door-knocking",
    "leaflets": "Leafleting",
    "phones": "Phone banking",
    "driving": "Driving",
    "data": "Data entry",
    "committee": "Committee room",
    "translation": "Translation",
    "anything": "Anything",
}

OPTIONS: dict[Step, dict[str, str]] = {Step.AVAILABILITY: AVAILABILITY, Step.ACTIVITIES: ACTIVITIES}

NAME_MAX = 64


class InvalidAnswer(ValueError):
    """An answer we cannot take; ``reason`` is a short code texts turn into a friendly reply."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def clean_name(raw: str) -> str:
    """A display name: trimmed, inner spaces folded, no control characters, at most 64 characters.

    HTML is not refused here (O'Brien & <Sons> is a name someone may type); it is escaped wherever a
    name is shown.
    """
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in raw if ch not in " "):
        raise InvalidAnswer("name_control")
    name = " ".join(raw.split())
    if not name:
        raise InvalidAnswer("name_empty")
    if len(name) > NAME_MAX:
        raise InvalidAnswer("name_long")
    if name.startswith("/"):
        raise InvalidAnswer("name_command")
    return name


# The Royal Mail format: outward code (area, district, optional sub-district) and inward code
# (sector and unit). GIR 0AA is the one historic exception still in use.
_POSTCODE = re.compile(r"^(GIR0AA|[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][ABD-HJLNP-UW-Z]{2})$")


def normalise_postcode(raw: str) -> str:
    """'se15 4qr' -> 'SE15 4QR'. Raises InvalidAnswer for anything that is not a UK postcode."""
    compact = re.sub(r"\s+", "", raw).upper()
    if not _POSTCODE.match(compact):
        raise InvalidAnswer("postcode")
    return f"{compact[:-3]} {compact[-3:]}"


def valid_location(latitude: float, longitude: float) -> bool:
    return -90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0


def normalise_phone(raw: str) -> str:
    """Telegram sends numbers with or without '+'; store them one way, as +<digits>."""
    digits = re.sub(r"\D", "", raw)
    if not 7 <= len(digits) <= 15:
        raise InvalidAnswer("phone")
    return f"+{digits}"
