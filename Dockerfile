# Muster in a container: `docker compose up -d` (see compose.yaml and README, "Running it on a
# server"). Data (the SQLite database, backups) lives in the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # .env and relative paths are looked for here (see README, "Settings").
    MUSTER_HOME=/data \
    DATABASE_URL=sqlite:////data/muster.db \
    # matplotlib (/chart) writes a font cache; the home folder may not be writable.
    MPLCONFIGDIR=/tmp/matplotlib

# A user of its own: the bot never runs as root.
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin muster \
    && mkdir /data && chown muster:muster /data

WORKDIR /app
# The locked runtime packages first, so that a code change does not reinstall them.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY db ./db
COPY handlers ./handlers
COPY schedules ./schedules
RUN pip install --no-deps .

USER muster
VOLUME ["/data"]

# Healthy: the database answers, migrations are current, the scheduler ran within three poll
# periods and Telegram answers getMe (see `muster check`).
HEALTHCHECK --interval=60s --timeout=30s --start-period=60s --retries=3 CMD ["muster", "check"]

# SIGTERM (docker stop) ends long polling cleanly: the update in hand is finished first.
STOPSIGNAL SIGTERM
CMD ["muster", "run"]
