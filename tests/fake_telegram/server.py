"""A fake Telegram Bot API server that a real PTB Application talks to over real HTTP.

Point PTB at it with ``ApplicationBuilder().base_url(fake.base_url)
.base_file_url(fake.base_file_url)``. The fake keeps a per-chat transcript of what the bot sent,
applies Telegram's validation rules (lengths, HTML, callback_data size, unknown chats, edits),
serves getUpdates long polls fed by :mod:`.users`, and can be told to misbehave with
:class:`Fault`.

The request path is deliberately lean (no per-request logging, O(1) lookups) because the
benchmarks push tens of thousands of sends through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import json
import mimetypes
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .markup import MarkupError, check_reply_markup, parse_html
from .models import Fault, SentMessage, StoredFile, UploadedFile
from .users import DEFAULT_LOCATION, DEFAULT_PHONE, FakeChat, FakeUser

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200

# Parameters PTB (and other clients) send as JSON-encoded strings inside form data. Only these
# are decoded, so a text that happens to look like JSON ("[1, 2]") stays a string.
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
        "menu_button",
        "link_preview_options",
        "reply_parameters",
        "media",
        "results",
        "rights",
        "reaction",
        "message_ids",
        "options",
        "explanation_entities",
    }
)

# Methods that put something in front of the user; a blocked user makes all of them fail.
_BLOCKABLE = frozenset(
    {
        "sendmessage",
        "senddocument",
        "sendphoto",
        "sendvenue",
        "sendlocation",
        "sendcontact",
        "sendchataction",
        "editmessagetext",
        "editmessagereplymarkup",
        "editmessagecaption",
    }
)

# Accepted and answered with True; nothing the tests need to inspect beyond fake.requests.
_TRIVIAL_METHODS = frozenset(
    {
        "logout",
        "close",
        "pinchatmessage",
        "unpinchatmessage",
        "unpinallchatmessages",
        "leavechat",
        "setmessagereaction",
        "setmydefaultadministratorrights",
    }
)

_CONFLICT_DESCRIPTION = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)

_WAKE = "wake"
_CONFLICT = "conflict"

JsonDict = dict[str, Any]
Handler = Callable[[JsonDict], Awaitable[Any]]


class ApiError(Exception):
    """An error answer of the Bot API: {"ok": false, "error_code": ..., "description": ...}."""

    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def response(self) -> web.Response:
        body: JsonDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return web.Response(
            status=self.code, text=json.dumps(body), content_type="application/json"
        )


def _bad(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def _ok(result: Any) -> web.Response:
    return web.Response(
        text=json.dumps({"ok": True, "result": result}, ensure_ascii=False),
        content_type="application/json",
    )


def _as_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _as_float(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _bad(f"{name} is empty" if value in (None, "") else f"wrong {name}") from None


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def _scope_key(scope: JsonDict | None) -> str:
    if not scope:
        scope = {"type": "default"}
    normal = dict(scope)
    for key in ("chat_id", "user_id"):
        if key in normal:
            as_int = _as_int(normal[key])
            normal[key] = as_int if as_int is not None else normal[key]
    return json.dumps(normal, sort_keys=True)


class FakeTelegram:
    """The fake Bot API server plus the state it keeps (see the module docstring)."""

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "muster_test_bot",
        bot_first_name: str = "Muster",
        *,
        strict_html: bool = True,
    ):
        prefix = token.split(":", 1)[0]
        if not prefix.isdigit():
            raise ValueError(f"token must look like '<bot id>:<secret>', got {token!r}")
        self.token = token
        self.bot_id = int(prefix)
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        # Reject a bare "&" in HTML too (Telegram itself tolerates it); see markup.parse_html.
        self.strict_html = strict_html

        self.record_requests = True
        self.requests: list[tuple[str, JsonDict]] = []
        # When each recorded request arrived (time.monotonic()), in step with ``requests``: what
        # tests of Telegram's limits read.
        self.request_times: list[float] = []
        self.method_counts: Counter[str] = Counter()
        self.sent_count = 0
        self.callback_answers: dict[str, JsonDict] = {}
        self.webhook: JsonDict | None = None
        self.action_timeout = 10.0
        self.after_delivery: Callable[[], Awaitable[None]] | None = None

        self._bot_json: JsonDict = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self._chats: dict[int, FakeChat] = {}
        self._users: dict[int, FakeUser] = {}
        self._usernames: dict[str, int] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_seq = itertools.count(1)
        self._callback_owner: dict[str, FakeUser] = {}

        self._updates: deque[JsonDict] = deque()
        self._next_update_id = 1
        self._confirmed = 0  # every update_id below this has been consumed by the bot
        self._dropped: set[int] = set()
        self._consume_waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._waiter_seq = itertools.count()
        self._poll_waiter: asyncio.Future[str] | None = None
        self._allowed_updates: frozenset[str] | None = None

        self._faults: list[Fault] = []
        self._blocked: set[int] = set()
        self._commands: dict[tuple[str, str], list[JsonDict]] = {}
        self._menu_buttons: dict[int | None, JsonDict] = {}
        self._bot_texts: dict[tuple[str, str], str] = {}

        self._runner: web.AppRunner | None = None
        self._port = 0
        self._stopping = False
        self._stop_event = asyncio.Event()
        # Handlers parked in a long poll or a fault delay; stop() lets them finish first.
        self._parked = 0
        self._unparked = asyncio.Event()
        self._unparked.set()

        self._handlers: dict[str, Handler] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "editmessagecaption": self._edit_message_caption,
            "answercallbackquery": self._answer_callback_query,
            "senddocument": self._send_document,
            "sendphoto": self._send_photo,
            "sendvenue": self._send_venue,
            "sendlocation": self._send_location,
            "sendcontact": self._send_contact,
            "deletemessage": self._delete_message,
            "getchat": self._get_chat,
            "getchatmember": self._get_chat_member,
            "getfile": self._get_file,
            "setchatmenubutton": self._set_chat_menu_button,
            "getchatmenubutton": self._get_chat_menu_button,
            "sendchataction": self._send_chat_action,
            "setmyname": self._set_bot_text("name"),
            "getmyname": self._get_bot_text("name"),
            "setmydescription": self._set_bot_text("description"),
            "getmydescription": self._get_bot_text("description"),
            "setmyshortdescription": self._set_bot_text("short_description"),
            "getmyshortdescription": self._get_bot_text("short_description"),
        }
        for name in _TRIVIAL_METHODS:
            self._handlers[name] = self._trivial

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        # 50 MB is Telegram's upload limit for bots; aiohttp's default of 1 MB would 413.
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is None:
            return
        self._stopping = True
        self._stop_event.set()
        self._wake_poll(_WAKE)
        # Let parked long polls / delayed answers return before aiohttp tears connections down.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._unparked.wait(), 2.0)
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/file/bot"

    # ------------------------------------------------------------------ users and chats

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        *,
        phone: str = DEFAULT_PHONE,
        location: tuple[float, float] = DEFAULT_LOCATION,
    ) -> FakeUser:
        """The user with this id (created with its private chat on first call)."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = FakeUser(
            self,
            user_id,
            first_name if first_name is not None else f"User{user_id}",
            last_name,
            username,
            language_code,
            phone=phone,
            location=location,
        )
        self._users[user_id] = user
        self._chats[user_id] = user.chat
        if username:
            self._usernames[username.lower()] = user_id
        return user

    def group(
        self,
        chat_id: int,
        title: str = "Group",
        *,
        chat_type: str | None = None,
        username: str | None = None,
    ) -> FakeChat:
        """A group chat (type "supergroup" for -100... ids unless ``chat_type`` says otherwise)."""
        existing = self._chats.get(chat_id)
        if existing is not None:
            return existing
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        if chat_type is None:
            chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"
        chat_json: JsonDict = {"id": chat_id, "type": chat_type, "title": title}
        if username:
            chat_json["username"] = username
            self._usernames[username.lower()] = chat_id
        chat = FakeChat(self, chat_id, chat_type, chat_json)
        self._chats[chat_id] = chat
        return chat

    def chat(self, chat_id: int) -> FakeChat:
        try:
            return self._chats[chat_id]
        except KeyError:
            raise AssertionError(f"the fake knows no chat {chat_id}") from None

    @property
    def users(self) -> list[FakeUser]:
        return list(self._users.values())

    def transcript(self, chat_id: int) -> list[SentMessage]:
        """What the bot sent to ``chat_id``, oldest first ([] for an unknown chat)."""
        chat = self._chats.get(chat_id)
        return chat.messages if chat is not None else []

    def commands(self, scope: JsonDict | None = None, language_code: str = "") -> list[JsonDict]:
        """The command list set for ``scope`` (None = default scope) and language."""
        return list(self._commands.get((_scope_key(scope), language_code), []))

    def menu_button(self, chat_id: int | None = None) -> JsonDict | None:
        return self._menu_buttons.get(chat_id)

    def timeline(self) -> list[tuple[float, str, JsonDict]]:
        """(arrival time, method, params) of every recorded request, oldest first."""
        return [
            (at, method, params)
            for at, (method, params) in zip(self.request_times, self.requests, strict=True)
        ]

    def calls(self, method: str) -> list[JsonDict]:
        """Params of every recorded request to ``method`` (needs ``record_requests``)."""
        key = method.lower()
        return [params for name, params in self.requests if name.lower() == key]

    def file(self, file_id: str) -> StoredFile:
        return self._files[file_id]

    def store_file(
        self,
        data: bytes,
        *,
        file_name: str | None,
        mime_type: str | None,
        kind: str = "documents",
    ) -> StoredFile:
        """Keep ``data`` under a fresh file_id so getFile and the file URL can serve it."""
        seq = next(self._file_seq)
        prefix = "AgAC" if kind == "photos" else "BQAC"
        ext = ""
        if file_name and "." in file_name:
            ext = file_name.rsplit(".", 1)[1]
        elif kind == "photos":
            ext = "jpg"
        elif mime_type:
            ext = (mimetypes.guess_extension(mime_type) or "").lstrip(".")
        path = f"{kind}/file_{seq}" + (f".{ext}" if ext else "")
        stored = StoredFile(
            file_id=f"{prefix}gQAAxkBAAI{seq:08d}",
            file_unique_id=f"AgAD{seq:06d}",
            data=bytes(data),
            file_name=file_name,
            mime_type=mime_type,
            file_path=path,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[path] = stored
        return stored

    def register_callback(self, query_id: str, user: FakeUser) -> None:
        self._callback_owner[query_id] = user

    # ------------------------------------------------------------------ faults

    def inject(self, fault: Fault) -> Fault:
        self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove injected faults (blocked chats stay blocked; see ``unblock``)."""
        self._faults.clear()

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: every send/edit to ``chat_id`` answers 403 from now on."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def _take_fault(self, method: str, params: JsonDict) -> Fault | None:
        chat_id = _as_int(params.get("chat_id"))
        for fault in self._faults:
            if fault.matches(method, chat_id):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    if fault.times < 0:
                        continue  # injected with times=0: never fires
                return fault
        return None

    @staticmethod
    def _fault_error(fault: Fault, status: int) -> ApiError:
        if status == 429:
            description = fault.description or f"Too Many Requests: retry after {fault.retry_after}"
            return ApiError(429, description, retry_after=fault.retry_after)
        defaults = {
            400: "Bad Request: injected fault",
            401: "Unauthorized",
            403: "Forbidden: bot was blocked by the user",
            404: "Not Found",
            409: _CONFLICT_DESCRIPTION,
            500: "Internal Server Error",
            502: "Bad Gateway",
        }
        return ApiError(status, fault.description or defaults.get(status, "Injected error"))

    # ------------------------------------------------------------------ updates

    def enqueue_raw(self, update: JsonDict) -> int:
        """Queue an update for getUpdates (assigning update_id if absent); returns its id."""
        update_id = update.get("update_id")
        if update_id is None:
            update_id = self._next_update_id
            update["update_id"] = update_id
        elif update_id < self._next_update_id:
            raise ValueError(
                f"update_id {update_id} is not above the last one ({self._next_update_id - 1})"
            )
        self._next_update_id = update_id + 1
        allowed = self._allowed_updates
        if allowed is not None and not (allowed & update.keys()):
            # Telegram never creates updates of a kind the bot did not subscribe to.
            self._dropped.add(update_id)
            return update_id
        self._updates.append(update)
        self._wake_poll(_WAKE)
        return update_id

    async def deliver(self, update: JsonDict, *, wait: bool = True) -> JsonDict:
        """Queue ``update``; if ``wait``, return once the bot consumed it and
        ``after_delivery`` (if set) finished."""
        update_id = self.enqueue_raw(update)
        if not wait:
            return update
        await self.wait_consumed(update_id)
        if self.after_delivery is not None:
            try:
                async with asyncio.timeout(self.action_timeout):
                    await self.after_delivery()
            except TimeoutError:
                raise AssertionError(
                    f"update {update_id} ({self._describe(update)}) was fetched by the bot, but "
                    f"after_delivery did not finish within {self.action_timeout}s; a handler is "
                    "probably stuck"
                ) from None
        return update

    async def wait_consumed(self, update_id: int, within: float | None = None) -> None:
        """Wait until a getUpdates call confirmed ``update_id`` (offset > update_id)."""
        if update_id < self._confirmed or update_id in self._dropped:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._consume_waiters, (update_id, next(self._waiter_seq), future))
        limit = self.action_timeout if within is None else within
        try:
            async with asyncio.timeout(limit):
                await future
        except TimeoutError:
            pending = next((u for u in self._updates if u["update_id"] == update_id), None)
            what = self._describe(pending) if pending is not None else "no longer queued"
            raise AssertionError(
                f"update {update_id} ({what}) was not consumed by the bot within {limit}s; is an "
                f"Application polling {self.base_url}? (confirmed offset: {self._confirmed})"
            ) from None

    @staticmethod
    def _describe(update: JsonDict) -> str:
        kind = next((k for k in update if k != "update_id"), "?")
        body = update.get(kind)
        if isinstance(body, dict):
            if kind == "callback_query":
                return f"callback_query data={body.get('data')!r} from {body['from']['id']}"
            sender = body.get("from", {}).get("id")
            content = next(
                (k for k in ("text", "document", "location", "contact", "photo") if k in body),
                "message",
            )
            detail = repr(body["text"]) if content == "text" else content
            return f"{kind} {detail} from {sender}"
        return kind

    def _confirm(self, offset: int) -> None:
        if offset <= self._confirmed:
            return
        self._confirmed = offset
        updates = self._updates
        while updates and updates[0]["update_id"] < offset:
            updates.popleft()
        waiters = self._consume_waiters
        while waiters and waiters[0][0] < offset:
            future = heapq.heappop(waiters)[2]
            if not future.done():
                future.set_result(None)

    def _drop_pending(self, keep_last: int = 0) -> None:
        while len(self._updates) > keep_last:
            update_id = self._updates.popleft()["update_id"]
            self._dropped.add(update_id)
            self._resolve_dropped(update_id)

    def _resolve_dropped(self, update_id: int) -> None:
        for entry in self._consume_waiters:
            if entry[0] == update_id and not entry[2].done():
                entry[2].set_result(None)

    @property
    def long_polling(self) -> bool:
        """Whether a getUpdates call is parked here waiting for updates (tests wait on this
        rather than sleeping and hoping the request has arrived)."""
        return self._poll_waiter is not None and not self._poll_waiter.done()

    def _wake_poll(self, outcome: str) -> None:
        waiter = self._poll_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(outcome)

    def _park(self) -> None:
        self._parked += 1
        self._unparked.clear()

    def _unpark(self) -> None:
        self._parked -= 1
        if self._parked == 0:
            self._unparked.set()

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return self._download(path[len("/file/bot") :])
        if not path.startswith("/bot"):
            return ApiError(404, "Not Found").response()
        token, _, method = path[4:].partition("/")
        if token != self.token:
            return ApiError(401, "Unauthorized").response()
        try:
            params = await self._read_params(request)
        except ApiError as exc:
            return exc.response()
        except ValueError:
            return _bad("can't parse request body").response()
        if self.record_requests:
            self.requests.append((method, params))
            self.request_times.append(time.monotonic())
        self.method_counts[method] += 1
        key = method.lower()
        if self._faults:
            fault = self._take_fault(key, params)
            if fault is not None:
                return await self._faulty(fault, request, key, params)
        return await self._dispatch(key, params)

    async def _dispatch(self, key: str, params: JsonDict) -> web.Response:
        handler = self._handlers.get(key)
        if handler is None:
            return ApiError(404, "Not Found: method not found").response()
        try:
            if key in _BLOCKABLE and self._blocked:
                self._check_blocked(params)
            result = await handler(params)
        except ApiError as exc:
            return exc.response()
        return _ok(result)

    def _check_blocked(self, params: JsonDict) -> None:
        chat_id = _as_int(params.get("chat_id"))
        if chat_id in self._blocked:
            chat = self._chats.get(chat_id) if chat_id is not None else None
            if chat is not None and chat.type != "private":
                raise ApiError(403, "Forbidden: bot was kicked from the group chat")
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    async def _faulty(
        self, fault: Fault, request: web.Request, key: str, params: JsonDict
    ) -> web.StreamResponse:
        status = fault.effective_status
        deliver_first = fault.effective_deliver
        response: web.StreamResponse | None = None
        if deliver_first:
            response = await self._dispatch(key, params)
        if fault.delay > 0:
            self._park()
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop_event.wait(), fault.delay)
            finally:
                self._unpark()
        if fault.drop or self._stopping:
            # Abort the socket so the client sees the connection die with no response at all;
            # aiohttp then fails to write the placeholder below and quietly moves on.
            transport = request.transport
            if transport is not None:
                transport.abort()
            return web.Response(status=500)
        if status is not None:
            return self._fault_error(fault, status).response()
        if response is None:
            response = await self._dispatch(key, params)
        return response

    async def _read_params(self, request: web.Request) -> JsonDict:
        params: JsonDict = dict(request.query) if request.query_string else {}
        if request.body_exists:
            if request.content_type == "application/json":
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            else:
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        params[name] = UploadedFile(
                            value.filename, value.content_type, value.file.read()
                        )
                    else:
                        params[name] = value
        for name in _JSON_FIELDS.intersection(params):
            value = params[name]
            if isinstance(value, str) and value[:1] in ("{", "["):
                try:
                    params[name] = json.loads(value)
                except ValueError:
                    raise _bad(f"can't parse {name} JSON object") from None
        return params

    def _download(self, rest: str) -> web.Response:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return ApiError(401, "Unauthorized").response()
        stored = self._files_by_path.get(file_path)
        if stored is None:
            return ApiError(404, "Not Found").response()
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    # ------------------------------------------------------------------ shared helpers

    def _chat(self, params: JsonDict, name: str = "chat_id") -> FakeChat:
        raw = params.get(name)
        if raw is None or raw == "":
            raise _bad(f"{name} is empty")
        chat_id = _as_int(raw)
        if chat_id is None and isinstance(raw, str) and raw.startswith("@"):
            chat_id = self._usernames.get(raw[1:].lower())
        chat = self._chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            raise _bad("chat not found")
        return chat

    def _render(
        self, text: str, parse_mode: Any, entities: Any
    ) -> tuple[str, list[JsonDict] | None]:
        """(plain text, entities) as Telegram would store them."""
        if parse_mode and str(parse_mode).upper() == "HTML":
            try:
                plain, parsed = parse_html(text, strict=self.strict_html)
            except MarkupError as exc:
                raise _bad(str(exc)) from None
            return plain, parsed or None
        # MarkdownV2 / Markdown are not parsed: the text is stored as sent.
        return text, entities if isinstance(entities, list) and entities else None

    @staticmethod
    def _check_markup(markup: Any) -> JsonDict | None:
        try:
            check_reply_markup(markup)
        except MarkupError as exc:
            raise _bad(str(exc)) from None
        return markup

    def _text(self, params: JsonDict) -> tuple[str, str, list[JsonDict] | None]:
        text = params.get("text")
        if text is None or text == "":
            raise _bad("message text is empty")
        text = str(text)
        plain, entities = self._render(text, params.get("parse_mode"), params.get("entities"))
        if not plain.strip():
            raise _bad("message text is empty")
        if len(plain) > MAX_TEXT_LENGTH:
            raise _bad("message is too long")
        return text, plain, entities

    def _caption(self, params: JsonDict) -> tuple[str | None, str | None, list[JsonDict] | None]:
        caption = params.get("caption")
        if caption is None or caption == "":
            return None, None, None
        caption = str(caption)
        plain, entities = self._render(
            caption, params.get("parse_mode"), params.get("caption_entities")
        )
        if len(plain) > MAX_CAPTION_LENGTH:
            raise _bad("message caption is too long")
        return caption, plain, entities

    def _reply_to(self, chat: FakeChat, params: JsonDict) -> int | None:
        """The replied-to message id, validated like Telegram does (None if not a reply)."""
        reply = params.get("reply_parameters")
        allow_missing = _as_bool(params.get("allow_sending_without_reply", False))
        target = chat
        if isinstance(reply, dict):
            message_id = _as_int(reply.get("message_id"))
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
            if reply.get("chat_id") not in (None, ""):
                target = self._chat(reply)
        else:
            message_id = _as_int(params.get("reply_to_message_id"))
        if message_id is None:
            return None
        exists = target.bot_message(message_id) is not None or target.user_message(message_id)
        if not exists and not allow_missing:
            raise _bad("message to be replied not found")
        # Cross-chat replies are validated but not linked: the transcript is per chat.
        return message_id if exists and target is chat else None

    def _new_message(self, chat: FakeChat, method: str, params: JsonDict) -> SentMessage:
        markup = self._check_markup(params.get("reply_markup"))
        return SentMessage(
            message_id=0,  # assigned in _record, once validation can no longer fail
            chat_id=chat.id,
            method=method,
            date=int(time.time()),
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
            reply_to_message_id=self._reply_to(chat, params),
        )

    def _record(self, chat: FakeChat, msg: SentMessage) -> JsonDict:
        msg.message_id = chat.allocate_message_id()
        chat.add_bot_message(msg)
        self.sent_count += 1
        return self.message_json(msg)

    def message_json(self, msg: SentMessage) -> JsonDict:
        """The Message object Telegram would return for ``msg`` in its current state."""
        chat = self._chats[msg.chat_id]
        out: JsonDict = {
            "message_id": msg.message_id,
            "from": self._bot_json,
            "chat": chat.json,
            "date": msg.date,
        }
        if msg.edit_date is not None:
            out["edit_date"] = msg.edit_date
        if msg.reply_to_message_id is not None:
            target = chat.bot_message(msg.reply_to_message_id)
            if target is not None:
                # Telegram nests only one level of replies; dropping ours avoids recursion.
                nested = self.message_json(target)
                nested.pop("reply_to_message", None)
                out["reply_to_message"] = nested
            else:
                user_msg = chat.user_message(msg.reply_to_message_id)
                if user_msg is not None:
                    out["reply_to_message"] = {
                        k: v for k, v in user_msg.items() if k != "reply_to_message"
                    }
        if msg.method == "sendMessage":
            out["text"] = msg.text
            if msg.entities:
                out["entities"] = msg.entities
        else:
            out.update(msg.payload)
            if msg.text is not None:
                out["caption"] = msg.text
                if msg.entities:
                    out["caption_entities"] = msg.entities
        # Only inline keyboards are part of a Message; reply keyboards live on the client.
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            out["reply_markup"] = msg.reply_markup
        return out

    def _upload(self, params: JsonDict, name: str, kind: str) -> StoredFile:
        value = params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if isinstance(value, UploadedFile):
            mime = value.content_type
            if mime is None and value.filename:
                mime = mimetypes.guess_type(value.filename)[0]
            return self.store_file(
                value.data,
                file_name=value.filename if kind != "photos" else None,
                mime_type=mime if kind != "photos" else None,
                kind=kind,
            )
        if isinstance(value, str) and value:
            if value.startswith(("http://", "https://")):
                # We cannot fetch it; remember the name so the transcript still says something.
                file_name = value.rstrip("/").rsplit("/", 1)[-1] or None
                return self.store_file(b"", file_name=file_name, mime_type=None, kind=kind)
            stored = self._files.get(value)
            if stored is None:
                raise _bad("wrong file identifier/HTTP URL specified")
            return stored
        raise _bad(f"there is no {name} in the request")

    def _editable(self, params: JsonDict) -> tuple[FakeChat, SentMessage]:
        if params.get("inline_message_id"):
            raise _bad("the fake does not support inline messages (MESSAGE_ID_INVALID)")
        chat = self._chat(params)
        message_id = _as_int(params.get("message_id"))
        if message_id is None:
            raise _bad("message identifier is not specified")
        msg = chat.bot_message(message_id)
        if msg is None or msg.deleted:
            if msg is None and chat.user_message(message_id) is not None:
                raise _bad("message can't be edited")
            raise _bad("message to edit not found")
        return chat, msg

    @staticmethod
    def _edit_markup(params: JsonDict) -> JsonDict | None:
        markup = FakeTelegram._check_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise _bad("inline keyboard expected")
        return markup

    @staticmethod
    def _current_inline(msg: SentMessage) -> JsonDict | None:
        markup = msg.reply_markup
        return markup if markup and "inline_keyboard" in markup else None

    @staticmethod
    def _apply_edit(
        msg: SentMessage,
        *,
        text: str | None,
        html: str | None,
        entities: list[JsonDict] | None,
        markup: JsonDict | None,
    ) -> None:
        msg.edit_history.append(
            {
                "text": msg.text,
                "html": msg.html,
                "entities": msg.entities,
                "reply_markup": msg.reply_markup,
                "date": msg.edit_date if msg.edit_date is not None else msg.date,
            }
        )
        msg.text, msg.html, msg.entities, msg.reply_markup = text, html, entities, markup
        msg.edited = True
        msg.edit_date = int(time.time())

    # ------------------------------------------------------------------ methods: bot & updates

    async def _trivial(self, params: JsonDict) -> bool:
        return True

    async def _get_me(self, params: JsonDict) -> JsonDict:
        return {
            **self._bot_json,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: JsonDict) -> list[JsonDict]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        # Telegram answers an older, still waiting long poll with 409 once a newer one arrives.
        self._wake_poll(_CONFLICT)
        offset = _as_int(params.get("offset")) or 0
        limit = min(max(_as_int(params.get("limit")) or 100, 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else None
        if offset > 0:
            self._confirm(offset)
        elif offset < 0:
            self._drop_pending(keep_last=-offset)

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._updates:
            remaining = deadline - loop.time()
            if remaining <= 0 or self._stopping:
                return []
            waiter: asyncio.Future[str] = loop.create_future()
            self._poll_waiter = waiter
            self._park()
            try:
                await asyncio.wait((waiter,), timeout=remaining)
            finally:
                # Also reached when aiohttp cancels us because the client went away.
                self._unpark()
                if self._poll_waiter is waiter:
                    self._poll_waiter = None
                if not waiter.done():
                    waiter.cancel()
            if not waiter.cancelled() and waiter.done() and waiter.result() == _CONFLICT:
                raise ApiError(409, _CONFLICT_DESCRIPTION)
        return list(itertools.islice(self._updates, limit))

    async def _delete_webhook(self, params: JsonDict) -> bool:
        self.webhook = None
        if _as_bool(params.get("drop_pending_updates", False)):
            self._drop_pending()
        return True

    async def _set_webhook(self, params: JsonDict) -> bool:
        url = params.get("url")
        if not url:
            # Same as deleteWebhook, per the Bot API docs.
            return await self._delete_webhook(params)
        self.webhook = {k: v for k, v in params.items() if not isinstance(v, UploadedFile)}
        if _as_bool(params.get("drop_pending_updates", False)):
            self._drop_pending()
        return True

    async def _get_webhook_info(self, params: JsonDict) -> JsonDict:
        return {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    # ------------------------------------------------------------------ methods: commands etc.

    def _command_key(self, params: JsonDict) -> tuple[str, str]:
        scope = params.get("scope")
        if scope is not None and not isinstance(scope, dict):
            raise _bad("can't parse BotCommandScope JSON object")
        if scope and "chat_id" in scope:
            self._chat(scope)
        return _scope_key(scope), str(params.get("language_code") or "")

    async def _set_my_commands(self, params: JsonDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        clean: list[JsonDict] = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand JSON object")
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if (
                not (1 <= len(name) <= 32)
                or not all(c.islower() or c.isdigit() or c == "_" for c in name)
                or not name.isascii()
            ):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": name, "description": description})
        key = self._command_key(params)
        if clean:
            self._commands[key] = clean
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: JsonDict) -> list[JsonDict]:
        return list(self._commands.get(self._command_key(params), []))

    async def _delete_my_commands(self, params: JsonDict) -> bool:
        self._commands.pop(self._command_key(params), None)
        return True

    async def _set_chat_menu_button(self, params: JsonDict) -> bool:
        chat_id = None
        if params.get("chat_id") not in (None, ""):
            chat_id = self._chat(params).id
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or "type" not in button:
            raise _bad("can't parse menu button JSON object")
        self._menu_buttons[chat_id] = button
        return True

    async def _get_chat_menu_button(self, params: JsonDict) -> JsonDict:
        if params.get("chat_id") not in (None, ""):
            chat_button = self._menu_buttons.get(self._chat(params).id)
            if chat_button is not None:
                return chat_button
        return self._menu_buttons.get(None, {"type": "commands"})

    def _set_bot_text(self, field: str) -> Handler:
        async def handler(params: JsonDict) -> bool:
            language = str(params.get("language_code") or "")
            value = str(params.get(field) or "")
            if value:
                self._bot_texts[(field, language)] = value
            else:
                self._bot_texts.pop((field, language), None)
            return True

        return handler

    def _get_bot_text(self, field: str) -> Handler:
        async def handler(params: JsonDict) -> JsonDict:
            language = str(params.get("language_code") or "")
            default = self.bot_first_name if field == "name" else ""
            fallback = self._bot_texts.get((field, ""), default)
            value = self._bot_texts.get((field, language), fallback)
            return {field: value}

        return handler

    # ------------------------------------------------------------------ methods: sending

    async def _send_message(self, params: JsonDict) -> JsonDict:
        chat = self._chat(params)
        text, plain, entities = self._text(params)
        msg = self._new_message(chat, "sendMessage", params)
        msg.text, msg.html, msg.entities = plain, text, entities
        return self._record(chat, msg)

    async def _send_document(self, params: JsonDict) -> JsonDict:
        chat = self._chat(params)
        caption, plain, entities = self._caption(params)
        msg = self._new_message(chat, "sendDocument", params)
        stored = self._upload(params, "document", "documents")
        msg.text, msg.html, msg.entities = plain, caption, entities
        msg.document, msg.file_name, msg.mime_type = stored.data, stored.file_name, stored.mime_type
        msg.file_id = stored.file_id
        msg.payload["document"] = stored.document_json()
        return self._record(chat, msg)

    async def _send_photo(self, params: JsonDict) -> JsonDict:
        chat = self._chat(params)
        caption, plain, entities = self._caption(params)
        msg = self._new_message(chat, "sendPhoto", params)
        stored = self._upload(params, "photo", "photos")
        msg.text, msg.html, msg.entities = plain, caption, entities
        msg.photo, msg.file_id = stored.data, stored.file_id
        msg.payload["photo"] = stored.photo_json()
        return self._record(chat, msg)

    @staticmethod
    def _location(params: JsonDict) -> JsonDict:
        latitude = _as_float(params.get("latitude"), "latitude")
        longitude = _as_float(params.get("longitude"), "longitude")
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise _bad("wrong latitude/longitude")
        location: JsonDict = {"latitude": latitude, "longitude": longitude}
        for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
            if params.get(key) not in (None, ""):
                location[key] = _as_float(params[key], key)
        return location

    async def _send_location(self, params: JsonDict) -> JsonDict:
        chat = self._chat(params)
        location = self._location(params)
        msg = self._new_message(chat, "sendLocation", params)
        msg.location = location
        msg.payload["location"] = location
        return self._record(chat, msg)

    async def _send_venue(self, params: JsonDict) -> JsonDict:
        chat = self._chat(params)
        location = self._location(params)
        title, address = params.get("title"), params.get("address")
        if not title:
            raise _bad("venue title is empty")
        if address is None:
            raise _bad("venue address is empty")
        venue: JsonDict = {"location": location, "title": str(title), "address": str(address)}
        for key in ("foursquare_id", "foursquare_type", "google_place_id", "google_place_type"):
            if params.get(key):
                venue[key] = params[key]
        msg = self._new_message(chat, "sendVenue", params)
        msg.venue, msg.location = venue, location
        msg.payload["venue"] = venue
        msg.payload["location"] = location
        return self._record(chat, msg)

    async def _send_contact(self, params: JsonDict) -> JsonDict:
        chat = self._chat(params)
        phone, first_name = params.get("phone_number"), params.get("first_name")
        if not phone:
            raise _bad("phone number is empty")
        if not first_name:
            raise _bad("contact first name is empty")
        contact: JsonDict = {"phone_number": str(phone), "first_name": str(first_name)}
        for key in ("last_name", "vcard"):
            if params.get(key):
                contact[key] = params[key]
        msg = self._new_message(chat, "sendContact", params)
        msg.contact = contact
        msg.payload["contact"] = contact
        return self._record(chat, msg)

    async def _send_chat_action(self, params: JsonDict) -> bool:
        self._chat(params)
        if not params.get("action"):
            raise _bad("action is empty")
        return True

    # ------------------------------------------------------------------ methods: edits & deletes

    async def _edit_message_text(self, params: JsonDict) -> JsonDict:
        _, msg = self._editable(params)
        if msg.method != "sendMessage":
            raise _bad("there is no text in the message to edit")
        text, plain, entities = self._text(params)
        markup = self._edit_markup(params)
        if plain == msg.text and entities == msg.entities and markup == self._current_inline(msg):
            raise _bad(_NOT_MODIFIED)
        self._apply_edit(msg, text=plain, html=text, entities=entities, markup=markup)
        return self.message_json(msg)

    async def _edit_message_caption(self, params: JsonDict) -> JsonDict:
        _, msg = self._editable(params)
        if msg.method == "sendMessage":
            raise _bad("there is no caption in the message to edit")
        caption, plain, entities = self._caption(params)
        markup = self._edit_markup(params)
        if plain == msg.text and entities == msg.entities and markup == self._current_inline(msg):
            raise _bad(_NOT_MODIFIED)
        self._apply_edit(msg, text=plain, html=caption, entities=entities, markup=markup)
        return self.message_json(msg)

    async def _edit_message_reply_markup(self, params: JsonDict) -> JsonDict:
        _, msg = self._editable(params)
        markup = self._edit_markup(params)
        if markup == self._current_inline(msg):
            raise _bad(_NOT_MODIFIED)
        self._apply_edit(msg, text=msg.text, html=msg.html, entities=msg.entities, markup=markup)
        return self.message_json(msg)

    async def _delete_message(self, params: JsonDict) -> bool:
        chat = self._chat(params)
        message_id = _as_int(params.get("message_id"))
        if message_id is None:
            raise _bad("message identifier is not specified")
        msg = chat.bot_message(message_id)
        if msg is not None and not msg.deleted:
            msg.deleted = True
            return True
        if chat.forget_user_message(message_id):
            return True
        raise _bad("message to delete not found")

    async def _answer_callback_query(self, params: JsonDict) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        owner = self._callback_owner.get(query_id)
        if owner is None or query_id in self.callback_answers:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        answer: JsonDict = {
            "callback_query_id": query_id,
            "text": text,
            "show_alert": _as_bool(params.get("show_alert", False)),
            "url": params.get("url"),
            "cache_time": _as_int(params.get("cache_time")) or 0,
        }
        self.callback_answers[query_id] = answer
        owner.callback_answers.append(answer)
        return True

    # ------------------------------------------------------------------ methods: chats & files

    async def _get_chat(self, params: JsonDict) -> JsonDict:
        chat = self._chat(params)
        return {
            **chat.json,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _get_chat_member(self, params: JsonDict) -> JsonDict:
        chat = self._chat(params)
        user_id = _as_int(params.get("user_id"))
        if user_id == self.bot_id:
            return {"status": "member", "user": self._bot_json}
        user = self._users.get(user_id) if user_id is not None else None
        if user is None:
            raise _bad("user not found")
        is_member = chat.id == user.id or user.id in chat.members
        return {"status": "member" if is_member else "left", "user": user.json}

    async def _get_file(self, params: JsonDict) -> JsonDict:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad("invalid file_id")
        return stored.file_json()
