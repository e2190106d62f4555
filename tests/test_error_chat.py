"""ERROR_CHAT_ID: unhandled errors are reported to that chat with their class, where they happened
and the update's number, never anything a person sent or who they are, and at most once a
minute."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from telegram.ext import Application

from bot import clock, texts
from bot.services import rsvps
from bot.settings import Settings
from tests.conftest import ADMIN_ID
from tests.fake_telegram import FakeTelegram
from tests.flows import sign_up, until


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"error_chat_id": ADMIN_ID})


async def _fails(*_args: Any, **_kwargs: Any) -> None:
    # Errors from the database quote the values they failed on: personal data.
    raise RuntimeError("no shift for Vic Vance, phone 07700 900123, @vic_v")


async def test_errors_reach_the_error_chat_without_personal_data_once_a_minute(
    app: Application, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = fake.user(ADMIN_ID, first_name="Ada")
    vic = fake.user(5001, first_name="Vic", last_name="Vance", username="vic_v")
    await sign_up(vic, share_phone=True)
    monkeypatch.setattr(rsvps, "my_shifts", _fails)

    await vic.send("/myshifts")
    assert vic.last.text == texts.SOMETHING_WENT_WRONG
    await until(lambda: len(fake.transcript(ADMIN_ID)) == 1)
    report = fake.transcript(ADMIN_ID)[0].text
    expected = texts.error_report("RuntimeError", "handlers.rsvp.myshifts", 999)
    assert re.fullmatch(re.escape(expected).replace("999", r"\d+"), report)
    for personal in ("Vic", "Vance", "vic_v", "07700", "5001", "/myshifts"):
        assert personal not in report

    # Another error within the minute is logged only.
    await vic.send("/myshifts")
    assert vic.last.text == texts.SOMETHING_WENT_WRONG
    clock.advance(timedelta(seconds=59))
    await vic.send("/myshifts")
    assert len(fake.transcript(ADMIN_ID)) == 1

    clock.advance(timedelta(seconds=2))
    await vic.send("/myshifts")
    await until(lambda: len(fake.transcript(ADMIN_ID)) == 2)
    assert fake.transcript(ADMIN_ID)[1].text.startswith("⚠️ Muster hit an error: RuntimeError")
    assert admin.messages == fake.transcript(ADMIN_ID)
