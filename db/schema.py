"""The tables. Migrations in `db/migrations/versions` create exactly these.

Personal fields (name, username, phone, postcode, location, free text) live only where
`db.privacy.erase_volunteer` knows to clear them.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Time,
    UniqueConstraint,
    false,
    func,
    true,
)

from db.types import UTCDateTime

# Named constraints so that migrations can refer to them on both engines.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

volunteers = Table(
    "volunteers",
    metadata,
    Column("id", Integer, primary_key=True),
    # Null once the volunteer has asked to be forgotten: nothing can reach them any more.
    Column("telegram_id", BigInteger, nullable=True, unique=True),
    Column("username", String(64), nullable=True),
    Column("name", String(64), nullable=True),
    Column("postcode", String(8), nullable=True),
    Column("latitude", Float, nullable=True),
    Column("longitude", Float, nullable=True),
    # How latitude and longitude were found (bot.domain.places.PlaceSource): a shared location is
    # exact, a typed postcode is placed at its sector's centre (approximate).
    Column("location_source", String(12), nullable=True),
    Column("phone", String(32), nullable=True),
    # signing_up -> active -> forgotten
    Column("status", String(16), nullable=False),
    # The question we are waiting on, so sign-up and profile edits survive restarts.
    Column("step", String(32), nullable=True),
    Column("editing", Boolean, nullable=False, default=False),
    Column("start_payload", String(64), nullable=True),
    Column("paused", Boolean, nullable=False, default=False),
    Column("paused_until", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("signed_up_at", UTCDateTime, nullable=True),
    Column("forgotten_at", UTCDateTime, nullable=True),
    # Set when Telegram says they blocked the bot (403): kept out of every later call.
    Column("unreachable_at", UTCDateTime, nullable=True),
    # Said yes to their name appearing on /leaderboard; off unless they choose it.
    Column("on_leaderboard", Boolean, nullable=False, default=False, server_default=false()),
    # The last time they answered, came or opened the bot (see bot.domain.retention).
    Column("last_contact_at", UTCDateTime, nullable=True),
    # Told their details go in 14 days unless they tap Keep.
    Column("retention_warned_at", UTCDateTime, nullable=True),
    # The privacy notice version they were last asked to agree to again, so it is asked once.
    Column("notice_asked", String(16), nullable=True),
)
Index("ix_volunteers_username_lower", volunteers.c.username)
# When someone was last in touch (bot.domain.retention): their last contact, else when they
# signed up or started to.
LAST_CONTACT = func.coalesce(
    volunteers.c.last_contact_at, volunteers.c.signed_up_at, volunteers.c.created_at
)
# The daily retention sweep reads through it only those quiet for months (db.retention.people).
Index("ix_volunteers_last_contact", LAST_CONTACT)
# A call's "within N km" reads a latitude band of volunteers through it (db.callouts).
Index("ix_volunteers_place", volunteers.c.latitude, volunteers.c.longitude)

volunteer_availability = Table(
    "volunteer_availability",
    metadata,
    Column(
        "volunteer_id",
        Integer,
        ForeignKey("volunteers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("slot", String(16), primary_key=True),
)

volunteer_activities = Table(
    "volunteer_activities",
    metadata,
    Column(
        "volunteer_id",
        Integer,
        ForeignKey("volunteers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("activity", String(24), primary_key=True),
)

consents = Table(
    "consents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "volunteer_id",
        Integer,
        ForeignKey("volunteers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # bot.domain.volunteers.Purpose; each choice is a new row, the latest per purpose counts.
    Column("purpose", String(32), nullable=False),
    Column("choice", Boolean, nullable=False, default=True, server_default=true()),
    Column("notice_version", String(16), nullable=False),
    Column("given_at", UTCDateTime, nullable=False),
    Column("withdrawn_at", UTCDateTime, nullable=True),
)

roles = Table(
    "roles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "volunteer_id",
        Integer,
        ForeignKey("volunteers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("role", String(16), nullable=False),
    # '' means every area; a real value keeps the unique constraint meaningful on both engines,
    # where NULLs would never count as duplicates.
    Column("area", String(64), nullable=False, default=""),
    Column("granted_by", BigInteger, nullable=True),
    Column("granted_at", UTCDateTime, nullable=False),
    UniqueConstraint("volunteer_id", "role", "area", name="uq_roles_volunteer_role_area"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("actor_telegram_id", BigInteger, nullable=True),
    Column("action", String(32), nullable=False),
    Column(
        "target_volunteer_id",
        Integer,
        ForeignKey("volunteers.id", ondelete="SET NULL"),
        nullable=True,
    ),
    # Never personal data: ids, role names, areas, counts.
    Column("detail", JSON, nullable=False, default=dict),
)

# Seats, wards and divisions the campaign points volunteers at (issue 11): /targets lists them,
# /nearest and polling day weigh their priority and helpers wanted against distance.
targets = Table(
    "targets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(80), nullable=False, unique=True),
    # seat, ward or division (bot.domain.targets)
    Column("kind", String(12), nullable=False),
    # 1 is the most wanted.
    Column("priority", Integer, nullable=False),
    # One line shown to volunteers: why this place matters.
    Column("why", String(140), nullable=False),
    Column("postcode", String(8), nullable=True),
    # Its centre; the postcode's place when it was given as a postcode (approximate).
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("location_source", String(12), nullable=False),
    # Helpers wanted on each campaign day, if the coordinator said.
    Column("helpers_wanted", Integer, nullable=True),
    Column("created_by", BigInteger, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    # The share link payload (t.me/<bot>?start=e-<code>): random, so links cannot be guessed.
    Column("code", String(16), nullable=False, unique=True),
    Column("kind", String(24), nullable=False),
    Column("title", String(120), nullable=False),
    Column("area", String(64), nullable=False, index=True),
    Column("address", String(200), nullable=True),
    Column("latitude", Float, nullable=True),
    Column("longitude", Float, nullable=True),
    # active -> cancelled
    Column("status", String(12), nullable=False),
    Column("created_by", BigInteger, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("cancelled_at", UTCDateTime, nullable=True),
    # This event's own reminder times ("24h,2h"); null means the REMINDER_OFFSETS setting.
    Column("reminder_offsets", String(64), nullable=True),
    # Fewer expected helpers than this warns the organiser (as capacity does).
    Column("min_helpers", Integer, nullable=True),
    # The target this event works for, if any.
    Column(
        "target_id",
        Integer,
        ForeignKey("targets.id", ondelete="SET NULL"),
        nullable=True,
        index=True,
    ),
    # A committee room's manager (an organiser of its area); null: its area's organisers.
    Column(
        "manager_id",
        Integer,
        ForeignKey("volunteers.id", ondelete="SET NULL"),
        nullable=True,
    ),
)

shifts = Table(
    "shifts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("starts_at", UTCDateTime, nullable=False, index=True),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("note", String(200), nullable=True),
    # active -> cancelled
    Column("status", String(12), nullable=False),
    Column("cancelled_at", UTCDateTime, nullable=True),
)

rsvps = Table(
    "rsvps",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shift_id", Integer, ForeignKey("shifts.id", ondelete="CASCADE"), nullable=False),
    Column(
        "volunteer_id", Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False
    ),
    # going | waitlisted | maybe | cant
    Column("status", String(12), nullable=False),
    # Place in the waitlist queue: given under the shift's lock, so the order is the order of taps.
    Column("waitlist_seq", Integer, nullable=True),
    Column("callout_id", Integer, ForeignKey("callouts.id", ondelete="SET NULL"), nullable=True),
    Column("responded_at", UTCDateTime, nullable=False),
    # Free text from the volunteer; erased with them.
    Column("cancel_reason", String(200), nullable=True),
    # On the day: when they checked in, "running late", and whether they came without an RSVP.
    Column("checked_in_at", UTCDateTime, nullable=True),
    Column("running_late_at", UTCDateTime, nullable=True),
    Column("walk_in", Boolean, nullable=False, default=False, server_default=false()),
    # An organiser's correction from the roster: present | no_show (null: as checked in).
    Column("attendance", String(12), nullable=True),
    # Afterwards: doors knocked and anything to report (free text, erased with them).
    Column("doors", Integer, nullable=True),
    Column("debrief_note", String(500), nullable=True),
    UniqueConstraint("shift_id", "volunteer_id", name="uq_rsvps_shift_volunteer"),
)
# A shift's answers; with the status and who, a call's audience filters (who came to an area
# before, who answered) read the index alone.
Index("ix_rsvps_shift_status_volunteer", rsvps.c.shift_id, rsvps.c.status, rsvps.c.volunteer_id)
# Who came and their doors, for a period's shifts, read from the index alone (the leaderboard).
Index(
    "ix_rsvps_shift_attendance",
    rsvps.c.shift_id,
    rsvps.c.volunteer_id,
    rsvps.c.attendance,
    rsvps.c.checked_in_at,
    rsvps.c.doors,
)
# A volunteer's answers; with who came and their doors, the leaderboard counts its busiest
# volunteers (a thousand answers each) from the index alone, and with who said going, a staffing
# forecast their show rates (db.attendance.show_rates).
Index(
    "ix_rsvps_volunteer_came",
    rsvps.c.volunteer_id,
    rsvps.c.shift_id,
    rsvps.c.attendance,
    rsvps.c.checked_in_at,
    rsvps.c.doors,
    rsvps.c.status,
    rsvps.c.walk_in,
)
# New sign-ups in a period (/summary), counted from the index.
Index("ix_volunteers_signed_up_at", volunteers.c.signed_up_at)

# Polling day's knock-up rounds (issue 12): someone checked in at a committee room goes "Out on a
# round" and comes "Back" with the doors knocked. Each round's doors are added to the rsvp's doors
# when they come back, so every report and total that reads rsvps.doors counts rounds too.
rounds = Table(
    "rounds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("rsvp_id", Integer, ForeignKey("rsvps.id", ondelete="CASCADE"), nullable=False),
    Column("out_at", UTCDateTime, nullable=False),
    # Null while they are out.
    Column("back_at", UTCDateTime, nullable=True),
    Column("doors", Integer, nullable=True),
)
# A person's rounds in order, and whether one is open, from the index alone.
Index("ix_rounds_rsvp_out", rounds.c.rsvp_id, rounds.c.out_at)

# Each shift's figures (bot.domain.reports.ShiftFigures) added up from its rsvps, and each
# volunteer's shifts came to and doors over all time: kept by triggers on rsvps in the same
# statement as every write to it (db.totals), so reports read one row per shift, not its answers.
shift_totals = Table(
    "shift_totals",
    metadata,
    Column(
        "shift_id",
        Integer,
        ForeignKey("shifts.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("going", Integer, nullable=False, server_default="0"),
    Column("came", Integer, nullable=False, server_default="0"),
    Column("kept", Integer, nullable=False, server_default="0"),
    Column("walk_ins", Integer, nullable=False, server_default="0"),
    Column("late", Integer, nullable=False, server_default="0"),
    Column("doors", Integer, nullable=False, server_default="0"),
)

volunteer_totals = Table(
    "volunteer_totals",
    metadata,
    Column(
        "volunteer_id",
        Integer,
        ForeignKey("volunteers.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("shifts", Integer, nullable=False, server_default="0"),
    Column("doors", Integer, nullable=False, server_default="0"),
)
# The leaderboard walks volunteers from the most shifts and doors down (db.reports.leaderboard).
Index(
    "ix_volunteer_totals_rank",
    volunteer_totals.c.shifts,
    volunteer_totals.c.doors,
    volunteer_totals.c.volunteer_id,
)

callouts = Table(
    "callouts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    # The shifts this call asks people to, and who it is for (see bot.audience.Audience).
    Column("shift_ids", JSON, nullable=False),
    Column("audience", JSON, nullable=False),
    Column("message", String(500), nullable=True),
    Column("created_by", BigInteger, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("send_at", UTCDateTime, nullable=False, index=True),
    # Answers wanted by then: the chaser nudges before it, the close report goes at it.
    Column("rsvp_deadline", UTCDateTime, nullable=True),
    # scheduled -> sending -> done | cancelled
    Column("status", String(12), nullable=False),
    Column("recipients", Integer, nullable=True),
    # Where the organiser watches progress: their chat and the message that is edited.
    Column("progress_chat_id", BigInteger, nullable=True),
    Column("progress_message_id", Integer, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    # What every volunteer it reaches gets (text, reply_markup and whether it goes as a paid
    # broadcast), stored once when it is launched: its outbox rows carry only whom it is for.
    Column("payload", JSON, nullable=True),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    # The call and the volunteer a row is for, without foreign keys (migration 0019): checking
    # both for each row was 40-70% of queueing a call to 100,000 on PostgreSQL. Nothing they
    # would guard against happens: rows are queued from the call's and the volunteers' own rows
    # in the same transaction, and neither calls nor volunteers are ever deleted (erasure keeps
    # the volunteer's row, emptied, and db.outbox.forget_volunteer empties theirs here).
    Column("callout_id", Integer, nullable=True),
    Column("volunteer_id", Integer, nullable=True),
    # Null once delivered or given up on and the volunteer forgotten.
    Column("chat_id", BigInteger, nullable=True),
    # What the message is for: callout, event_changed, shift_cancelled, ...
    Column("kind", String(24), nullable=False),
    # sendMessage arguments: text and reply_markup (as Telegram JSON).
    Column("payload", JSON, nullable=False),
    # pending -> sending -> sent | unreachable | failed
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("claimed_at", UTCDateTime, nullable=True),
    Column("sent_at", UTCDateTime, nullable=True),
    # Telegram's id for the delivered message, so RSVP taps can edit it in place.
    Column("message_id", BigInteger, nullable=True),
    # The error's class name only: descriptions can quote message text.
    Column("last_error", String(64), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("callout_id", "volunteer_id", name="uq_outbox_callout_volunteer"),
)
Index("ix_outbox_due", outbox.c.status, outbox.c.next_attempt_at)
# A call's rows by status; with whom, "didn't answer an earlier call" reads the index alone.
Index(
    "ix_outbox_callout_status_volunteer",
    outbox.c.callout_id,
    outbox.c.status,
    outbox.c.volunteer_id,
)
# Every tap on a delivered call finds its call by the message it was on.
Index("ix_outbox_chat_message", outbox.c.chat_id, outbox.c.message_id)
# A volunteer's messages: the calls they got (the "didn't answer an earlier call" filter, typed
# answers) and erasure.
Index("ix_outbox_volunteer_id", outbox.c.volunteer_id)

# RSVP cards sent as direct answers (an event opened from its link, a card or a line from
# /myshifts), so that they are edited when the answer or the shift changes (bot.services.cards).
# Cards delivered by the outbox (shift calls, chasers, reminders) are found from its rows.
cards = Table(
    "cards",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "volunteer_id", Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False
    ),
    Column("chat_id", BigInteger, nullable=False),
    Column("message_id", BigInteger, nullable=False),
    # event | myshift (bot.services.cards.CardKind)
    Column("kind", String(16), nullable=False),
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    Column("shift_ids", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("chat_id", "message_id", name="uq_cards_chat_message"),
)
Index("ix_cards_volunteer_event", cards.c.volunteer_id, cards.c.event_id)

# Lifts to a shift (bot.domain.lifts): a volunteer going to it who can drive others (their seats)
# or needs a lift. "Neither" is no row. Personal data: erased with them, and gone a day after the
# shift ends (bot.domain.retention.LIFTS_KEPT).
lifts = Table(
    "lifts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shift_id", Integer, ForeignKey("shifts.id", ondelete="CASCADE"), nullable=False),
    Column(
        "volunteer_id",
        Integer,
        ForeignKey("volunteers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # driver | rider
    Column("role", String(8), nullable=False),
    # A driver's seats for others.
    Column("seats", Integer, nullable=True),
    # Riders are served in the order they asked.
    Column("asked_at", UTCDateTime, nullable=False),
    UniqueConstraint("shift_id", "volunteer_id", name="uq_lifts_shift_volunteer"),
)

# A driver suggested to a rider for a shift: suggested -> agreed | declined (kept, so the pair is
# never suggested again). Released (someone stopped going, or changed their answer): deleted.
lift_matches = Table(
    "lift_matches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "shift_id", Integer, ForeignKey("shifts.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column(
        "driver_id",
        Integer,
        ForeignKey("volunteers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column(
        "rider_id",
        Integer,
        ForeignKey("volunteers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("status", String(12), nullable=False),
    Column("driver_agreed_at", UTCDateTime, nullable=True),
    Column("rider_agreed_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("shift_id", "driver_id", "rider_id", name="uq_lift_matches_shift_pair"),
)

# Every piece of scheduled work (reminders, chasers, check-in prompts, debriefs, reports) is a row
# with a due time. Running one claims it, queues its messages in the outbox and marks it done in
# one transaction, so a crash or restart neither loses it nor runs it twice.
scheduled_work = Table(
    "scheduled_work",
    metadata,
    Column("id", Integer, primary_key=True),
    # What it is and what it is about: e.g. "reminder" for a shift, "chaser" for a call.
    Column("kind", String(24), nullable=False),
    Column("shift_id", Integer, ForeignKey("shifts.id", ondelete="CASCADE"), nullable=True),
    Column("callout_id", Integer, ForeignKey("callouts.id", ondelete="CASCADE"), nullable=True),
    # Tells apart works of one kind on one subject: the reminder offset, the digest's day.
    Column("detail", String(32), nullable=False, default="", server_default=""),
    Column("due_at", UTCDateTime, nullable=False),
    # pending -> done | skipped | dropped
    Column("status", String(12), nullable=False),
    Column("done_at", UTCDateTime, nullable=True),
    UniqueConstraint(
        "kind", "shift_id", "callout_id", "detail", name="uq_scheduled_work_kind_subject"
    ),
)
Index("ix_scheduled_work_due", scheduled_work.c.status, scheduled_work.c.due_at)

# What a person is in the middle of (a draft event, an edit waiting for its typed answer, a
# reason being typed), so that it survives a restart: bot.userdata.UserData as JSON, one row per
# Telegram user who is in the middle of something, kept by bot.persistence.
user_state = Table(
    "user_state",
    metadata,
    Column("telegram_id", BigInteger, primary_key=True, autoincrement=False),
    Column("data", JSON, nullable=False),
)

# The question each open conversation (/newevent, /callout) is on, by conversation and person.
conversation_state = Table(
    "conversation_state",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("state", Integer, nullable=False),
)

# Exact postcode centres, for deployments that load a full postcode file (`python -m bot
# import-postcodes`); empty by default, when the packaged sector table places postcodes.
postcodes = Table(
    "postcodes",
    metadata,
    # Normalised, with one space: "SE15 4QR".
    Column("postcode", String(8), primary_key=True),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
)

# The data policy the bot runs with, one row (id 1): the privacy notice version it shows now (set
# from PRIVACY_NOTICE_VERSION at start-up) and the campaign's end an admin set with /retention.
data_policy = Table(
    "data_policy",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("notice_version", String(16), nullable=True),
    Column("campaign_ends_at", UTCDateTime, nullable=True),
)

# Polling days (issue 12): an election's date, polling hours (local) and the areas it covers.
# Committee-room events on that date in one of its areas belong to it.
elections = Table(
    "elections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(80), nullable=False),
    Column("day", Date, nullable=False, index=True),
    Column("opens", Time, nullable=False),
    Column("closes", Time, nullable=False),
    Column("created_by", BigInteger, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

election_areas = Table(
    "election_areas",
    metadata,
    Column(
        "election_id",
        Integer,
        ForeignKey("elections.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("area", String(64), primary_key=True),
)

# A volunteer's promise to take (part of) polling day off: political personal data, erased with
# them (db.privacy.erase).
pledges = Table(
    "pledges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "election_id", Integer, ForeignKey("elections.id", ondelete="CASCADE"), nullable=False
    ),
    Column(
        "volunteer_id",
        Integer,
        ForeignKey("volunteers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # The parts of the day (bot.domain.polling.Part values).
    Column("parts", JSON, nullable=False),
    # The election's area they were placed in when they pledged (nearest of its places), if any.
    Column("area", String(64), nullable=True),
    Column("pledged_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("election_id", "volunteer_id", name="uq_pledges_election_volunteer"),
)

# The committee rooms offered to someone who pledged, in the offer chain now running (a pledge
# or a countdown starts a new one): so "Another room" never offers the same room twice.
room_offers = Table(
    "room_offers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "election_id", Integer, ForeignKey("elections.id", ondelete="CASCADE"), nullable=False
    ),
    Column(
        "volunteer_id",
        Integer,
        ForeignKey("volunteers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    Column("offered_at", UTCDateTime, nullable=False),
    UniqueConstraint(
        "election_id", "volunteer_id", "event_id", name="uq_room_offers_election_volunteer_event"
    ),
    # An offer's id is on its buttons: never given again once a new chain deletes it, so an old
    # button cannot answer a newer offer (SQLite otherwise reuses the highest id freed).
    sqlite_autoincrement=True,
)

# Live polling-day boards: one message per row, in a private chat or a committee room's group,
# edited every few minutes (bot.services.board) until stopped, gone, or polls close. Kept here,
# not in memory, so a restart carries on editing the same message.
boards = Table(
    "boards",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "election_id", Integer, ForeignKey("elections.id", ondelete="CASCADE"), nullable=False
    ),
    Column("chat_id", BigInteger, nullable=False),
    Column("message_id", Integer, nullable=False),
    # Who started it; erased with them (and the board stops).
    Column(
        "started_by",
        Integer,
        ForeignKey("volunteers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # True: every room of the election (a coordinator's); False: the rooms they manage.
    Column("whole", Boolean, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("stopped_at", UTCDateTime, nullable=True),
    # Why it stopped: stop | closed | gone | replaced (bot.domain.board.Ended).
    Column("ended", String(12), nullable=True),
    # What it shows now (a hash of its text), so an edit that would change nothing is not sent.
    Column("shown", String(64), nullable=True),
    # The outbox row of its latest edit: a failed one means the message or the chat is gone.
    Column("last_edit_id", Integer, nullable=True),
    Index("ix_boards_chat_live", "chat_id", "stopped_at"),
    # Ids are on Stop buttons: never given again.
    sqlite_autoincrement=True,
)

# Surges (bot.services.surge): a room manager's urgent call for helpers at one committee room now,
# asked batch by batch until enough say yes, it is stopped, or nobody is left to ask.
surges = Table(
    "surges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "election_id", Integer, ForeignKey("elections.id", ondelete="CASCADE"), nullable=False
    ),
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    # The room's shift those who come are going to: the one running when they are wanted, or next.
    Column("shift_id", Integer, ForeignKey("shifts.id", ondelete="CASCADE"), nullable=False),
    # Who sent it, and the one message of theirs that shows the count (edited as answers come).
    Column(
        "manager_id", Integer, ForeignKey("volunteers.id", ondelete="SET NULL"), nullable=True
    ),
    Column("chat_id", BigInteger, nullable=True),
    Column("message_id", Integer, nullable=True),
    Column("wanted", Integer, nullable=False),
    # When helpers are wanted there ("now", or in half an hour).
    Column("needed_at", UTCDateTime, nullable=False),
    # open -> filled | stopped | exhausted (bot.domain.surge.SurgeStatus)
    Column("status", String(12), nullable=False),
    Column("batches", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
)

# Who a surge asked, once each, and what they said: personal (erased on /forget, in /mydata).
surge_asks = Table(
    "surge_asks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("surge_id", Integer, ForeignKey("surges.id", ondelete="CASCADE"), nullable=False),
    Column(
        "volunteer_id", Integer, ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False
    ),
    Column("batch", Integer, nullable=False),
    Column("km", Float, nullable=False),
    Column("asked_at", UTCDateTime, nullable=False),
    # Null until they answer: yes | cant | late (yes after it filled or stopped) | moved (took
    # the other room they were sent to).
    Column("answer", String(12), nullable=True),
    Column("answered_at", UTCDateTime, nullable=True),
    # The room still short a late yes was sent to instead, if any.
    Column(
        "redirect_event_id", Integer, ForeignKey("events.id", ondelete="SET NULL"), nullable=True
    ),
    UniqueConstraint("surge_id", "volunteer_id", name="uq_surge_asks_surge_volunteer"),
)
# The daily cap counts a volunteer's asks since local midnight.
Index("ix_surge_asks_volunteer_asked", surge_asks.c.volunteer_id, surge_asks.c.asked_at)
