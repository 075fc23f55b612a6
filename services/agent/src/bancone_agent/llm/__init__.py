"""The LLM assistant (issue 4): an OpenAI-compatible chat model calling the shop's tools,
behind a grounding guard, with the offline assistant as its fallback.

`build_assistant(settings)` is what the agent's bootstrap calls: the LLM answers a tenant's
turns when an endpoint is configured (`BANCONE_LLM_BASE_URL` / `llm_base_url`, or the
tenant's `AgentConfig.llm.base_url`), the offline assistant otherwise.
"""

from bancone_agent.domain import Assistant
from bancone_agent.llm.assistant import LlmAssistant
from bancone_agent.llm.client import LlmOptions, endpoint_for, estimate_cost
from bancone_agent.llm.guard import CatalogueNames, GroundingSources, check_grounding
from bancone_agent.llm.tools import TOOLS, offered_tools
from bancone_agent.settings import AgentSettings


def build_assistant(settings: AgentSettings) -> Assistant:
    """The agent's assistant: `LlmAssistant`, which answers offline for every tenant that
    has no LLM endpoint (so with no `llm_base_url` and no tenant override, it is the
    offline assistant with a run record)."""
    return LlmAssistant(LlmOptions.from_settings(settings))


__all__ = [
    "TOOLS",
    "CatalogueNames",
    "GroundingSources",
    "LlmAssistant",
    "LlmOptions",
    "build_assistant",
    "check_grounding",
    "endpoint_for",
    "estimate_cost",
    "offered_tools",
]
