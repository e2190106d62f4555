"""Target seats end to end through the fake Bot API: a coordinator gets the template, imports a
file with bad rows (told each line's problem, nothing stored) and then a good one; events are
tied to targets by their area or the events file's target column; /targets shows the sessions
and helpers booked vs wanted; volunteers and organisers are refused what is not theirs."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import texts
from db.schema import events, targets
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.flows import every_row, new_event, outbox_drained, sign_up

HEAD = "name,kind,priority,why,postcode,latitude,longitude,helpers_wanted"
EVENTS_HEAD = "kind,title,area,address,date,start,end,capacity,target"


async def _with_role(fake: FakeTelegram, user_id: int, name: str, role: str) -> FakeUser:
    person = fake.user(user_id, first_name=name, username=name.lower())
    await sign_up(person)
    await fake.user(ADMIN_ID, first_name="Ada").send(f"/grant @{name.lower()} {role}")
    return person


async def _send(user: FakeUser, text: str, name: str = "targets.csv") -> None:
    await user.send_document(text.encode(), file_name=name, mime_type="text/csv")


async def _targets(engine: AsyncEngine) -> list[tuple[str, str, int, int | None]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(
                targets.c.name,
                targets.c.location_source,
                targets.c.priority,
                targets.c.helpers_wanted,
            ).order_by(targets.c.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_a_coordinator_imports_targets_and_sees_sessions_and_helpers_booked(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    cora = await _with_role(fake, 7001, "Cora", "coordinator")
    await cora.send("/help")
    assert "/targets - Target seats" in cora.last.text

    # Nothing yet: what to do, and the file to do it with.
    await cora.send("/targets")
    empty, template = cora.messages[-2:]
    assert empty.text == texts.TARGETS_NONE_COORDINATOR
    assert template.file_name == "muster-targets.csv" and template.document is not None
    assert template.caption is not None and "priority" in template.caption
    lines = template.document.decode("utf-8-sig").splitlines()
    assert lines[0] == HEAD and lines[1].startswith("Battersea,seat,1,")

    # A file with bad rows: every line's problem, and nothing stored.
    before = await every_row(engine)
    await _send(
        cora,
        f"{HEAD}\n"
        "Battersea,seat,1,Won by 412 votes,SW11 1JW,,,20\n"
        "Putney,seat,4,Ours to win,SW15 1AA,,,\n"
        "Tooting,constituency,2,Close,ZZ99 9ZZ,,,\n"
        "battersea,seat,1,Again,,51.46,-0.17,\n",
    )
    reply = cora.last.text
    assert reply.startswith("❌ Nothing was added. Please fix these and send the file again:")
    assert "Line 3, priority: 4 isn't a priority. Use 1, 2 or 3" in reply
    assert "Line 4, kind: constituency isn't a kind of target I know." in reply
    assert "Line 5, name: this target is already on line 2." in reply
    assert await every_row(engine) == before
    await _send(cora, "name,kind,why,postcode\nBattersea,seat,Close,SW11 1JW\n")
    assert cora.last.text == texts.csv_bad_file("missing_columns", "priority", targets=True)
    assert "send /targets for a file that has them all" in cora.last.text
    assert await every_row(engine) == before

    # The template as it came imports as it is; then the real file updates and adds.
    await _send(cora, template.document.decode("utf-8-sig"), "muster-targets.csv")
    assert cora.last.text.startswith("✅ Targets saved.\nAdded 2: Battersea, Peckham Rye.")
    await _send(
        cora,
        f"{HEAD}\n"
        "battersea,seat,1,Won by 412 votes,SW11 1JW,,,20\n"
        "Putney,seat,2,Ours to win,SW15 1AA,,,\n"
        "Tooting,seat,3,Close,ZZ99 9ZZ,,,\n",
    )
    assert cora.last.text == (
        "❌ Nothing was added. Please fix this and send the file again:\n"
        "Line 4, postcode: I can't find ZZ99 9ZZ on the map. Check it, or give a latitude and "
        "longitude instead."
    )
    await _send(
        cora,
        f"{HEAD}\n"
        "battersea,seat,1,Won by 412 votes,SW11 1JW,,,20\n"
        "Putney,seat,2,Ours to win,SW15 1AA,,,\n",
    )
    assert cora.last.text.startswith("✅ Targets saved.\nAdded 1: Putney.\nUpdated 1: battersea.")
    assert await _targets(engine) == [
        ("battersea", "sector", 1, 20),
        ("Peckham Rye", "given", 2, 20),
        ("Putney", "sector", 2, None),
    ]

    # Events: one by /newevent in an area named as a target, one from a CSV naming its target.
    olga = await _with_role(fake, 7002, "Olga", "organiser Battersea")
    await new_event(olga, title="Battersea doors", area="Battersea", shifts=("10:00-13:00 6",))
    assert "🎯 For target battersea" in olga.last.text
    await cora.send_document(
        (
            f"{EVENTS_HEAD}\n"
            "canvass,Putney stall,Wandsworth,Market,28/11/2026,14:00,16:00,4,putney\n"
            "canvass,Far off,Wandsworth,Market,19/12/2026,10:00,13:00,4,Putney\n"
        ).encode(),
        file_name="events.csv",
        mime_type="text/csv",
    )
    assert cora.last.text.startswith("✅ Created 2 events with 2 shifts.")
    async with engine.connect() as conn:
        tied = (
            await conn.execute(
                select(events.c.title, targets.c.name)
                .join(targets, targets.c.id == events.c.target_id)
                .order_by(events.c.id)
            )
        ).all()
        battersea_code = await conn.scalar(
            select(events.c.code).where(events.c.title == "Battersea doors")
        )
    assert [tuple(row) for row in tied] == [
        ("Battersea doors", "battersea"),
        ("Putney stall", "Putney"),
        ("Far off", "Putney"),
    ]
    await olga.send("/events")
    assert "🎯 For target battersea" in olga.last.text

    # A volunteer says going to the Battersea session.
    amy = fake.user(7100, first_name="Amy")
    await sign_up(amy)
    await amy.send(f"/start e-{battersea_code}")
    await amy.press("Sat 28 Nov, 10:00-13:00 · 6 left")
    await outbox_drained(engine)

    # /targets: each with its sessions in the next 14 days, booked vs wanted, local times.
    await cora.send("/targets")
    shown, again = cora.messages[-2:]
    assert shown.text.startswith("🎯 Targets, the most wanted first")
    assert (
        "battersea · target seat · priority 1\n"
        "Won by 412 votes\n"
        "📅 Sat 28 Nov: 1 booked of 20 helpers wanted\n"
        "   • Battersea doors, 10:00-13:00 · 1 going of 6 places"
    ) in shown.text
    assert "Peckham Rye · target ward · priority 2\n" in shown.text
    assert "No sessions in the next 14 days (20 helpers wanted a day)." in shown.text
    assert (
        "Putney · target seat · priority 2\n"
        "Ours to win\n"
        "📅 Sat 28 Nov: 0 helpers booked\n"
        "   • Putney stall, 14:00-16:00 · 0 going of 4 places"
    ) in shown.text
    assert "Far off" not in shown.text  # three weeks away
    # The file now holds the targets there are, to change and send back.
    assert again.document is not None
    assert again.document.decode("utf-8-sig").splitlines()[1:] == [
        "battersea,seat,1,Won by 412 votes,SW11 1JW,,,20",
        "Peckham Rye,ward,2,Council by-election on 14 May,,51.46500,-0.06400,20",
        "Putney,seat,2,Ours to win,SW15 1AA,,,",
    ]


async def test_organisers_may_look_but_only_coordinators_import_and_volunteers_neither(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    olga = await _with_role(fake, 7002, "Olga", "organiser Peckham")
    vic = fake.user(7003, first_name="Vic")
    await sign_up(vic)
    good = f"{HEAD}\nBattersea,seat,1,Close,SW11 1JW,,,20\n"

    await vic.send("/targets")
    assert vic.last.text == texts.not_allowed("organiser")
    await vic.send("/help")
    assert "/targets" not in vic.last.text

    await olga.send("/targets")
    assert olga.last.text == texts.TARGETS_NONE  # and no file: it is not hers to fill in
    assert olga.last.document is None
    await olga.send("/help")
    assert "/targets - Target seats" in olga.last.text

    before = await every_row(engine)
    await _send(olga, good)
    assert olga.last.text == texts.TARGETS_NOT_ALLOWED
    await _send(vic, good)
    assert vic.last.text == texts.FILE_NOT_EXPECTED
    assert len(fake.calls("getFile")) == 1  # Vic's file was not even downloaded
    assert await every_row(engine) == before

    # Once a coordinator has added some, an organiser sees them (and still gets no file).
    cora = await _with_role(fake, 7001, "Cora", "coordinator")
    await _send(cora, good)
    messages = len(olga.messages)
    await olga.send("/targets")
    assert len(olga.messages) == messages + 1
    assert "Battersea · target seat · priority 1" in olga.last.text
