"""Everything that touches the outside: the database tables and queries, the Graph API client."""
