"""What a person is in the middle of, typed: the user data every handler sees as
``context.user_data`` (PTB's ``ContextTypes``), saved as JSON by :mod:`bot.persistence` after
every update so that a restart carries on where they were."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from bot.callbacks import Consent
from bot.domain.audience import Audience
from bot.domain.events import ShiftDraft


@dataclass
class NewEventDraft:
    """/newevent so far."""

    state: int  # the question being asked (see handlers.newevent)
    areas: list[str] | None  # the areas an area organiser may pick from; None: any area
    kind: str | None = None
    title: str | None = None
    area: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    day: date | None = None
    shifts: list[ShiftDraft] = field(default_factory=list)
    # What the last answer could mean, while the organiser is asked which ("Sat 14 Mar" on a
    # Sunday; "10-1"): at most one of these is non-empty.
    maybe_days: list[date] = field(default_factory=list)
    maybe_shifts: list[ShiftDraft] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "areas": self.areas,
            "kind": self.kind,
            "title": self.title,
            "area": self.area,
            "address": self.address,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "day": self.day.isoformat() if self.day else None,
            "shifts": [_shift_json(s) for s in self.shifts],
            "maybe_days": [day.isoformat() for day in self.maybe_days],
            "maybe_shifts": [_shift_json(s) for s in self.maybe_shifts],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NewEventDraft:
        return cls(
            state=int(data["state"]),
            areas=list(data["areas"]) if data["areas"] is not None else None,
            kind=data["kind"],
            title=data["title"],
            area=data["area"],
            address=data["address"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            day=date.fromisoformat(data["day"]) if data["day"] else None,
            shifts=[_shift_from_json(s) for s in data["shifts"]],
            # Drafts saved before these questions existed have neither.
            maybe_days=[date.fromisoformat(day) for day in data.get("maybe_days", [])],
            maybe_shifts=[_shift_from_json(s) for s in data.get("maybe_shifts", [])],
        )


def _shift_json(shift: ShiftDraft) -> dict[str, Any]:
    return {
        "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(),
        "capacity": shift.capacity,
        "note": shift.note,
    }


def _shift_from_json(data: dict[str, Any]) -> ShiftDraft:
    return ShiftDraft(
        datetime.fromisoformat(data["starts_at"]),
        datetime.fromisoformat(data["ends_at"]),
        int(data["capacity"]),
        data["note"],
    )


@dataclass
class EventEdit:
    """A change to an event waiting for the organiser to type the new value."""

    what: str  # title, place, reminders or shift
    event_id: int
    shift_id: int | None
    # The admin card the edit started from, which loses its buttons once the edit is saved.
    card_chat_id: int
    card_message_id: int

    def to_json(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "event_id": self.event_id,
            "shift_id": self.shift_id,
            "card": [self.card_chat_id, self.card_message_id],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EventEdit:
        chat_id, message_id = data["card"]
        return cls(
            what=str(data["what"]),
            event_id=int(data["event_id"]),
            shift_id=int(data["shift_id"]) if data["shift_id"] is not None else None,
            card_chat_id=int(chat_id),
            card_message_id=int(message_id),
        )


@dataclass
class CallDraft:
    """/callout so far."""

    state: int  # the question being asked (see handlers.callout)
    events: list[tuple[int, str]]  # the events offered: id and button label
    allowed: list[int]  # every event this organiser may call for
    event_id: int | None = None
    shift_ids: list[int] = field(default_factory=list)
    audience: Audience = field(default_factory=Audience)
    line: str | None = None  # the organiser's own line, if they added one

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "events": [[event_id, label] for event_id, label in self.events],
            "allowed": self.allowed,
            "event_id": self.event_id,
            "shift_ids": self.shift_ids,
            "audience": self.audience.to_json(),
            "line": self.line,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallDraft:
        return cls(
            state=int(data["state"]),
            events=[(int(event_id), str(label)) for event_id, label in data["events"]],
            allowed=[int(v) for v in data["allowed"]],
            event_id=int(data["event_id"]) if data["event_id"] is not None else None,
            shift_ids=[int(v) for v in data["shift_ids"]],
            audience=Audience.from_json(data["audience"]),
            line=data["line"],
        )


# A button as typed answers know it: its label and the data a tap on it carries.
Button = tuple[str, str]


@dataclass
class Asked:
    """The question just put with buttons: the message(s) the bot last showed a keyboard on in
    this person's chat, in order, with their buttons as they are now, so that typed words can
    press one (handlers.typed). Kept by bot.app after every update, saved with the rest."""

    messages: list[tuple[int, tuple[Button, ...]]]

    @property
    def newest(self) -> int:
        """The newest message the question is on (message ids in a chat only grow)."""
        return max(message_id for message_id, _ in self.messages)

    def holds(self, data: str) -> bool:
        return any(data == pressed for _, buttons in self.messages for _, pressed in buttons)

    def shown(self, message_id: int, buttons: tuple[Button, ...]) -> Asked | None:
        """The question once ``message_id`` shows ``buttons`` (none: its keyboard taken away)."""
        kept = [(m, b) for m, b in self.messages if m != message_id]
        if buttons:
            kept.append((message_id, buttons))
            kept.sort()
        return Asked(kept) if kept else None

    def to_json(self) -> list[Any] | None:
        # The welcome's question is put before consent, when nothing about a person is kept.
        pressed = (data for _, buttons in self.messages for _, data in buttons)
        if any(Consent.PATTERN.fullmatch(data) for data in pressed):
            return None
        return [[message_id, [list(b) for b in buttons]] for message_id, buttons in self.messages]

    @classmethod
    def from_json(cls, data: list[Any]) -> Asked:
        return cls(
            [
                (int(message_id), tuple((str(label), str(pressed)) for label, pressed in buttons))
                for message_id, buttons in data
            ]
        )


@dataclass
class ElectionDraft:
    """/election so far: a new election's answers, or which election (and room) is being
    changed."""

    state: int  # the question being asked (see handlers.polling)
    election_id: int | None = None  # None: a new election
    name: str | None = None
    day: date | None = None
    opens: time | None = None
    closes: time | None = None
    room_id: int | None = None  # the committee room whose manager or target is being typed

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "election_id": self.election_id,
            "name": self.name,
            "day": self.day.isoformat() if self.day else None,
            "opens": self.opens.isoformat() if self.opens else None,
            "closes": self.closes.isoformat() if self.closes else None,
            "room_id": self.room_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ElectionDraft:
        def optional_int(key: str) -> int | None:
            return int(data[key]) if data.get(key) is not None else None

        return cls(
            state=int(data["state"]),
            election_id=optional_int("election_id"),
            name=data.get("name"),
            day=date.fromisoformat(data["day"]) if data.get("day") else None,
            opens=time.fromisoformat(data["opens"]) if data.get("opens") else None,
            closes=time.fromisoformat(data["closes"]) if data.get("closes") else None,
            room_id=optional_int("room_id"),
        )


@dataclass
class UserData:
    new_event: NewEventDraft | None = None
    event_edit: EventEdit | None = None
    # A late cancellation whose reason the volunteer is asked to type (optional).
    late_cancel_shift_id: int | None = None
    # A debrief whose note the volunteer is asked to type (optional).
    debrief_shift_id: int | None = None
    callout: CallDraft | None = None
    election: ElectionDraft | None = None
    # The question with buttons just put, so that the next typed words can answer it.
    asked: Asked | None = None
    # /nearest asked where to look from (a location shared or a postcode typed, for that search
    # only): the next place they give answers it, while it is the question just put.
    looking_from: bool = False
    # A /start payload waiting for consent. Never saved: nothing about a person is stored before
    # they agree, so a restart before they tap "yes" forgets where their link pointed.
    start_payload: str | None = None

    def to_json(self) -> dict[str, Any]:
        """What is saved; empty when they are in the middle of nothing."""
        saved = {
            "new_event": self.new_event.to_json() if self.new_event else None,
            "event_edit": self.event_edit.to_json() if self.event_edit else None,
            "late_cancel_shift_id": self.late_cancel_shift_id,
            "debrief_shift_id": self.debrief_shift_id,
            "callout": self.callout.to_json() if self.callout else None,
            "election": self.election.to_json() if self.election else None,
            "asked": self.asked.to_json() if self.asked else None,
            "looking_from": self.looking_from or None,
        }
        return {key: value for key, value in saved.items() if value is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UserData:
        """Raises KeyError, TypeError or ValueError for data this version cannot read."""
        new_event, edit, call = data.get("new_event"), data.get("event_edit"), data.get("callout")
        late, debrief = data.get("late_cancel_shift_id"), data.get("debrief_shift_id")
        election = data.get("election")
        asked = data.get("asked")
        return cls(
            new_event=NewEventDraft.from_json(new_event) if new_event else None,
            event_edit=EventEdit.from_json(edit) if edit else None,
            late_cancel_shift_id=int(late) if late is not None else None,
            debrief_shift_id=int(debrief) if debrief is not None else None,
            callout=CallDraft.from_json(call) if call else None,
            election=ElectionDraft.from_json(election) if election else None,
            asked=Asked.from_json(asked) if asked else None,
            looking_from=bool(data.get("looking_from", False)),
        )
