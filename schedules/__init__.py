"""Jobs that run on their own, on PTB's JobQueue (APScheduler)."""
