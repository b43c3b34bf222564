from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.utils import dateformat, timezone

from briefs.markdown import markdown_escape
from briefs.meeting_script import cadence_words
from briefs.models import ActionItem, format_money
from briefs.timeline import Gap, zone_abbreviation

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return "–"
    return format_money(amount, currency)


@register.filter
def duration(value: timedelta | None) -> str:
    """18 h 5 min; 2 d 3 h; 12 min: as a person would say it."""
    if value is None:
        return "–"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


@register.filter
def intcomma_plain(value: int | None) -> str:
    """12,500: thousands separators without loading django.contrib.humanize."""
    return "–" if value is None else f"{value:,}"


@register.filter
def cadence(minutes: int) -> str:
    return cadence_words(minutes)


@register.filter
def gap_message(gap: Gap, zone: ZoneInfo) -> str:
    return gap.format(zone)


@register.filter
def action_status(item: ActionItem, today: date) -> str:
    return item.status(today)


@register.filter
def item(mapping: dict[Any, str], key: Any) -> str:
    """`mapping[key]`, or nothing: a text the page data computed per row."""
    return mapping.get(key, "")


@register.filter
def md(value: object) -> str:
    """Typed text for brief.md: inert in any Markdown renderer (briefs.markdown)."""
    return "" if value is None else markdown_escape(value)


@register.filter
def at(moment: datetime | None, format_string: str = "H:i") -> str:
    """14:05 PST: a time in the active zone, always naming the zone, because an executive
    reading "Due 09:47" cannot tell whose 09:47 it is."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{dateformat.format(local, format_string)} {zone_abbreviation(local)}"


@register.filter
def zone_name(zone: ZoneInfo | str) -> str:
    """America/Los_Angeles (PST): the zone's name with its abbreviation now."""
    zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    abbreviation = zone_abbreviation(timezone.localtime(timezone.now(), zone))
    return zone.key if abbreviation in {zone.key, ""} else f"{zone.key} ({abbreviation})"
