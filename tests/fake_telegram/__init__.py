"""A fake Telegram Bot API for end-to-end tests: a real aiohttp server PTB talks to over HTTP,
plus drivers that let a test act as Telegram users.

    fake = FakeTelegram()
    await fake.start()
    app = ApplicationBuilder().token(fake.token).base_url(fake.base_url)
          .base_file_url(fake.base_file_url).build()
    alice = fake.user(1001, first_name="Alice")
    await alice.send("/start")
    assert alice.last.text == "..."
"""

from .markup import MarkupError, parse_html
from .models import Fault, SentMessage, StoredFile, UploadedFile
from .server import ApiError, FakeTelegram
from .users import FakeChat, FakeUser

__all__ = [
    "ApiError",
    "FakeChat",
    "FakeTelegram",
    "FakeUser",
    "Fault",
    "MarkupError",
    "SentMessage",
    "StoredFile",
    "UploadedFile",
    "parse_html",
]
