"""Plain data recorded by the fake: what the bot sent, injected faults, stored files."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .markup import inline_buttons


@dataclass(slots=True, eq=False)
class SentMessage:
    """One message the bot sent, as the recipient would now see it (edits are applied in place).

    ``text`` is what the user reads: the message text with HTML tags stripped and entities
    unescaped, or the caption for media. ``html`` is the raw text/caption exactly as sent.
    """

    message_id: int
    chat_id: int
    method: str
    date: int
    text: str | None = None
    html: str | None = None
    parse_mode: str | None = None
    entities: list[dict[str, Any]] | None = None
    reply_markup: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    document: bytes | None = None
    photo: bytes | None = None
    file_name: str | None = None
    mime_type: str | None = None
    file_id: str | None = None
    venue: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    contact: dict[str, Any] | None = None
    edited: bool = False
    deleted: bool = False
    edit_date: int | None = None
    # Previous states, oldest first: {"text", "html", "entities", "reply_markup", "date"}.
    edit_history: list[dict[str, Any]] = field(default_factory=list, repr=False)
    # Extra Message JSON fields (document, photo, venue, ...) echoed back to the bot.
    payload: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def caption(self) -> str | None:
        return self.text if self.method != "sendMessage" else None

    @property
    def buttons(self) -> list[str]:
        """Labels of the inline keyboard buttons, in reading order."""
        return [button["text"] for button in inline_buttons(self.reply_markup)]

    @property
    def button_rows(self) -> list[list[str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [[button["text"] for button in row] for row in rows]

    def button(self, label: str) -> dict[str, Any]:
        """The inline button with exactly this label (AssertionError if there is none)."""
        for button in inline_buttons(self.reply_markup):
            if button["text"] == label:
                return button
        raise AssertionError(
            f"message {self.message_id} in chat {self.chat_id} has no inline button {label!r}; "
            f"buttons: {self.buttons}"
        )

    def callback_data(self, label: str) -> str | None:
        return self.button(label).get("callback_data")


@dataclass(slots=True)
class Fault:
    """A scripted misbehaviour of the API, matched by method and chat.

    ``status`` None means: 429 for a plain fault, but *no* error status for a fault that only
    sets ``delay`` and/or ``drop`` (so ``Fault(method=..., delay=5)`` is just a slow answer).
    ``deliver`` says whether the request is still carried out (message recorded) despite the
    fault; None means "yes" for a pure delay (the reply got lost, as on a flaky network, which is
    how duplicate sends happen after a client-side timeout) and "no" for drops and error statuses.
    """

    method: str | Iterable[str] | None = None
    chat_id: int | Iterable[int] | None = None
    status: int | None = None
    retry_after: int = 3
    times: int | None = 1
    description: str | None = None
    delay: float = 0.0
    drop: bool = False
    deliver: bool | None = None
    methods: frozenset[str] | None = field(init=False, repr=False, default=None)
    chat_ids: frozenset[int] | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        # Method names are case-insensitive in the Bot API, so match on the lower-cased form.
        if self.method is None:
            self.methods = None
        elif isinstance(self.method, str):
            self.methods = frozenset({self.method.lower()})
        else:
            self.methods = frozenset(m.lower() for m in self.method)
        if self.chat_id is None:
            self.chat_ids = None
        elif isinstance(self.chat_id, int):
            self.chat_ids = frozenset({self.chat_id})
        else:
            self.chat_ids = frozenset(self.chat_id)

    @property
    def effective_status(self) -> int | None:
        if self.status is not None:
            return self.status
        return None if (self.delay > 0 or self.drop) else 429

    @property
    def effective_deliver(self) -> bool:
        if self.effective_status is not None:
            return False
        if self.deliver is not None:
            return self.deliver
        return not self.drop

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.methods is not None and method not in self.methods:
            return False
        return self.chat_ids is None or chat_id in self.chat_ids


@dataclass(slots=True, eq=False)
class StoredFile:
    """A file known to the fake, whether uploaded by the bot or sent by a user."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str

    def document_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.file_name is not None:
            doc["file_name"] = self.file_name
        if self.mime_type is not None:
            doc["mime_type"] = self.mime_type
        return doc

    def photo_json(self) -> list[dict[str, Any]]:
        # Real Telegram returns several sizes; one is enough for handlers that take photo[-1].
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_size": len(self.data),
                "width": 800,
                "height": 600,
            }
        ]

    def file_json(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass(slots=True, frozen=True)
class UploadedFile:
    """A multipart file part as it arrived (kept in recorded request params)."""

    filename: str | None
    content_type: str | None
    data: bytes = field(repr=False)
