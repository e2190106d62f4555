"""Muster: a Telegram bot that gets campaign volunteers out of the door."""
