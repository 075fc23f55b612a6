"""Everything of the gateway that touches the outside: its database and Kafka."""
