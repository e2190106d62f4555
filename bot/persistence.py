"""Keeps what people are in the middle of in the application's own database, so that a restart
(or a crash) carries on where they were: each person's :class:`~bot.userdata.UserData`, and the
question each persistent ConversationHandler is on. Chat data, bot data and callback data are not
used by the bot, so they are not kept.

PTB loads everything once, in ``Application.initialize()``; from then on memory is the truth
and this writes changes through. ``bot.app.MusterApplication`` asks for that after every update,
not only once a minute as PTB does by default: a crash loses nothing that was answered.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.userdata import UserData
from db import state
from db.engine import Database

logger = logging.getLogger(__name__)

# PTB's own timer, a backstop for changes made outside an update (a job, a background task).
BACKSTOP_SECONDS = 5.0


class StatePersistence(BasePersistence[UserData, dict[Any, Any], dict[Any, Any]]):
    def __init__(self, db: Database) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=False, callback_data=False),
            update_interval=BACKSTOP_SECONDS,
        )
        self._db = db
        # What is stored for each person, so that the many updates that change nothing (every
        # RSVP tap, say) write nothing.
        self._saved: dict[int, dict[str, Any]] = {}

    async def get_user_data(self) -> dict[int, UserData]:
        async with self._db.begin() as conn:
            rows = await state.people(conn)
            loaded: dict[int, UserData] = {}
            for telegram_id, data in rows.items():
                try:
                    loaded[telegram_id] = UserData.from_json(data)
                except (KeyError, TypeError, ValueError):
                    # Saved by a version that kept it differently: better to forget one draft
                    # than not to start. (No id in the log: it is personal.)
                    logger.warning("Dropped a saved state this version cannot read")
                    await state.drop_person(conn, telegram_id)
                    continue
                self._saved[telegram_id] = data
        return loaded

    async def update_user_data(self, user_id: int, data: UserData) -> None:
        saved = data.to_json()
        if saved == self._saved.get(user_id, {}):
            return
        async with self._db.begin() as conn:
            if saved:
                await state.save_person(conn, user_id, saved)
            else:
                await state.drop_person(conn, user_id)
        if saved:
            self._saved[user_id] = saved
        else:
            self._saved.pop(user_id, None)

    async def drop_user_data(self, user_id: int) -> None:
        async with self._db.begin() as conn:
            await state.drop_person(conn, user_id)
        self._saved.pop(user_id, None)

    async def refresh_user_data(self, user_id: int, user_data: UserData) -> None:
        """Nothing to do: one bot process owns the data, and memory already has the latest."""

    async def get_conversations(self, name: str) -> dict[tuple[int | str, ...], object]:
        async with self._db.connect() as conn:
            return dict(await state.conversations(conn, name))

    async def update_conversation(
        self, name: str, key: tuple[int | str, ...], new_state: object | None
    ) -> None:
        # Our conversations are per chat and per user (PTB's default), with numbered questions.
        chat_id, user_id = key
        assert new_state is None or isinstance(new_state, int), new_state
        async with self._db.begin() as conn:
            await state.save_conversation(conn, name, int(chat_id), int(user_id), new_state)

    async def flush(self) -> None:
        """Nothing to do: every change was written as it happened."""

    # Switched off in PersistenceInput above, so PTB never calls these; they must exist.

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        raise NotImplementedError("chat data is not kept")

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        raise NotImplementedError("chat data is not kept")

    async def drop_chat_data(self, chat_id: int) -> None:
        raise NotImplementedError("chat data is not kept")

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        raise NotImplementedError("bot data is not kept")

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        raise NotImplementedError("bot data is not kept")

    async def get_callback_data(self) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        raise NotImplementedError("callback data is not kept")
