"""Typed postcodes measured by distance, end to end: a volunteer who typed an East Dulwich
postcode is reached by a call from a Peckham meeting point within 5 km and not within 2 km (their
sector's centre is 3.98 km away; a typed postcode gets APPROXIMATE_ALLOWANCE_KM on top of the
radius); /mydata says the place is approximate; a location shared later replaces it exactly."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import Application

from bot import texts
from bot.domain.audience import distance_km
from bot.domain.places import APPROXIMATE_ALLOWANCE_KM, PlaceSource
from bot.domain.signup import Step
from db.schema import outbox
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram
from tests.flows import new_event, outbox_drained, sign_up, stored, until

# A meeting point in north Peckham (SE15 6NX), shared as a map pin.
PECKHAM = (51.48636, -0.07467)
EAST_DULWICH_SECTOR = (51.4510, -0.0660)  # the centre of SE22 0, from the packaged table


async def test_a_typed_postcode_is_reached_by_a_5_km_call_and_not_a_2_km_one(
    app: Application, fake: FakeTelegram, engine: AsyncEngine
) -> None:
    dee = fake.user(6001, first_name="Dee")
    await sign_up(dee, postcode="se22 0at")
    stored_dee = await stored(engine, 6001)
    assert stored_dee is not None
    assert stored_dee.location_source is PlaceSource.SECTOR
    assert (stored_dee.latitude, stored_dee.longitude) == EAST_DULWICH_SECTOR
    # The distances: more than 2 km plus the allowance, no more than 5 km plus it.
    away = distance_km(*EAST_DULWICH_SECTOR, *PECKHAM)
    assert 2 + APPROXIMATE_ALLOWANCE_KM < away <= 5 + APPROXIMATE_ALLOWANCE_KM

    # The organiser volunteers too, from Ealing (W5): far from it all.
    olga = fake.user(8001, first_name="Olga", username="olga")
    await sign_up(olga, postcode="W5 5DB")
    await fake.user(ADMIN_ID, first_name="Ada").send("/grant @olga organiser Peckham")
    await new_event(olga, address="Old Kent Road, SE15 6NX", pin=PECKHAM)
    await olga.send("/callout")
    await olga.press("Sat 28 Nov · Peckham Saturday doors")
    await olga.press(texts.NEXT)
    assert "This call would reach 2 volunteers" in olga.last.text
    await olga.press("📍 Near the meeting point: off")  # -> 2 km
    assert "within 2 km of the meeting point" in olga.last.text
    assert "This call would reach 0 volunteers" in olga.last.text
    await olga.press("📍 Near the meeting point: 2 km")  # -> 5 km
    assert "within 5 km of the meeting point" in olga.last.text
    assert "This call would reach 1 volunteer" in olga.last.text
    await olga.press(texts.NEXT)
    await olga.press(texts.SKIP)
    await olga.press(texts.SEND_NOW)
    await outbox_drained(engine)
    await until(lambda: (dee.last.text or "").startswith("📣 Can you help?"))
    async with engine.connect() as conn:
        called = (
            (await conn.execute(select(outbox.c.chat_id).where(outbox.c.kind == "callout")))
            .scalars()
            .all()
        )
    assert called == [6001]

    # /mydata says the place is approximate, and where.
    await dee.send("/mydata")
    data = json.loads(dee.last.document)
    assert data["where"] == "near SE22 0 (approximate)"
    assert data["volunteer"]["location_source"] == "sector"

    # Sharing a location replaces it, exactly, and /mydata says so.
    await dee.send("/profile")
    await dee.press(texts.CHANGE[Step.LOCATION])
    await dee.share_location(51.4700, -0.0700)
    moved = await stored(engine, 6001)
    assert moved is not None
    assert (moved.latitude, moved.longitude, moved.postcode) == (51.4700, -0.0700, None)
    assert moved.location_source is PlaceSource.SHARED
    await dee.send("/mydata")
    assert json.loads(dee.last.document)["where"] == "the location you shared"
