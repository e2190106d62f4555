"""Schema, migrations and queries. SQLite by default; the same code runs on PostgreSQL."""
