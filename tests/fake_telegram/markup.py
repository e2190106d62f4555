"""Telegram-flavoured parsing of message markup: HTML parse mode and reply markup checks.

Kept apart from the server so the rules can be read (and tested) without any HTTP around them.
The HTML rules follow tdlib's ``parse_html`` closely enough that a bot which passes here should
not trip over "can't parse entities" in production.
"""

from __future__ import annotations

import re
from typing import Any

MAX_CALLBACK_DATA_BYTES = 64


class MarkupError(ValueError):
    """A Bot API "Bad Request" caused by the content of a request; ``str(exc)`` is the detail."""


# Tag name -> MessageEntity type. span is only a spoiler when class="tg-spoiler" (checked below).
_TAG_ENTITY: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

_NAMED_ENTITIES: dict[str, str] = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")
_NAME_END = frozenset(" \t\r\n\f/>")
_SPACE = frozenset(" \t\r\n\f")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, which is what Telegram entity offsets count."""
    # Fast path: the overwhelmingly common all-BMP string has one unit per code point.
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    # Only computed when reporting an error, so the encode cost never hits the happy path.
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, pos: int, strict: bool) -> tuple[str, int]:
    """Decode the ``&...;`` at ``pos``; returns (replacement, next index)."""
    m = _ENTITY_RE.match(text, pos)
    if m is not None:
        dec, hexa, name = m.groups()
        if dec is not None or hexa is not None:
            code = int(dec, 10) if dec is not None else int(hexa, 16)
            if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                return chr(code), m.end()
        elif name in _NAMED_ENTITIES:
            return _NAMED_ENTITIES[name], m.end()
    if strict:
        # Real Telegram keeps a stray "&" literally; being stricter here flags unescaped user
        # input (the bug that later shows up as a "<" and a failed send) before production does.
        raise MarkupError(
            'can\'t parse entities: unescaped "&" or unsupported HTML entity at byte offset '
            f"{_byte_offset(text, pos)}"
        )
    return "&", pos + 1


def _unescape_attr(value: str) -> str:
    if "&" not in value:
        return value
    out: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "&":
            piece, i = _decode_entity(value, i, strict=False)
            out.append(piece)
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _parse_attrs(text: str, i: int, tag_start: int) -> tuple[dict[str, str], int]:
    """Parse attributes from ``i`` up to and including the closing ``>``."""
    attrs: dict[str, str] = {}
    n = len(text)
    while True:
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n:
            raise MarkupError(
                f"can't parse entities: Unclosed start tag at byte offset "
                f"{_byte_offset(text, tag_start)}"
            )
        if text[i] == ">":
            return attrs, i + 1
        if text[i] == "/" and i + 1 < n and text[i + 1] == ">":
            return attrs, i + 2
        name_start = i
        while i < n and text[i] not in _SPACE and text[i] not in "=>":
            i += 1
        name = text[name_start:i].lower()
        while i < n and text[i] in _SPACE:
            i += 1
        if i < n and text[i] == "=":
            i += 1
            while i < n and text[i] in _SPACE:
                i += 1
            if i >= n:
                break
            quote = text[i]
            if quote in "\"'":
                end = text.find(quote, i + 1)
                if end < 0:
                    break
                raw = text[i + 1 : end]
                i = end + 1
            else:
                value_start = i
                while i < n and text[i] not in _SPACE and text[i] != ">":
                    i += 1
                raw = text[value_start:i]
            attrs[name] = _unescape_attr(raw)
        else:
            attrs[name] = ""
    raise MarkupError(
        f"can't parse entities: Unclosed start tag at byte offset {_byte_offset(text, tag_start)}"
    )


def parse_html(text: str, *, strict: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Return (plain text, entities) for a ``parse_mode="HTML"`` text, or raise MarkupError.

    ``strict`` additionally rejects a bare ``&`` that Telegram would silently keep.
    """
    if "<" not in text and "&" not in text:
        return text, []
    out: list[str] = []
    pos16 = 0  # UTF-16 length of everything in ``out``
    # Open tags: (tag name, entity type or None, UTF-16 start, attributes).
    stack: list[tuple[str, str | None, int, dict[str, str]]] = []
    entities: list[dict[str, Any]] = []
    n = len(text)
    i = 0
    while i < n:
        # Copy the run of ordinary characters in one slice.
        lt = text.find("<", i)
        amp = text.find("&", i)
        nxt = min(lt if lt >= 0 else n, amp if amp >= 0 else n)
        if nxt > i:
            chunk = text[i:nxt]
            out.append(chunk)
            pos16 += utf16_len(chunk)
            i = nxt
            continue
        if text[i] == "&":
            piece, i = _decode_entity(text, i, strict)
            out.append(piece)
            pos16 += utf16_len(piece)
            continue

        tag_start = i
        i += 1
        if i >= n:
            raise MarkupError(
                f"can't parse entities: Unclosed start tag at byte offset "
                f"{_byte_offset(text, tag_start)}"
            )
        if text[i] == "/":
            i += 1
            name_start = i
            while i < n and text[i] not in _NAME_END:
                i += 1
            name = text[name_start:i].lower()
            while i < n and text[i] in _SPACE:
                i += 1
            if i >= n or text[i] != ">":
                raise MarkupError(
                    f"can't parse entities: Unclosed end tag at byte offset "
                    f"{_byte_offset(text, tag_start)}"
                )
            i += 1
            if not stack:
                raise MarkupError(
                    f"can't parse entities: Unexpected end tag at byte offset "
                    f"{_byte_offset(text, tag_start)}"
                )
            open_name, etype, start16, attrs = stack.pop()
            if name != open_name:
                raise MarkupError(
                    f"can't parse entities: Unmatched end tag at byte offset "
                    f'{_byte_offset(text, tag_start)}, expected "</{open_name}>", '
                    f'found "</{name}>"'
                )
            _close_entity(entities, stack, open_name, etype, start16, pos16 - start16, attrs)
            continue

        name_start = i
        while i < n and text[i] not in _NAME_END:
            i += 1
        name = text[name_start:i].lower()
        if name not in _TAG_ENTITY:
            raise MarkupError(
                f'can\'t parse entities: Unsupported start tag "{name}" at byte offset '
                f"{_byte_offset(text, tag_start)}"
            )
        attrs, i = _parse_attrs(text, i, tag_start)
        etype: str | None = _TAG_ENTITY[name]
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise MarkupError('can\'t parse entities: Tag "span" must have class "tg-spoiler"')
        if name == "a" and not attrs.get("href"):
            etype = None  # Telegram keeps the text and silently drops a link without a target
        if name == "tg-emoji" and not attrs.get("emoji-id"):
            raise MarkupError(
                "can't parse entities: Custom emoji entity must contain a tg://emoji URL"
            )
        stack.append((name, etype, pos16, attrs))

    if stack:
        raise MarkupError(
            "can't parse entities: Can't find end tag corresponding to start tag "
            f'"{stack[-1][0]}"'
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _close_entity(
    entities: list[dict[str, Any]],
    stack: list[tuple[str, str | None, int, dict[str, str]]],
    name: str,
    etype: str | None,
    offset: int,
    length: int,
    attrs: dict[str, str],
) -> None:
    if etype is None or length <= 0:
        return  # Telegram drops empty entities rather than failing
    entity: dict[str, Any] = {"type": etype, "offset": offset, "length": length}
    if etype == "text_link":
        entity["url"] = attrs["href"]
    elif etype == "custom_emoji":
        entity["custom_emoji_id"] = attrs["emoji-id"]
    elif etype == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif etype == "code" and stack and stack[-1][0] == "pre":
        # <pre><code class="language-x"> is one pre entity carrying the language.
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1][3]["__language__"] = language[len("language-") :]
            return
    elif etype == "pre" and "__language__" in attrs:
        entity["language"] = attrs["__language__"]
    entities.append(entity)


def check_reply_markup(markup: Any) -> None:
    """Reject reply markup Telegram would reject; silently accept shapes it accepts."""
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise MarkupError("can't parse reply keyboard markup JSON object")
    keyboard = markup.get("inline_keyboard")
    if keyboard is None:
        return
    if not isinstance(keyboard, list):
        raise MarkupError('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array')
    for row in keyboard:
        if not isinstance(row, list):
            raise MarkupError(
                "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
            )
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise MarkupError("can't parse inline keyboard button: Text must be a String")
            data = button.get("callback_data")
            if data is not None:
                if not isinstance(data, str):
                    raise MarkupError("BUTTON_DATA_INVALID")
                size = len(data) if data.isascii() else len(data.encode("utf-8"))
                if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                    raise MarkupError("BUTTON_DATA_INVALID")
            elif len(button) == 1:
                raise MarkupError(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline "
                    "keyboard"
                )


def inline_buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    """All buttons of an inline keyboard in reading order ([] for anything else)."""
    if not markup:
        return []
    rows = markup.get("inline_keyboard")
    if not rows:
        return []
    return [button for row in rows for button in row]


def reply_buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    """All buttons of a reply keyboard, normalising bare-string buttons to {"text": ...}."""
    if not markup:
        return []
    rows = markup.get("keyboard")
    if not rows:
        return []
    return [
        button if isinstance(button, dict) else {"text": str(button)}
        for row in rows
        for button in row
    ]
