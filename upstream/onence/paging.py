"""1NCE paging: ``page``/``pageSize`` in, totals in ``X-Total-*`` headers (v1 events: body)."""

from collections.abc import Callable, Iterator
from typing import Any

import requests

from upstream.onence.models import Page


def _header_int(response: requests.Response, name: str) -> int | None:
    value = response.headers.get(name)
    return int(value) if value and value.strip().isdigit() else None


def page_from(
    body: Any, response: requests.Response, *, parse: Callable, page: int, page_size: int
) -> Page:
    """A ``Page`` from a list answer and its headers, or from v1's ``{"events", "totalPages",
    "totalEvents"}`` body."""
    if isinstance(body, dict):
        items = body.get("events") or []
        total_pages, total = body.get("totalPages"), body.get("totalEvents")
    else:
        items = body
        total_pages = _header_int(response, "X-Total-Pages")
        total = _header_int(response, "X-Total-Count")
    return Page(
        items=[parse(item) for item in items],
        page=page,
        page_size=page_size,
        total_count=total,
        total_pages=total_pages,
    )


def walk_pages(fetch_page: Callable[..., Page]) -> Iterator[Page]:
    """Every page from 1 on: ``fetch_page(page=n)`` until the last (or an empty) page."""
    page = 1
    while True:
        current = fetch_page(page=page)
        yield current
        if not current.items or not current.has_next:
            return
        page += 1
