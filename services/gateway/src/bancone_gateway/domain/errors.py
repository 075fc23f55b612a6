"""The gateway's failures, each with its HTTP meaning (mapped to problems by the kit)."""

from __future__ import annotations

from bancone_kit.http.errors import ProblemError


class InvalidSignatureError(ProblemError):
    status = 401
    title = "Invalid webhook signature"


class MalformedWebhookError(ProblemError):
    status = 400
    title = "Malformed webhook"


class PayloadTooLargeError(ProblemError):
    status = 413
    title = "Payload too large"


class PublishUnavailableError(ProblemError):
    """Kafka did not acknowledge every event: 503 so Meta delivers the webhook again."""

    status = 503
    title = "Events could not be published"


class StorageUnavailableError(ProblemError):
    """The database did not answer: 503 so Meta delivers the webhook again."""

    status = 503
    title = "Storage unavailable"


class TenantNotFoundError(ProblemError):
    status = 404
    title = "Tenant not found"


class TenantExistsError(ProblemError):
    status = 409
    title = "Tenant already exists"


class ChannelNotFoundError(ProblemError):
    status = 404
    title = "Channel not found"


class ChannelConflictError(ProblemError):
    status = 409
    title = "Channel conflict"
