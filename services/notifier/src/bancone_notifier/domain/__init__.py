"""The notifier's business rules, pure: Graph API bodies, error classification, the lifecycle."""
