"""A scripted OpenAI-compatible chat completions server: the LLM of tests and the eval.

Deterministic: rules over the last message pick a text or tool calls; failures (HTTP 500,
429, delays) and hold gates are scripted too. The real `openai` SDK talks to it over HTTP.
"""

from bancone_scripted_llm.app import create_app
from bancone_scripted_llm.script import Failure, ReplySpec, Rule, Script, ToolCallSpec, UsageSpec
from bancone_scripted_llm.testing import ScriptedLlm, running_scripted_llm

__all__ = [
    "Failure",
    "ReplySpec",
    "Rule",
    "Script",
    "ScriptedLlm",
    "ToolCallSpec",
    "UsageSpec",
    "create_app",
    "running_scripted_llm",
]
