"""How the outside reaches the catalog: HTTP routes (and, later, Kafka subscribers)."""
