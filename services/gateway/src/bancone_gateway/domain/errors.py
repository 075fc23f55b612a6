"""The gateway's failures: plain exceptions whose message is the detail an operator or Meta
reads. What each means over HTTP is said once, in `entrypoints/http.py` (`GATEWAY_PROBLEMS`)."""

from __future__ import annotations


class InvalidSignatureError(Exception):
    """The webhook's X-Hub-Signature-256 is missing, malformed or wrong."""


class MalformedWebhookError(Exception):
    """The webhook body is not JSON of Meta's shape, or its Content-Length is invalid."""


class PayloadTooLargeError(Exception):
    """The webhook body is over the configured limit."""


class VerificationRefusedError(Exception):
    """Meta's subscription handshake named a mode or verify token we do not know."""


class PublishUnavailableError(Exception):
    """Kafka did not acknowledge every event: 503 so Meta delivers the webhook again."""


class StorageUnavailableError(Exception):
    """The database did not answer: 503 so Meta delivers the webhook again."""


class WebhookOverloadedError(Exception):
    """More webhooks are waiting than the gateway takes in time: 503 at once, Meta retries."""


class WebhookAbandonedError(Exception):
    """The sender hung up before its body was read (it timed out waiting): nothing was
    stored; answered quietly instead of logged as an unhandled error per request, which under
    overload cost the gateway a tenth of its CPU."""


class TenantNotFoundError(Exception):
    pass


class TenantExistsError(Exception):
    pass


class ChannelNotFoundError(Exception):
    pass


class ChannelConflictError(Exception):
    """The phone number id belongs to another tenant, or changed under a concurrent write."""
