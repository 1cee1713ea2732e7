"""The billing page's HTML: one self-contained document (inline styles, no scripts, no external
assets) with the balance, a form to add credit, and the recent events. Every value from the
database or the request is escaped."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from html import escape
from typing import Any
from urllib.parse import urlsplit

from comfyd.platform.billing.errors import InvalidAmount
from comfyd.platform.billing.ledger import MAX_CREDIT_MICROS, MICROS_PER_UNIT, OwnerKind
from comfyd.platform.billing.portal import Statement
from comfyd.platform.customers.events import Event

# The frontend's labels (`credits.eventTypes`); other types are shown as they are.
EVENT_LABELS = {
    "account_created": "Account Created",
    "agent_usage": "Agent Usage",
    "api_node_usage": "Partner Node Usage",
    "api_usage_completed": "API Usage",
    "credit_added": "Credits Added",
    "gpu_usage": "GPU Usage",
    "topup_completed": "Credits Added",
}

# The page runs nothing and loads nothing; its form may only post back to this server.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    # The URL carries the link's token: never send it on to another site.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}

STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 0; background: #f6f6f4; color: #1d1d1b; }
main { max-width: 46rem; margin: 2.5rem auto; padding: 0 1.25rem; }
section { background: #fff; border: 1px solid #deded8; border-radius: 10px; padding: 1.25rem 1.5rem; margin-bottom: 1rem; }
h1 { font-size: 1.35rem; margin: 0 0 1rem; } h2 { font-size: 1.05rem; margin: 0 0 .75rem; }
.balance { font-size: 2.25rem; font-weight: 600; margin: 0; } .muted { color: #6b6b66; }
.notice { background: #e9f6ec; border-color: #b5dfc0; } .problem { background: #fbecea; border-color: #eab8b1; }
form { display: flex; gap: .5rem; align-items: center; } input[type=text] { font: inherit; padding: .4rem .6rem; width: 9rem; }
button { font: inherit; padding: .4rem 1rem; border-radius: 6px; border: 1px solid #1d1d1b; background: #1d1d1b; color: #fff; }
table { width: 100%; border-collapse: collapse; } td, th { text-align: left; padding: .35rem .25rem; border-top: 1px solid #eee; }
"""


@dataclass(frozen=True)
class PageView:
    """Everything one rendering of the page shows besides the statement."""

    statement: Statement
    token: str
    may_add_credit: bool
    amount_text: str = ""
    notice: str | None = None
    problem: str | None = None
    return_url: str | None = None


def dollars(amount_micros: int) -> str:
    """`12_340_000` as `$12.34`; negative balances keep their sign (`-$1.50`)."""
    sign = "-" if amount_micros < 0 else ""
    return f"{sign}${Decimal(abs(amount_micros)) / MICROS_PER_UNIT:,.2f}"


def parse_dollars(text: str) -> int:
    """A form's dollar amount (`10`, `10.5`, `$10.50`) in micros; raises `InvalidAmount` for
    anything else, fractions of a cent included."""
    cleaned = text.strip().removeprefix("$").replace(",", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise InvalidAmount(text, MAX_CREDIT_MICROS) from None
    if not amount.is_finite() or int(amount.as_tuple().exponent) < -2:
        raise InvalidAmount(text, MAX_CREDIT_MICROS)
    micros = int(amount * MICROS_PER_UNIT)
    if not 0 < micros <= MAX_CREDIT_MICROS:
        raise InvalidAmount(text, MAX_CREDIT_MICROS)
    return micros


def amount_text(amount_micros: str | None) -> str:
    """A checkout link's `amount_micros` as the form's prefilled dollars; nothing when unusable."""
    if not amount_micros or not amount_micros.isdigit():
        return ""
    micros = int(amount_micros)
    return f"{Decimal(micros) / MICROS_PER_UNIT:.2f}" if 0 < micros <= MAX_CREDIT_MICROS else ""


def safe_return_url(url: str | None) -> str | None:
    """Only an http(s) URL may become the page's "back" link (never `javascript:` and the like)."""
    if not url:
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def render(view: PageView) -> str:
    statement = view.statement
    whose = "Workspace" if statement.owner.kind == OwnerKind.WORKSPACE else "Your"
    sections = [
        _message(view.notice, "notice"),
        _message(view.problem, "problem"),
        f'<section><h1>{whose} credits</h1><p class="balance">{dollars(statement.balance.amount_micros)}</p>'
        f'<p class="muted">{escape(statement.balance.currency.upper())} balance</p></section>',
        _top_up_form(view) if view.may_add_credit else "",
        _events_table(statement.events),
        _back_link(view.return_url),
    ]
    return _document("Billing", "".join(sections))


def render_refusal(message: str) -> str:
    """The page shown instead of the billing page when a link is missing, bad or expired."""
    body = f'<section class="problem"><h1>Billing</h1><p>{escape(message)}</p></section>'
    return _document("Billing", body)


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · comfyd</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def _message(text: str | None, kind: str) -> str:
    return f'<section class="{kind}" role="status"><p>{escape(text)}</p></section>' if text else ""


def _top_up_form(view: PageView) -> str:
    return_field = (
        f'<input type="hidden" name="return_url" value="{escape(view.return_url)}">'
        if view.return_url
        else ""
    )
    return (
        '<section><h2>Add credits</h2><form method="post" action="/billing/credit">'
        f'<input type="hidden" name="token" value="{escape(view.token)}">{return_field}'
        '<label for="amount">Amount (USD)</label>'
        f'<input type="text" id="amount" name="amount" inputmode="decimal" required value="{escape(view.amount_text)}">'
        '<button type="submit">Add credits</button></form>'
        '<p class="muted">This server takes no payment: the credit is recorded as added by you.</p></section>'
    )


def _events_table(events: list[Event]) -> str:
    if not events:
        return '<section><h2>Recent activity</h2><p class="muted">Nothing yet.</p></section>'
    rows = "".join(
        f"<tr><td>{escape(event.created_at.strftime('%Y-%m-%d %H:%M UTC'))}</td>"
        f"<td>{escape(EVENT_LABELS.get(event.event_type, event.event_type))}</td>"
        f"<td>{escape(_details(event.event_type, event.params))}</td></tr>"
        for event in events
    )
    head = "<tr><th>When</th><th>Event</th><th>Details</th></tr>"
    return f"<section><h2>Recent activity</h2><table>{head}{rows}</table></section>"


def _details(event_type: str, params: dict[str, Any]) -> str:
    if event_type == "credit_added" and isinstance(params.get("amount_micros"), int):
        return "+" + dollars(params["amount_micros"])
    if event_type == "api_usage_completed":
        charge = params.get("charge_micro_usd")
        parts = [str(params.get("api_name", "")), str(params.get("model", ""))]
        if isinstance(charge, int):
            parts.append("-" + dollars(charge))
        return " · ".join(part for part in parts if part)
    return ", ".join(f"{key}: {value}" for key, value in params.items())


def _back_link(url: str | None) -> str:
    return f'<p><a href="{escape(url)}">Back to ComfyUI</a></p>' if url else ""
