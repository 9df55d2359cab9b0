"""Cutting the reference cycles a finished request leaves, so reference counting frees it.

Django, DRF and django-csp tie each request's objects into cycles, and an object in a cycle,
with everything it holds, is freed only by the cyclic collector: a request's whole graph,
its answer's rows included, waits for the next collection, which then frees tens of
thousands of objects at once (45-100 ms every few hundred SIM list pages: about a tenth of
their CPU, more in a worker whose memory is no longer reused while it is warm, and the p99).

The cycles, all cut once the answer is rendered (``ReleaseRequestMiddleware``):

- the view's handlers are its own bound methods (``view.get = view.list``) and it holds the
  request and the response, whose contexts hold it again (``request.parser_context``,
  ``response.renderer_context``, which also holds the response itself);
- ``request.auser`` (Django's authentication middleware) and ``request.csp_nonce``
  (django-csp) are partials over the request;
- a serializer and its bound fields hold each other (``serializer.fields``, ``field.parent``;
  a list serializer and its ``child``), and so do a serializer and its data
  (``serializer._data``, ``ReturnList.serializer``): the serializers a view made
  (``TenantScopedMixin.get_serializer``) and those of the answer's data are emptied. A
  serializer that outlives requests (a read plan's prototype) is neither.

A view or a serializer is done once its answer is rendered, so its attributes go; the
contexts keep what does not lead back. ``core.tests.test_cycles`` holds every read family's
request out of cycles. Still in cycles: a refused request (its exception's traceback holds the
frames), a console page (Django's lazy ``request.user``), a serializer a view makes itself to
validate a query, Django's prefetch caches.
"""

from rest_framework.fields import Field
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList


def release(request, response) -> None:
    """Cut the cycles of ``request``, answered with the rendered ``response``."""
    request.__dict__.pop("auser", None)
    request.__dict__.pop("csp_nonce", None)
    context = getattr(response, "renderer_context", None)
    if not context:
        return
    view = context.pop("view", None)
    context.pop("response", None)
    api_request = context.pop("request", None)
    if view is not None:
        for serializer in view.__dict__.get("made_serializers", ()):
            _forget(serializer)
        view.__dict__.clear()
    parser_context = getattr(api_request, "parser_context", None)
    if parser_context:
        parser_context.pop("view", None)
        parser_context.pop("request", None)
    data = getattr(response, "data", None)
    for value in (data, *data.values()) if isinstance(data, dict) else (data,):
        if type(value) in (ReturnDict, ReturnList) and value.serializer is not None:
            _forget(value.serializer)


def _forget(field: Field) -> None:
    """Empty ``field`` and every field bound under it (a serializer's fields, a list
    serializer's child, a many-related field's child relation)."""
    attributes = field.__dict__
    below = list(attributes["fields"].values()) if "fields" in attributes else []
    below += (attributes[name] for name in ("child", "child_relation") if name in attributes)
    attributes.clear()
    for bound in below:
        _forget(bound)
