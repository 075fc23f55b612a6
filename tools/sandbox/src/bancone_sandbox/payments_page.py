"""The sandbox's pay page and receipt: plain HTML, every shop-supplied value escaped."""

from __future__ import annotations

from html import escape

from bancone_sandbox.payments_state import PaymentLinkRecord

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}"
    ".amount{font-size:2rem;font-weight:600}button{font-size:1.1rem;padding:.6rem 2rem}"
    ".note{color:#666;font-size:.85rem}"
)


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def pay_page(link: PaymentLinkRecord) -> str:
    amount = f"{escape(str(link.amount))} {escape(link.currency)}"
    header = (
        f"<h1>Sandbox payment</h1><p>{escape(link.description)}</p>"
        f"<p class='amount' data-amount>{amount}</p>"
    )
    if link.status == "paid":
        return _page("Already paid", header + "<p data-status>Already paid. Thank you!</p>")
    form = (
        f"<form method='post' action='/payments/pay/{escape(link.id)}'>"
        "<button type='submit' data-pay>Pay</button></form>"
        "<p class='note'>Bancone sandbox: no card, no money moves.</p>"
    )
    return _page(f"Pay {amount}", header + form)


def paid_page(link: PaymentLinkRecord) -> str:
    return _page(
        "Paid",
        f"<h1>Paid</h1><p class='amount'>{escape(str(link.amount))} {escape(link.currency)}"
        f"</p><p data-status>Thank you! {escape(link.description)}</p>",
    )
