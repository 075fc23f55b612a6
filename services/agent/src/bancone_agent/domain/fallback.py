"""When the model fails or cannot be grounded: the offline assistant answers instead.

It composes from what the tools returned this turn (the `recorded` tools) when there is any,
else from the shop's live tools. If its answer cites nothing where facts were needed (or it
did not understand the question the model was asked), nothing grounded can be said: the
customer gets the holding message and the conversation goes to a person.
"""

from __future__ import annotations

from bancone_agent.domain.assistant import Reply, ShopTools, ToolError, Turn
from bancone_agent.domain.offline import OfflineAssistant
from bancone_agent.domain.understanding import PRODUCT_INTENTS, Intent

FACT_INTENTS = PRODUCT_INTENTS | {Intent.FAQ, Intent.OFFERS, Intent.UNKNOWN}
"""Intents whose answer needs a fact; an answer to one that cites none is not grounded."""


def grounded_answer(reply: Reply) -> bool:
    """Whether an offline reply says something true and useful without escalating."""
    if reply.wants_human:
        return False
    if reply.intent in FACT_INTENTS:
        return bool(reply.products_cited or reply.knowledge_cited)
    return True


async def offline_answer(
    offline: OfflineAssistant, turn: Turn, live: ShopTools, recorded: ShopTools | None
) -> tuple[Reply | None, bool]:
    """The offline assistant's reply from the recorded results, else from the live tools,
    and whether the live tools failed; None when neither gives a grounded answer."""
    sources: list[ShopTools] = [] if recorded is None else [recorded]
    sources.append(live)
    tools_failed = False
    for tools in sources:
        try:
            reply = await offline.respond(turn, tools)
        except ToolError:
            tools_failed = True
            continue
        if reply is not None and grounded_answer(reply):
            return reply, tools_failed
        if reply is not None and reply.wants_human and reply.intent is not Intent.HUMAN_REQUEST:
            tools_failed = True  # the offline assistant met a ToolError and said so
    return None, tools_failed
