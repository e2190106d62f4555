"""Use cases: each runs in the caller's one transaction, applies the rules of bot.domain, runs the
queries of db and queues, as outbox rows, every message the use case causes. They take the time
(``at``) from the caller, which read the clock once where the work came in."""
