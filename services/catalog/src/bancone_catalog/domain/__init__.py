"""The catalog's business logic, pure: products, offers, FAQs, search and import rules."""
