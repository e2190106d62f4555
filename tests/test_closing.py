"""The close of polls end to end through the fake Bot API: an election over two areas with a
committee room in each, pledges, RSVPs and check-ins, knock-up rounds (rows as the round
buttons leave them), then the clock moved through 22:00 BST: the polling-day report with its
chart reaches the organisers and coordinators of the areas, each for their areas, once (a
restart sends nothing again), its figures those of the day; then "/summary election" and
"/export election" on demand, the choice of election, and volunteers refused."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import clock, texts
from bot.context import DeepLinkHandler
from bot.settings import Settings
from db.schema import pledges, rounds, rsvps, volunteers
from tests.conftest import ADMIN_ID, start_application, stop_application
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.flows import new_election, new_event, run_scheduler, sign_up

PECKHAM = (51.4693, -0.0692)
CAMBERWELL = (51.4740, -0.0930)


def _utc(hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 5, 6, hour, minute, tzinfo=UTC)


async def _rounds(
    engine: AsyncEngine, telegram_id: int, *trips: tuple[datetime, datetime | None, int | None]
) -> None:
    """Rounds out and back as the round buttons record them: each one's doors added to the
    rsvp's when they come back."""
    async with engine.begin() as conn:
        rsvp_id, doors = (
            await conn.execute(
                select(rsvps.c.id, rsvps.c.doors)
                .join(volunteers, volunteers.c.id == rsvps.c.volunteer_id)
                .where(volunteers.c.telegram_id == telegram_id, rsvps.c.checked_in_at.is_not(None))
            )
        ).one()
        for out_at, back_at, knocked in trips:
            await conn.execute(
                insert(rounds).values(
                    rsvp_id=rsvp_id, out_at=out_at, back_at=back_at, doors=knocked
                )
            )
        await conn.execute(
            update(rsvps)
            .where(rsvps.c.id == rsvp_id)
            .values(doors=(doors or 0) + sum(k or 0 for _, _, k in trips))
        )


def _polling_reports(user: FakeUser) -> list[str]:
    return [m.text or "" for m in user.messages if "Close of polls" in (m.text or "")]


async def test_close_of_polls_report_and_the_election_on_demand(
    fake: FakeTelegram,
    engine: AsyncEngine,
    settings: Settings,
    deep_links: list[DeepLinkHandler],
) -> None:
    app = await start_application(fake, settings, engine, deep_links)
    try:
        admin = fake.user(ADMIN_ID, "Admin")
        cora = fake.user(5301, "Cora", username="cora")
        olly = fake.user(5302, "Olly", username="olly")
        lou = fake.user(5303, "Lou", username="lou")
        vera, will = fake.user(5401, "Vera"), fake.user(5402, "Will")
        for person in (cora, olly, lou):
            await sign_up(person, postcode="M1 1AE")
        for person in (vera, will):
            await sign_up(person)
        await admin.send("/grant @cora coordinator Peckham")
        await admin.send("/grant @cora coordinator Camberwell")
        await admin.send("/grant @olly organiser Peckham")
        await admin.send("/grant @lou organiser Lewisham")

        await new_election(cora, name="Peckham by-election", areas="Peckham, Camberwell")
        peckham_room = await new_event(
            olly,
            kind="Polling-day committee room",
            title="Peckham committee room",
            area="Peckham",
            pin=PECKHAM,
            day="6/5/2027",
            shifts=("07:00-12:00 8",),
        )
        camberwell_room = await new_event(
            cora,
            kind="Polling-day committee room",
            title="Camberwell committee room",
            area="Camberwell",
            pin=CAMBERWELL,
            address="Camberwell Library, SE5 8RS",
            day="6/5/2027",
            shifts=("17:00-22:00 8",),
        )

        # Pledges, then a shift at each room.
        await vera.send("/pledge")
        await vera.send("all day")
        await will.send("/pledge")
        await will.send("evening")
        await vera.send(f"/start {peckham_room}")
        await vera.press("8 left", exact=False)
        await will.send(f"/start {camberwell_room}")
        await will.press("8 left", exact=False)
        async with engine.connect() as conn:
            placed = [area for area in (await conn.execute(select(pledges.c.area))).scalars()]
        assert len(placed) == 2

        # Polling day: check-ins and rounds.
        clock.set_time(_utc(6, 10))  # 07:10 BST
        await run_scheduler(app, engine)
        await vera.send("/here")
        await _rounds(engine, 5401, (_utc(6, 30), _utc(7, 20), 40), (_utc(7, 30), _utc(8, 10), 35))
        clock.set_time(_utc(17))  # 18:00 BST
        await run_scheduler(app, engine)
        await will.send("/here")
        # One round back, one still out at the close.
        await _rounds(engine, 5402, (_utc(17, 15), _utc(18), 25), (_utc(20, 30), None, None))

        clock.set_time(_utc(20, 59))
        await run_scheduler(app, engine)
        assert not any(_polling_reports(p) for p in (admin, cora, olly, lou))

        # 22:00 BST: the polls close.
        clock.set_time(_utc(21))
        await run_scheduler(app, engine)
        for reader in (admin, cora, olly):
            assert len(_polling_reports(reader)) == 1
            assert reader.last.photo is not None and reader.last.photo.startswith(b"\x89PNG")
            assert reader.last.text == "📈 Said going vs came on polling day, Peckham by-election."
        for nobody in (lou, vera, will):
            assert not _polling_reports(nobody)
        (whole,) = _polling_reports(cora)
        assert (
            "Pledged: 2 (morning 1, afternoon 1, evening 2); 2 of them came\n"
            "Came: 2 (said going 2)\n"
            # Vera 07:10-12:00, Will 18:00-22:00.
            "Hours given: 8.8 h\n"
            "Knock-up rounds: 4\n"
            "Doors knocked: 100"
        ) in whole
        assert (
            "• Camberwell committee room (Camberwell): said going 1 · came 1 · 4.0 h given · "
            "2 rounds · 25 doors"
        ) in whole
        assert (
            "• Peckham committee room (Peckham): said going 1 · came 1 · 4.8 h given · "
            "2 rounds · 75 doors"
        ) in whole
        assert _polling_reports(admin) == [whole]
        # Olly organises Peckham alone: Peckham's figures.
        (his,) = _polling_reports(olly)
        assert "Camberwell" not in his
        assert (
            "Came: 1 (said going 1)\nHours given: 4.8 h\nKnock-up rounds: 2\nDoors knocked: 75"
            in his
        )
        assert f"Pledged: {placed.count('Peckham')} (" in his

        # A restart, and later passes: never twice.
        await stop_application(app)
        app = await start_application(fake, settings, engine, deep_links)
        clock.set_time(_utc(21, 5))
        await run_scheduler(app, engine)
        clock.set_time(_utc(23))
        await run_scheduler(app, engine)
        assert [len(_polling_reports(p)) for p in (admin, cora, olly)] == [1, 1, 1]

        # On demand.
        await olly.send("/summary election")
        assert olly.messages[-2].text == his
        assert olly.last.photo is not None
        await cora.send("/summary election peckham BY-ELECTION")
        assert cora.messages[-2].text == whole
        await cora.send("/summary election county")
        assert (cora.last.text or "").startswith("I couldn't find an election called “county”.")
        assert "• Peckham by-election (Thu 6 May 2027)" in (cora.last.text or "")
        await lou.send("/summary election")
        assert (lou.last.text or "").startswith("There are no elections in your areas yet.")
        await cora.send("/summary nowhere")
        assert cora.last.text == texts.report_unknown("nowhere", "summary")
        assert "/summary election for polling day" in (cora.last.text or "")

        await olly.send("/export election")
        assert olly.last.file_name == "muster-polling-day-2027-05-06.csv"
        sheet = list(csv.reader(io.StringIO((olly.last.document or b"").decode("utf-8-sig"))))
        assert sheet[1:] == [
            [
                "Peckham committee room",
                "Peckham",
                "2027-05-06 07:00",
                "2027-05-06 12:00",
                "1",
                "1",
                "4.8",
                "2",
                "75",
            ]
        ]
        assert not any("volunteers" in (m.file_name or "") for m in olly.messages)
        await cora.send("/export election")
        people = list(csv.DictReader(io.StringIO((cora.last.document or b"").decode("utf-8-sig"))))
        assert cora.last.file_name == "muster-polling-day-volunteers-2027-05-06.csv"
        assert sorted(p["name"] for p in people) == ["Vera", "Will"]
        sheet = list(
            csv.reader(io.StringIO((cora.messages[-2].document or b"").decode("utf-8-sig")))
        )
        assert len(sheet) == 3

        # Volunteers are refused, and nothing is exported for them.
        for command in ("/summary election", "/export election"):
            await vera.send(command)
            assert vera.last.text == texts.not_allowed("organiser")
    finally:
        await stop_application(app)
