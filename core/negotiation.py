"""Content negotiation with the common answer found without parsing.

DRF's negotiation parses the ``Accept`` header and ranks every renderer against it, per
request. A request that names no format and accepts anything (no ``Accept``, ``*/*``) or JSON
exactly gets what that ranking always gives it, the first renderer (the JSON envelope) as its
own media type; any other request takes DRF's path.
"""

from rest_framework.negotiation import DefaultContentNegotiation

_ANY_OR_JSON = frozenset({"*/*", "application/json"})


class FleetContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        first = renderers[0] if renderers else None
        if (
            first is not None
            and first.media_type == "application/json"
            and format_suffix is None
            and request.META.get("HTTP_ACCEPT", "*/*") in _ANY_OR_JSON
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
