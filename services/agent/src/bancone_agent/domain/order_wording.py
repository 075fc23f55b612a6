"""How the desk writes a cart: its rows and total as the catalog quoted them, the questions
it asks, the time a reservation ends in the shop's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bancone_agent.domain.cart import Question, Quote
from bancone_agent.domain.order_phrases import OrderPhrases
from bancone_agent.domain.phrases import Phrasebook


@dataclass(frozen=True)
class CartWording:
    book: Phrasebook
    phrases: OrderPhrases
    timezone: str = "Europe/Rome"

    def local_time(self, at: datetime) -> str:
        """`at` in the shop's time zone (its opening hours'), "06/12 18:30"."""
        try:
            zone: tzinfo = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = UTC
        return at.astimezone(zone).strftime("%d/%m %H:%M")

    def question(self, question: Question) -> str:
        say = self.phrases
        return {
            Question.METHOD: say.ask_method,
            Question.NAME: say.ask_name,
            Question.ADDRESS: say.ask_address,
        }[question]

    def cart_text(self, quote: Quote) -> str:
        return "\n".join((self.phrases.cart_header, self.lines_text(quote)))

    def lines_text(self, quote: Quote, *, width: int | None = None) -> str:
        """One row per line and the total; with `width`, names cut to it and no unit price."""
        book, say = self.book, self.phrases
        rows = []
        for q in quote.lines:
            if width is not None:
                label = q.label if len(q.label) <= width else q.label[: width - 1] + "…"
                amount = q.line_total if q.problem is None else None
                said = book.price(amount, q.currency) if amount is not None else "—"
                rows.append(f"• {q.quantity} x {label} = {said}")
                continue
            if q.problem is None and q.unit_price is not None and q.line_total is not None:
                rows.append(
                    say.line.format(
                        quantity=q.quantity,
                        label=q.label,
                        unit=book.price(q.unit_price, q.currency),
                        total=book.price(q.line_total, q.currency),
                    )
                )
                continue
            problem = say.problems.get(q.problem or "", q.problem or "")
            rows.append(
                f"• {q.quantity} x *{q.label}* — {problem.format(available=q.available or 0)}"
            )
        rows.append(say.total.format(total=book.price(quote.total, quote.currency)))
        return "\n".join(rows)
