import re
from importlib import import_module

from django.urls import include
from django.urls.resolvers import RegexPattern, RoutePattern, URLResolver
from rest_framework.routers import SimpleRouter


class FleetRouter(SimpleRouter):
    """A router whose routes match with or without a trailing slash (the seeds use none)."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


class AreaPattern(RoutePattern):
    """The empty route of an area's include that lets in only paths whose first segment is one
    of ``heads``. It reads as the empty route (``str()``, reversing, the schema's paths)."""

    def __init__(self, heads):
        super().__init__("", is_endpoint=False)
        self.heads = frozenset(heads)

    def match(self, path):
        if path.partition("/")[0] not in self.heads:
            return None
        return super().match(path)


def area(module: str) -> URLResolver:
    """``include(module)`` at the root of the API, entered only by paths whose first segment is
    one its patterns begin with.

    Django tries patterns in turn and an area that fails costs every pattern it holds: without
    this, a path of the last area paid for all the others'. An area with a pattern that does
    not begin with a literal segment is entered by every path."""
    urlconf, app_name, namespace = include(module)
    heads = {_first_segment(pattern.pattern) for pattern in import_module(module).urlpatterns}
    pattern = RoutePattern("", is_endpoint=False) if None in heads else AreaPattern(heads)
    return URLResolver(pattern, urlconf, app_name=app_name, namespace=namespace)


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
