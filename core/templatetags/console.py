"""Template filters of the console: human units everywhere (``core.humanize``)."""

from django import template

from core import humanize

register = template.Library()

register.filter("bytes", humanize.human_bytes)
register.filter("count", humanize.human_count)
register.filter("ago", humanize.human_ago)
register.filter("moment", humanize.human_datetime)
register.filter("duration", humanize.human_duration)


@register.filter
def index(sequence, position):
    """``links|index:forloop.counter0``: the item at ``position``, or "" past the end."""
    try:
        return sequence[position]
    except (IndexError, TypeError, KeyError):
        return ""
