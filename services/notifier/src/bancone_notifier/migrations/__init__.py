"""The notifier's Alembic history; run it with `bancone-notifier migrate`."""
