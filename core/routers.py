import re
from importlib import import_module

from django.urls import include, path, re_path
from django.urls.resolvers import RegexPattern, RoutePattern
from rest_framework.routers import SimpleRouter


class FleetRouter(SimpleRouter):
    """A router whose routes match with or without a trailing slash (the seeds use none)."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


def area(module: str):
    """``include(module)`` at the root of the API, tried only for paths whose first segment is
    one its patterns begin with (a zero-width look-ahead, so nothing of the path is consumed).

    Django tries patterns in turn and an area that fails costs every pattern it holds: without
    this, a path of the last area paid for all the others'. An area with a pattern that does
    not begin with a literal segment is included as it is."""
    patterns = import_module(module).urlpatterns
    heads = {_first_segment(pattern.pattern) for pattern in patterns}
    if not heads or None in heads:
        return path("", include(module))
    alternatives = "|".join(re.escape(head) for head in sorted(heads))
    return re_path(rf"^(?=(?:{alternatives})(?:/|$))", include(module))


_LITERAL_HEAD = re.compile(r"\^?([A-Za-z0-9_-]+)(?:/|\$|$)")


def _first_segment(pattern) -> str | None:
    """The literal first path segment every path the pattern matches begins with, if any."""
    if isinstance(pattern, RoutePattern):
        text = pattern._route
    elif isinstance(pattern, RegexPattern):
        text = pattern._regex
    else:
        return None
    match = _LITERAL_HEAD.match(text)
    return match.group(1) if match else None
