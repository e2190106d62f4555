"""A lean HTTP transport for PTB on aiohttp, used by the outbox sender.

Measured on the 2-core machine against the fake Bot API: a bare PTB send loop on PTB's httpx
transport does about 1,050 messages a second, raw httpx about 1,440 and raw aiohttp about 4,700
(issue 10). The sender spends most of its time in the HTTP stack, so it sends through aiohttp,
with the parameters as one JSON body (what PTB itself encodes) rather than a form; and its plain
messages go as bodies it builds itself (:meth:`AiohttpRequest.post_json`).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_JSON = {"Content-Type": "application/json"}
# A body the caller built itself, for the request being made in this task (see post_json).
_PREPARED: ContextVar[bytes | None] = ContextVar("prepared_body", default=None)


class AiohttpRequest(BaseRequest):
    """PTB's ``BaseRequest`` on one aiohttp session with a bounded connection pool."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 8,
        read_timeout: float = 10.0,
        write_timeout: float = 10.0,
        connect_timeout: float = 5.0,
        pool_timeout: float = 10.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._timeout = self._timeouts(read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
                # The Bot API sets no cookies; not looking for them saves work on every answer.
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def post_json(self, url: str, body: bytes) -> Any:
        """POST ``body``, JSON the caller built itself, and return the answer's ``result``.

        The answer goes through PTB's own handling (:meth:`BaseRequest.post`), so a refusal
        raises what it would from ``Bot.send_message`` (Forbidden, BadRequest, RetryAfter, ...).
        What this saves is PTB's objects: building a message's parameters and reading the whole
        answer back into a ``Message`` cost more than the HTTP request itself, and the outbox
        needs only the message id of it.
        """
        prepared = _PREPARED.set(body)
        try:
            return await self.post(url)
        finally:
            _PREPARED.reset(prepared)

    @staticmethod
    def _timeouts(
        read: float | None, write: float | None, connect: float | None, pool: float | None
    ) -> aiohttp.ClientTimeout:
        # aiohttp has no separate write timeout: reading the answer starts once the request is
        # written, so the two together bound a request. Answers are small, so that bound alone
        # stands for the read timeout too: one timer a request, not two.
        return aiohttp.ClientTimeout(
            total=None if read is None or write is None else read + write,
            connect=pool,
            sock_connect=connect,
        )

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")

        timeout = self._timeout
        given = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        if not all(isinstance(value, DefaultValue) for value in given):

            def pick(value: ODVInput[float], default: float) -> float | None:
                return default if isinstance(value, DefaultValue) else value

            timeout = self._timeouts(
                pick(read_timeout, self._read),
                pick(write_timeout, self._write),
                pick(connect_timeout, self._connect),
                pick(pool_timeout, self._pool),
            )
        body: aiohttp.FormData | bytes | None = _PREPARED.get()
        headers = _JSON if body is not None else None
        if request_data is not None:
            if request_data.contains_files:
                body = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    body.add_field(name, value)
                for name, (filename, content, mimetype) in request_data.multipart_data.items():
                    body.add_field(name, content, filename=filename, content_type=mimetype)
            else:
                body = request_data.json_payload
                headers = _JSON
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            # The class name only: a message may quote the URL, which holds the token.
            raise NetworkError(f"aiohttp.{type(error).__name__}") from error
