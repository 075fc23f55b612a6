"""How the outside reaches the ingest: HTTP routes (and, later, Kafka subscribers)."""
