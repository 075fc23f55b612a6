"""How the outside reaches the notifier: HTTP routes (and, later, Kafka subscribers)."""
