"""The FleetOps envelope, applied once, here, to every JSON answer of the API.

Views return plain data; paginated lists return ``{"data", "pagination"}`` (see
``core.pagination``); the exception handler returns ``{"error"}``. A view that must answer
unwrapped (token endpoints, seed 003's legacy shapes) sets ``envelope = False``; its errors
are still enveloped.
"""

from datetime import UTC, datetime

from rest_framework.renderers import JSONRenderer

from core.exceptions import error_payload


def utc_timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def meta_for(request) -> dict:
    return {
        "timestamp": utc_timestamp(),
        "request_id": getattr(request, "request_id", None)
        or getattr(getattr(request, "_request", None), "request_id", None),
    }


class EnvelopeJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        response = renderer_context.get("response")
        view = renderer_context.get("view")
        if response is None or response.status_code == 204:
            return super().render(data, accepted_media_type, renderer_context)
        failed = response.exception or response.status_code >= 400
        if not failed and not getattr(view, "envelope", True):
            return super().render(data, accepted_media_type, renderer_context)
        return super().render(
            self.wrap(data, response, renderer_context.get("request")),
            accepted_media_type,
            renderer_context,
        )

    @staticmethod
    def wrap(data, response, request) -> dict:
        if response.exception or response.status_code >= 400:
            error = data.get("error") if isinstance(data, dict) else None
            if error is None:  # an error response not built by our handler
                error = error_payload("ERROR", str(data))
            return {"success": False, "error": error, "meta": meta_for(request)}
        if getattr(response, "paginated", False):
            return {"success": True, **data, "meta": meta_for(request)}
        return {"success": True, "data": data, "meta": meta_for(request)}
