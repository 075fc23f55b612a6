"""The agent's business logic, pure: language, understanding, assistants, grounding."""

from bancone_agent.domain.assistant import (
    SILENT_KINDS,
    Assistant,
    ContentKind,
    KnowledgeHit,
    Product,
    ProductQuery,
    Reply,
    ShopTools,
    ToolError,
    Turn,
)
from bancone_agent.domain.grounding import check_reply, find_ungrounded_numbers
from bancone_agent.domain.language import choose_language, detect_language
from bancone_agent.domain.offline import OfflineAssistant
from bancone_agent.domain.understanding import (
    Budget,
    Intent,
    SortOrder,
    Understanding,
    parse_budget,
    understand,
)

__all__ = [
    "SILENT_KINDS",
    "Assistant",
    "Budget",
    "ContentKind",
    "Intent",
    "KnowledgeHit",
    "OfflineAssistant",
    "Product",
    "ProductQuery",
    "Reply",
    "ShopTools",
    "SortOrder",
    "ToolError",
    "Turn",
    "Understanding",
    "check_reply",
    "choose_language",
    "detect_language",
    "find_ungrounded_numbers",
    "parse_budget",
    "understand",
]
