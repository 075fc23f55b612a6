"""Bancone's command line: a WhatsApp customer in the terminal and the catalogue importer."""
