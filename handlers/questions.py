"""Putting one sign-up question to a volunteer, with the keyboard that answers it."""

from __future__ import annotations

from telegram import Message, ReplyKeyboardRemove

from bot import keyboards, texts
from bot.context import MusterContext
from bot.domain.signup import OPTIONS, Step
from bot.domain.volunteers import Volunteer


async def ask(message: Message, context: MusterContext, volunteer: Volunteer, step: Step) -> None:
    """Put ``step``'s question, with the keyboard that answers it."""
    prompt = texts.step_prompt(step)
    if step is Step.NAME:
        first_name = message.chat.first_name
        markup = keyboards.use_name(first_name) if first_name else ReplyKeyboardRemove()
        await message.reply_text(prompt, reply_markup=markup)
    elif step is Step.LOCATION:
        await message.reply_text(prompt, reply_markup=keyboards.share_location())
    elif step in OPTIONS:
        await message.reply_text(
            prompt, reply_markup=keyboards.choices(step, volunteer.choices(step))
        )
    else:
        await message.reply_text(prompt, reply_markup=keyboards.share_phone())
