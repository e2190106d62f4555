"""Steps tests share: signing a volunteer up the way a person would, and reading what was stored."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable
from typing import IO, Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from telegram.ext import Application

from bot import clock, texts
from bot.domain.volunteers import Purpose, Volunteer
from bot.settings import Settings
from db import volunteers
from db.schema import (
    callouts,
    consents,
    events,
    metadata,
    outbox,
    rsvps,
    shifts,
    surge_asks,
)
from db.schema import volunteers as volunteer_rows
from tests.fake_telegram import FakeUser
from tests.fake_telegram.models import SentMessage


async def sign_up(
    user: FakeUser,
    *,
    postcode: str = "se15 4qr",
    when: tuple[str, ...] = ("Saturdays",),
    what: tuple[str, ...] = ("Door-knocking",),
    share_phone: bool = False,
) -> None:
    await user.send("/start")
    await user.press(texts.CONSENT_YES)
    await user.press(texts.USE_NAME.format(name=user.first_name))
    await user.send(postcode)
    for label in when:
        await user.press(label)
    await user.press(texts.DONE)
    for label in what:
        await user.press(label)
    await user.press(texts.DONE)
    await user.press(texts.SHARE_PHONE if share_phone else texts.SKIP)


async def agreed_to_notice(conn: AsyncConnection, volunteer_ids: list[int]) -> None:
    """What sign-up records for volunteers a test or benchmark inserts directly: their agreement
    to the privacy notice the bot shows by default, without which no shift call reaches them."""
    version = Settings.model_fields["privacy_notice_version"].default
    await conn.execute(
        insert(consents),
        [
            {
                "volunteer_id": volunteer_id,
                "purpose": Purpose.VOLUNTEERING,
                "choice": True,
                "notice_version": version,
                "given_at": clock.now(),
            }
            for volunteer_id in volunteer_ids
        ],
    )


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Wait for the server to reach a state, however slow the machine is today."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - server state has no event to wait on
            await asyncio.sleep(0.005)


async def stored(engine: AsyncEngine, telegram_id: int) -> Volunteer | None:
    async with engine.connect() as conn:
        return await volunteers.by_telegram_id(conn, telegram_id)


async def every_row(engine: AsyncEngine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, for checks that something is nowhere to be found."""
    # Messages on their way (a notice the last action queued) are not a change still to come.
    await outbox_drained(engine)
    found: dict[str, list[dict[str, Any]]] = {}
    async with engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = await conn.execute(select(table))
            found[table.name] = [dict(row._mapping) for row in rows]
    # Every message or tap notes when a volunteer was last in touch (bot.services.retention): not
    # a change that any input makes to their data.
    for person in found["volunteers"]:
        person.pop("last_contact_at")
    # Nor is which buttons were shown last (handlers.typed), which a refused press that shows a
    # card as it is now changes.
    for state in found["user_state"]:
        state["data"] = {k: v for k, v in state["data"].items() if k != "asked"}
    found["user_state"] = [state for state in found["user_state"] if state["data"]]
    return found


async def outbox_drained(engine: AsyncEngine, within: float = 30.0) -> None:
    """Wait until the running sender has dealt with every message that is due."""
    async with asyncio.timeout(within):
        while True:
            async with engine.connect() as conn:
                waiting = await conn.scalar(
                    select(func.count()).where(
                        outbox.c.status.in_(("pending", "sending")),
                        outbox.c.next_attempt_at <= clock.now(),  # not those backing off
                    )
                )
            if not waiting:
                return
            await asyncio.sleep(0.02)


async def run_scheduler(app: Application, engine: AsyncEngine) -> None:
    """What the scheduler job does on its own every SCHEDULE_POLL_SECONDS, now, then wait for
    what it queued to be sent."""
    assert app.job_queue is not None
    (job,) = app.job_queue.get_jobs_by_name("scheduler")
    await job.run(app)
    await outbox_drained(engine)


async def new_event(
    organiser: FakeUser,
    *,
    title: str = "Peckham Saturday doors",
    kind: str = "Canvass session",
    area: str = "Peckham",
    address: str = "Rye Lane Library, SE15 4QR",
    pin: tuple[float, float] | None = None,
    day: str = "Sat 28 Nov",
    shifts: tuple[str, ...] = ("10:00-13:00 6",),
) -> str:
    """An organiser walks /newevent to the end, as they would; returns the share link payload."""
    await organiser.send("/newevent")
    await organiser.press(kind)
    await organiser.send(title)
    await organiser.press(area)
    if pin is not None:
        await organiser.share_location(*pin)
    await organiser.send(address)
    await organiser.send(day)
    for shift in shifts:
        await organiser.send(shift)
    await organiser.press(texts.DONE)
    await organiser.press(texts.CREATE)
    created = organiser.last.text or ""
    assert created.startswith(f"✅ Created {title} with {len(shifts)} shift(s).")
    return created.split("start=")[1].split()[0]


def read_csv(file: IO[bytes]) -> list[list[str]]:
    """The rows of a CSV file an export wrote (UTF-8 with a byte-order mark), the file closed."""
    with file:
        file.seek(0)
        return list(csv.reader(io.StringIO(file.read().decode("utf-8-sig"))))


async def new_election(
    coordinator: FakeUser,
    *,
    name: str = "By-election",
    day: str = "6/5/2027",
    areas: str = "Peckham, Brixton",
) -> None:
    """A coordinator sets up an election with /election, polls 07:00-22:00, as they would."""
    await coordinator.send("/election")
    await coordinator.press(texts.NEW_ELECTION)
    await coordinator.send(name)
    await coordinator.send(day)
    await coordinator.press("07:00-22:00")
    await coordinator.send(areas)
    assert (coordinator.last.text or "").startswith("✅ Election set up.")


# Two committee rooms about 3 km apart, for polling-day tests: title, map pin, address.
ROOMS = {
    "Peckham": ("Peckham committee room", (51.4693, -0.0692), "Rye Lane Library, SE15 4QR"),
    "Brixton": ("Brixton committee room", (51.4613, -0.1156), "Brixton Library, SW2 1JQ"),
}


async def committee_room(organiser: FakeUser, area: str, *shifts: str) -> str:
    """An organiser makes ``area``'s committee room (ROOMS) for 6 May 2027 with /newevent;
    returns its share link payload."""
    title, pin, address = ROOMS[area]
    return await new_event(
        organiser,
        kind="Polling-day committee room",
        title=title,
        area=area,
        pin=pin,
        address=address,
        day="6/5/2027",
        shifts=shifts,
    )


async def room_offered(user: FakeUser, room: str) -> SentMessage:
    """The offer of ``room`` that follows a pledge (with its three buttons), once it is the
    newest message."""
    await until(
        lambda: (
            f"{room} needs" in (user.last.text or "")
            and user.buttons(user.last)
            == [texts.OFFER_YES, texts.OFFER_ANOTHER, texts.OFFER_NOT_SURE]
        )
    )
    return user.last


async def going_where(engine: AsyncEngine) -> dict[int, list[str]]:
    """Who is going where, by Telegram id: the titles of the events of their shifts."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(volunteer_rows.c.telegram_id, events.c.title)
            .select_from(
                rsvps.join(volunteer_rows, volunteer_rows.c.id == rsvps.c.volunteer_id)
                .join(shifts, shifts.c.id == rsvps.c.shift_id)
                .join(events, events.c.id == shifts.c.event_id)
            )
            .where(rsvps.c.status == "going")
            .order_by(volunteer_rows.c.telegram_id, rsvps.c.id)
        )
        found: dict[int, list[str]] = {}
        for row in rows:
            found.setdefault(row.telegram_id, []).append(row.title)
        return found


async def surge_asked(engine: AsyncEngine) -> list[int]:
    """Telegram ids of everyone any surge asked, in the order asked."""
    async with engine.connect() as conn:
        return list(
            await conn.scalars(
                select(volunteer_rows.c.telegram_id)
                .join(surge_asks, surge_asks.c.volunteer_id == volunteer_rows.c.id)
                .order_by(surge_asks.c.id)
            )
        )


async def insert_call(
    conn: AsyncConnection,
    *,
    code: str,
    organiser: int,
    recipients: int,
    progress_message_id: int | None,
) -> int:
    """The rows a shift call that is going out stands on: an event and the call itself, as
    /callout leaves them once sending has begun. Returns the call's id."""
    event_id = (
        await conn.execute(
            insert(events)
            .values(
                code=code,
                kind="canvass",
                title="Saturday canvass",
                area="Peckham",
                status="active",
                created_at=clock.now(),
            )
            .returning(events.c.id)
        )
    ).scalar_one()
    return (
        await conn.execute(
            insert(callouts)
            .values(
                event_id=event_id,
                shift_ids=[],
                audience={},
                created_by=organiser,
                created_at=clock.now(),
                send_at=clock.now(),
                status="sending",
                recipients=recipients,
                progress_chat_id=organiser,
                progress_message_id=progress_message_id,
            )
            .returning(callouts.c.id)
        )
    ).scalar_one()
