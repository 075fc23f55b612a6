"""What every notifier use case is given: sessions, the Graph API, keys, rules and the pacer.

Built once in `bootstrap.build_app` (tests build their own); handlers take it as `deps`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_kit.crypto import SecretBox
from bancone_kit.messaging.retry import RetryPolicy
from bancone_notifier.adapters.graph import GraphApi
from bancone_notifier.adapters.graph_templates import TemplateApi
from bancone_notifier.consent_handlers import ComplianceRules
from bancone_notifier.domain.pacing import Pacer, Unpaced
from bancone_notifier.template_misses import TemplateMisses


@dataclass(frozen=True)
class NotifierDeps:
    sessions: async_sessionmaker[AsyncSession]
    """From `bancone_kit.db.session_factory`: objects stay usable after commit."""
    graph: GraphApi
    channel_box: SecretBox
    send_retry: RetryPolicy
    rules: ComplianceRules = field(default_factory=ComplianceRules)
    """WhatsApp's rules checked before a send (`consent_handlers`): the window, opt-outs."""
    templates: TemplateApi | None = None
    """The Graph API's message-template endpoints (`template_handlers`); None: templates are
    not managed, and with `rules.check_templates` every template send is refused as unknown."""
    pacer: Pacer = field(default_factory=Unpaced)
    """Every send attempt waits for its slot (`adapters/pacer.py`; docs/pacing.md)."""
    number_backoff_seconds: float = 1.0
    """How long a number holds after 130429 without a Retry-After."""
    pair_backoff_seconds: float = 6.0
    """How long a pair holds after 131056 without a Retry-After."""
    pacing_tier_per_second: float = 80.0
    """The tier of a number without its own (`pacing_numbers.tier_per_second`): the setting."""
    template_misses: TemplateMisses = field(default_factory=TemplateMisses)
    """Templates Meta did not know at the last sync on miss (`template_misses`)."""
