"""The rules and types of Muster, pure: no Telegram, no SQL, no clock, no other project imports.

Everything here is a plain function or a frozen value a test can call directly; the layers above
(db, services, handlers, schedules) apply these rules and never restate them.
"""
