"""Template filters of the console: human units everywhere (``core.humanize``)."""

import re

from django import template

from core import humanize

register = template.Library()

register.filter("bytes", humanize.human_bytes)
register.filter("count", humanize.human_count)
register.filter("ago", humanize.human_ago)
register.filter("moment", humanize.human_datetime)
register.filter("duration", humanize.human_duration)


_BYTES_IN_TEXT = re.compile(r"\b(\d{4,}) bytes\b")


@register.filter
def human_text(text: str) -> str:
    """Byte counts inside a sentence a service wrote ("Topped up 524288000 bytes.") in MB/GB."""
    return _BYTES_IN_TEXT.sub(lambda m: humanize.human_bytes(int(m.group(1))), str(text))


@register.filter
def index(sequence, position):
    """``links|index:forloop.counter0``: the item at ``position``, or "" past the end."""
    try:
        return sequence[position]
    except (IndexError, TypeError, KeyError):
        return ""
