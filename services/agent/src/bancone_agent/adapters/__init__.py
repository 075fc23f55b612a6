"""Everything that touches the outside: the database tables and the shop's HTTP tools."""
