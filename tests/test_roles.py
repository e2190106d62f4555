"""Roles: admins and coordinators grant and revoke; everyone else is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import texts
from bot.commands import VOLUNTEER
from db.schema import audit_log, roles
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram
from tests.flows import every_row, outbox_drained, sign_up, until


def _names(commands: list[dict]) -> list[str]:
    return [command["command"] for command in commands]


@pytest.mark.parametrize("command", ["/grant @vic organiser", "/revoke @vic organiser", "/roles"])
async def test_volunteers_and_organisers_are_refused(
    app: Application, fake: FakeTelegram, engine: AsyncEngine, command: str
) -> None:
    vic = fake.user(5001, first_name="Vic", username="vic")
    await sign_up(vic)
    before = await every_row(engine)
    await vic.send(command)
    assert vic.last.text == texts.not_allowed("coordinator")
    assert await every_row(engine) == before

    admin = fake.user(ADMIN_ID, first_name="Ada")
    await admin.send("/grant @vic organiser")
    await outbox_drained(engine)  # Vic is told through the outbox
    before = await every_row(engine)
    await vic.send(command)
    assert vic.last.text == texts.not_allowed("coordinator")
    assert await every_row(engine) == before


async def test_admin_grants_and_revokes_with_audit_and_menus(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    wes = fake.user(5002, first_name="Wes", username="Wes_T")
    await sign_up(wes)
    # Volunteers get the default menu; an admin gets theirs once they press Start.
    assert fake.commands({"type": "chat", "chat_id": ADMIN_ID}) == []
    await admin.send("/start")
    assert "grant" in _names(fake.commands({"type": "chat", "chat_id": ADMIN_ID}))
    assert _names(fake.commands({"type": "all_private_chats"})) == [c for c, _ in VOLUNTEER]

    await admin.send("/grant @wes_t coordinator Peckham")  # usernames match in any case
    assert admin.last.text == "Done: Wes is now a coordinator for Peckham."
    await until(lambda: wes.last.text == texts.you_were_granted("coordinator", "Peckham"))
    assert "grant" in _names(fake.commands({"type": "chat", "chat_id": 5002}))

    await admin.send("/grant 5002 coordinator Peckham")
    assert admin.last.text == "Wes is already a coordinator for Peckham. Nothing changed."

    await admin.send("/roles")
    assert "Wes: coordinator for Peckham" in admin.last.text

    await admin.send("/revoke @Wes_T coordinator")
    assert admin.last.text == "Done: Wes is no longer a coordinator."
    await until(lambda: wes.last.text == texts.you_were_revoked("coordinator"))
    assert fake.commands({"type": "chat", "chat_id": 5002}) == []

    async with engine.connect() as conn:
        assert (await conn.execute(select(roles))).all() == []
        log = (await conn.execute(select(audit_log).order_by(audit_log.c.id))).all()
    assert [(e.action, e.actor_telegram_id, e.detail) for e in log] == [
        ("grant", ADMIN_ID, {"role": "coordinator", "area": "Peckham"}),
        ("revoke", ADMIN_ID, {"role": "coordinator", "area": ""}),
    ]


async def test_grant_input_mistakes_get_clear_answers(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    xan = fake.user(5003, first_name="Xan", username="xan")
    await sign_up(xan)
    before = await every_row(engine)
    cases = {
        "/grant": texts.GRANT_USAGE,
        "/grant @xan": texts.GRANT_USAGE,
        "/grant xan organiser": texts.GRANT_USAGE,
        "/grant @xan admin": texts.UNKNOWN_ROLE,
        "/grant @xan overlord": texts.UNKNOWN_ROLE,
        f"/grant @xan organiser {'A' * 65}": texts.AREA_TOO_LONG,
        "/grant @nobody organiser": texts.no_such_volunteer("@nobody"),
        "/grant 123 organiser": texts.no_such_volunteer("123"),
        "/revoke": texts.REVOKE_USAGE,
        "/revoke @xan organiser": texts.had_no_role("Xan", "organiser", None),
    }
    for command, reply in cases.items():
        await admin.send(command)
        assert admin.last.text == reply.replace("<code>", "").replace("</code>", ""), command
    assert await every_row(engine) == before


async def test_someone_half_signed_up_cannot_be_granted(
    app: Application, fake: FakeTelegram
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    yan = fake.user(5004, first_name="Yan", username="yan")
    await yan.send("/start")
    await yan.press(texts.CONSENT_YES)
    await admin.send("/grant @yan organiser")
    assert admin.last.text == texts.no_such_volunteer("@yan")


async def test_area_coordinator_manages_organisers_in_their_area_only(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    zoe = fake.user(5005, first_name="Zoe", username="zoe")
    abe = fake.user(5006, first_name="Abe", username="abe")
    bea = fake.user(5007, first_name="Bea", username="bea")
    for person in (zoe, abe, bea):
        await sign_up(person)
    await admin.send("/grant @zoe coordinator Peckham")
    await admin.send("/grant @bea organiser Lewisham")
    await outbox_drained(engine)  # each told of their role before they act

    await zoe.send("/grant @abe organiser peckham")
    assert zoe.last.text == "Done: Abe is now an organiser for peckham."
    await outbox_drained(engine)  # the people concerned are told through the outbox
    for command in (
        "/grant @abe organiser Lewisham",
        "/grant @abe organiser",
        "/grant @abe coordinator Peckham",
        "/revoke @abe organiser",
    ):
        before = await every_row(engine)
        await zoe.send(command)
        assert zoe.last.text.startswith("Sorry, you can't give or take"), command
        assert await every_row(engine) == before
    await zoe.send("/roles")  # sees her own area, not Lewisham
    assert "Abe: organiser for peckham" in zoe.last.text
    assert "Bea" not in zoe.last.text
    await zoe.send("/revoke @abe organiser Peckham")
    assert zoe.last.text == "Done: Abe is no longer an organiser for Peckham."
