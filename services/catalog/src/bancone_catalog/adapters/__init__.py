"""Everything the catalog does with the outside: its database tables and repositories."""
