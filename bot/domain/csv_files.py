"""Reading the CSV files organisers send (events, targets), free of Telegram: what can be told
before downloading, decoding, the header row, and each data row with the problems found in it.

Every import is all or nothing: a reader checks every row and collects every problem, by line and
column, as :class:`RowError`; the caller raises :class:`BadRows` with them all, so nothing half
made is ever stored. A problem with the file as a whole is :class:`BadFile`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

from bot.domain.events import BadEventInput, clean_text

MAX_BYTES = 1_000_000
MAX_ROWS = 2_000

# Files people send when they meant a CSV: told to save as "CSV UTF-8" instead.
_SPREADSHEETS = (".xlsx", ".xls", ".xlsm", ".ods", ".numbers")
_TEXT_MIME = ("text/", "application/csv", "application/vnd.ms-excel", "application/octet-stream")


class BadFile(ValueError):
    """The file as a whole cannot be read: ``reason`` is a code texts explain; ``detail`` names
    columns or a line where that helps."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class RowError:
    """One problem in one row: ``line`` counts from 1 (the header is line 1)."""

    line: int
    column: str
    reason: str
    value: str = ""
    # For reasons that refer to another line (a duplicate shift, a different location).
    other_line: int | None = None


class BadRows(ValueError):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def check_document(file_name: str | None, mime_type: str | None, size: int | None) -> None:
    """What can be told before downloading: raises BadFile for a spreadsheet, something that is
    not text, or a file over :data:`MAX_BYTES`."""
    name = (file_name or "").lower()
    if name.endswith(_SPREADSHEETS):
        raise BadFile("spreadsheet")
    mime = (mime_type or "").lower()
    if not name.endswith((".csv", ".txt")) and not mime.startswith(_TEXT_MIME):
        raise BadFile("not_csv")
    if size is not None and size > MAX_BYTES:
        raise BadFile("too_big")


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise BadFile("too_big")
    if b"\x00" in data:
        raise BadFile("not_csv")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadFile("not_utf8") from None
    if not text.strip():
        raise BadFile("empty")
    return text


def _reader(text: str) -> Iterator[tuple[int, list[str]]]:
    """Each row that is not blank, with the line it starts on."""
    # Spreadsheets in many European locales save "CSV" with semicolons.
    first = text.lstrip().split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise BadFile("unreadable", str(line)) from None
        if any(cell.strip() for cell in cells):  # blank lines, spreadsheets' trailing empty rows
            yield line, cells


def header(data: bytes) -> frozenset[str]:
    """The column names in a file's first row, in lower case: what tells one kind of file from
    another before it is read as that kind."""
    for _line, cells in _reader(_decode(data)):
        return frozenset(cell.strip().lower() for cell in cells)
    raise BadFile("empty")


class Row:
    """One data row being checked: collects its errors instead of stopping at the first."""

    def __init__(self, line: int, cells: list[str], columns: dict[str, int]) -> None:
        self.line = line
        self.cells = cells
        self.columns = columns
        self.errors: list[RowError] = []

    def raw(self, column: str) -> str:
        index = self.columns.get(column)
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index].strip()

    def fail(
        self, column: str, reason: str, value: str | None = None, other_line: int | None = None
    ) -> None:
        shown = self.raw(column) if value is None else value
        self.errors.append(RowError(self.line, column, reason, shown[:60], other_line))

    def text(self, column: str, limit: int, *, required: bool) -> str | None:
        """A one-line text cell (spaces folded), or None: empty, or wrong (noted)."""
        raw = self.raw(column)
        if not raw:
            if required:
                self.fail(column, "missing")
            return None
        try:
            return clean_text(raw, limit, column)
        except BadEventInput:
            self.fail(column, "too_long" if len(" ".join(raw.split())) > limit else "control")
            return None


def _columns(cells: list[str], known: Collection[str], required: Sequence[str]) -> dict[str, int]:
    names = [cell.strip().lower() for cell in cells]
    found: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in known:
            if name in found:
                raise BadFile("duplicate_column", name)
            found[name] = index
    missing = [name for name in required if name not in found]
    if missing:
        raise BadFile("missing_columns", ", ".join(missing))
    return found


def rows(data: bytes, known: Collection[str], required: Sequence[str]) -> Iterator[Row]:
    """The data rows of a file whose header names columns in any order and any case (columns not
    in ``known`` are ignored). Raises BadFile for a file that cannot be read, has no header, lacks
    a ``required`` column or has more than :data:`MAX_ROWS` rows."""
    columns: dict[str, int] | None = None
    count = 0
    for line, cells in _reader(_decode(data)):
        if columns is None:
            columns = _columns(cells, known, required)
            continue
        count += 1
        if count > MAX_ROWS:
            raise BadFile("too_many_rows")
        yield Row(line, cells, columns)
    if columns is None:
        raise BadFile("empty")


def _coordinate(raw: str, limit: float) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and -limit <= value <= limit else None


def coordinates(row: Row) -> tuple[float, float] | None:
    """The row's ``latitude`` and ``longitude``, given both or neither: None when neither is
    given, or when they are wrong (noted on the row)."""
    lat_raw, lon_raw = row.raw("latitude"), row.raw("longitude")
    if not lat_raw and not lon_raw:
        return None
    if not lon_raw:
        row.fail("longitude", "pair_missing")
        return None
    if not lat_raw:
        row.fail("latitude", "pair_missing")
        return None
    latitude, longitude = _coordinate(lat_raw, 90), _coordinate(lon_raw, 180)
    if latitude is None:
        row.fail("latitude", "latitude")
    if longitude is None:
        row.fail("longitude", "longitude")
    if latitude is None or longitude is None:
        return None
    return latitude, longitude
