"""Small helpers that turn values into safe, short display text (never markup)."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text

from ..domain.models import ContactType


def plain(value: object, style: str = "") -> Text:
    """Any user-supplied value as literal text: `Smith [bold]` shows as typed."""
    return Text("" if value is None else str(value), style=style, no_wrap=True,
                overflow="ellipsis")


def number(value: int) -> str:
    return f"{value:,}"


def type_label(value: str | None) -> str:
    if not value:
        return "—"
    try:
        return ContactType(value).label
    except ValueError:
        return str(value)


def ago(moment: datetime | None, now: datetime) -> str:
    """A short relative time ("just now", "5 min ago", "3 h ago", "2 d ago", a date)."""
    if moment is None:
        return "never"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)} d ago"
    return moment.strftime("%Y-%m-%d")


def counts_line(counts: dict[str, int]) -> str:
    """'1,234 rows · Customer 300 · Supplier 120 · Ignore 15 · Not defined 799'."""
    total = sum(counts.values())
    parts = [f"{number(total)} row{'s' if total != 1 else ''}"]
    for kind in (ContactType.CUSTOMER, ContactType.SUPPLIER, ContactType.IGNORE,
                 ContactType.NOT_DEFINED):
        parts.append(f"{kind.label} {number(counts.get(kind.value, 0))}")
    return " · ".join(parts)
