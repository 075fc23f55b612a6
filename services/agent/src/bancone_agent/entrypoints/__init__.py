"""How the outside reaches the agent: HTTP routes (and, later, Kafka subscribers)."""
