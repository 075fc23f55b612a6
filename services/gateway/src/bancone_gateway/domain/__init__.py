"""The gateway's rules, pure: signatures, body limits, dedupe keys, tenants and channels."""
