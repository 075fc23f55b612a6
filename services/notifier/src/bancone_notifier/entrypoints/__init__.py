"""How the outside reaches the notifier: HTTP routes (health) and Kafka subscribers."""
