"""The 1NCE Management API client: typed methods in, dataclasses in FleetOps units out.

v1 retires at the end of 2026, so operations the v2 contract has (SIM list/get/update, status,
reset, quotas, SMS, events, single top-up) use ``/v2``; the rest (bulk update, usage,
connectivity info, limits, bulk and auto top-up, orders, products) use ``/v1``. ICCIDs may be
given in the 19- or 20-digit form. Every ``/sims`` call goes through the account's shared rate
limiter (``ONENCE_RATE_LIMIT_PER_SECOND``). Reads are retried; writes are not repeated after
an ambiguous failure (see ``upstream.http``). Failures raise ``upstream.exceptions`` errors.
"""

from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

import requests
from django.conf import settings

from upstream.exceptions import UpstreamError
from upstream.http import RetryPolicy, UpstreamTransport
from upstream.onence import parsers
from upstream.onence.auth import UPSTREAM, OnenceTokenAuth, account_key
from upstream.onence.formats import normalise_iccid
from upstream.onence.models import (
    ConnectivityInfo,
    DailyUsage,
    DataQuota,
    DeliveryAddress,
    GlobalLimits,
    Limit,
    OnenceCredentials,
    Order,
    OrderedProduct,
    OrderReceipt,
    Page,
    Product,
    Sim,
    SimEvent,
    SimStatus,
    SimUpdate,
    SmsMessage,
    SmsQuota,
)
from upstream.onence.paging import page_from, walk_pages
from upstream.ratelimit import RateLimiter

SIMS_PAGE_SIZE = 100  # the contract's maximum
EVENTS_PAGE_SIZE = 1000
SMS_PAGE_SIZE = 100
ORDERS_PAGE_SIZE = 10
LIMIT_SERVICES = ("data", "smsMO", "smsMT")


def _order_number(location: str) -> int | None:
    """``.../v1/orders/1234`` -> 1234."""
    tail = location.rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


class OnenceClient:
    """A client for one 1NCE account; one pooled session, safe to share between threads."""

    def __init__(
        self,
        credentials: OnenceCredentials,
        *,
        rate_per_second: float | None = None,
        retry_policy: RetryPolicy | None = None,
    ):
        self.credentials = credentials
        self.transport = UpstreamTransport(
            upstream=UPSTREAM,
            display_name="1NCE",
            base_url=credentials.base_url,
            retry_policy=retry_policy,
        )
        self.auth = OnenceTokenAuth(credentials=credentials, transport=self.transport)
        self.rate_limiter = RateLimiter(
            key=f"upstream:1nce:rate:{account_key(credentials)}",
            rate_per_second=rate_per_second or settings.ONENCE_RATE_LIMIT_PER_SECOND,
            upstream=UPSTREAM,
        )

    def __repr__(self) -> str:
        return f"OnenceClient(base_url={self.credentials.base_url!r}, client_id=...)"

    def close(self) -> None:
        self.transport.close()

    # --- plumbing -------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, operation: str, **kwargs: Any) -> requests.Response:
        if path.startswith(("/v1/sims", "/v2/sims")):
            kwargs["rate_limiter"] = self.rate_limiter
        return self.transport.request(method, path, operation=operation, auth=self.auth, **kwargs)

    def _json(self, response: requests.Response, operation: str) -> Any:
        try:
            # Decimal, not float: volumes must convert to bytes exactly.
            return response.json(parse_float=Decimal)
        except ValueError:
            raise UpstreamError(
                f"1NCE {operation}: the answer was not valid JSON.",
                upstream="1NCE",
                url=self.transport.base_url,
                status_code=response.status_code,
            ) from None

    def _get(self, path: str, *, operation: str, params: dict | None = None):
        response = self._call("GET", path, operation=operation, params=params)
        return self._json(response, operation), response

    def _page(self, path, *, operation, parse, page, page_size, size_param="pageSize") -> Page:
        body, response = self._get(
            path, operation=operation, params={"page": page, size_param: page_size}
        )
        return page_from(body, response, parse=parse, page=page, page_size=page_size)

    # --- SIMs -----------------------------------------------------------------------------

    def get_sims_page(self, *, page: int = 1, page_size: int = SIMS_PAGE_SIZE) -> Page[Sim]:
        """One page of the account's SIMs."""
        return self._page(
            "/v2/sims",
            operation="list_sims",
            parse=parsers.parse_sim,
            page=page,
            page_size=page_size,
        )

    def iter_sim_pages(self, *, page_size: int = SIMS_PAGE_SIZE) -> Iterator[Page[Sim]]:
        """Every page of SIMs, in order, following ``X-Total-Pages``."""
        return walk_pages(partial(self.get_sims_page, page_size=page_size))

    def list_sims(self, *, page_size: int = SIMS_PAGE_SIZE) -> list[Sim]:
        """All SIMs of the account (every page)."""
        return [sim for page in self.iter_sim_pages(page_size=page_size) for sim in page.items]

    def get_sim(self, iccid: str) -> Sim:
        body, _ = self._get(f"/v2/sims/{normalise_iccid(iccid)}", operation="get_sim")
        return parsers.parse_sim(body)

    def update_sim(
        self,
        iccid: str,
        *,
        status: str | None = None,
        label: str | None = None,
        imei_lock: bool | None = None,
    ) -> None:
        """Change one SIM (status ``Enabled``/``Disabled``, label, IMEI lock); 1NCE applies
        it asynchronously."""
        iccid = normalise_iccid(iccid)
        changes = {"status": status, "label": label, "imei_lock": imei_lock}
        body = {"iccid": iccid, **{k: v for k, v in changes.items() if v is not None}}
        self._call("PUT", f"/v2/sims/{iccid}", operation="update_sim", json=body)

    def update_sims(self, updates: Iterable[SimUpdate]) -> None:
        """Change many SIMs in one call (queued upstream). v1 requires a status for each:
        leaving it out would reset the SIM to the contract's default, ``Enabled``."""
        body = []
        for update in updates:
            if update.status is None:
                raise ValueError("A bulk SIM update needs a status for every SIM.")
            item = {"iccid": normalise_iccid(update.iccid), "status": update.status}
            if update.label is not None:
                item["label"] = update.label
            if update.imei_lock is not None:
                item["imei_lock"] = update.imei_lock
            body.append(item)
        self._call("POST", "/v1/sims", operation="update_sims", json=body)

    def get_sim_status(self, iccid: str) -> SimStatus:
        """Live connectivity status, location and PDP contexts."""
        body, _ = self._get(f"/v2/sims/{normalise_iccid(iccid)}/status", operation="sim_status")
        return parsers.parse_sim_status(body)

    def get_connectivity_info(
        self, iccid: str, *, subscriber: bool = True, ussd: bool = False
    ) -> ConnectivityInfo:
        body, _ = self._get(
            f"/v1/sims/{normalise_iccid(iccid)}/connectivity_info",
            operation="connectivity_info",
            params={"subscriber": str(subscriber).lower(), "ussd": str(ussd).lower()},
        )
        return parsers.parse_connectivity_info(body)

    def reset_connectivity(self, iccid: str) -> None:
        """Queue a connectivity reset (1NCE answers 201 once queued)."""
        self._call(
            "POST", f"/v2/sims/{normalise_iccid(iccid)}/reset", operation="reset_connectivity"
        )

    def get_events_page(
        self, iccid: str, *, page: int = 1, page_size: int = EVENTS_PAGE_SIZE
    ) -> Page[SimEvent]:
        return self._page(
            f"/v2/sims/{normalise_iccid(iccid)}/events",
            operation="sim_events",
            parse=parsers.parse_event,
            page=page,
            page_size=page_size,
        )

    def iter_events(self, iccid: str, *, page_size: int = EVENTS_PAGE_SIZE) -> Iterator[SimEvent]:
        """Every event of a SIM, page after page."""
        for page in walk_pages(partial(self.get_events_page, iccid, page_size=page_size)):
            yield from page.items

    def get_usage(self, iccid: str, *, start: date, end: date) -> list[DailyUsage]:
        """Daily usage from ``start`` to ``end`` (inclusive; 1NCE keeps 6 months)."""
        body, _ = self._get(
            f"/v1/sims/{normalise_iccid(iccid)}/usage",
            operation="sim_usage",
            params={"start_dt": start.isoformat(), "end_dt": end.isoformat()},
        )
        return parsers.parse_usage(body)

    # --- quotas and top-ups ---------------------------------------------------------------

    def get_data_quota(self, iccid: str) -> DataQuota:
        body, _ = self._get(f"/v2/sims/{normalise_iccid(iccid)}/quota/data", operation="data_quota")
        return parsers.parse_data_quota(body)

    def get_sms_quota(self, iccid: str) -> SmsQuota:
        body, _ = self._get(f"/v2/sims/{normalise_iccid(iccid)}/quota/sms", operation="sms_quota")
        return parsers.parse_sms_quota(body)

    def top_up(self, iccid: str, *, payment_method: str | None = None) -> OrderReceipt:
        """Order the standard top-up for one SIM; the receipt names the order 1NCE created."""
        params = {"payment_method": payment_method} if payment_method else None
        response = self._call(
            "POST", f"/v2/sims/{normalise_iccid(iccid)}/topup", operation="top_up", params=params
        )
        return self._receipt(response)

    def top_up_many(
        self, iccids: Iterable[str], *, payment_method: str | None = None
    ) -> OrderReceipt:
        """Order top-ups for many SIMs in one order."""
        params = {"payment_method": payment_method} if payment_method else None
        response = self._call(
            "POST",
            "/v1/sims/topup",
            operation="top_up_many",
            params=params,
            json=[normalise_iccid(iccid) for iccid in iccids],
        )
        return self._receipt(response)

    def set_auto_top_up(self, iccids: Iterable[str], *, enabled: bool) -> None:
        self._call(
            "POST",
            "/v1/sims/autoTopup",
            operation="auto_top_up",
            json={"enabled": enabled, "iccids": [normalise_iccid(iccid) for iccid in iccids]},
        )

    @staticmethod
    def _receipt(response: requests.Response) -> OrderReceipt:
        location = response.headers.get("Location", "")
        return OrderReceipt(order_number=_order_number(location), location=location)

    # --- limits ---------------------------------------------------------------------------

    def get_limits(self) -> GlobalLimits:
        """The account-wide self-set limits (data in bytes, SMS in messages)."""
        body, _ = self._get("/v1/sims/limits", operation="limits")
        return parsers.parse_limits(body)

    def set_limits(
        self,
        *,
        data_limit_id: int | None = None,
        sms_mt_limit_id: int | None = None,
        sms_mo_limit_id: int | None = None,
    ) -> None:
        """Choose the account-wide limits by id (see ``list_limit_options``)."""
        ids = {
            "dataLimitId": data_limit_id,
            "smsMtLimitId": sms_mt_limit_id,
            "smsMoLimitId": sms_mo_limit_id,
        }
        body = {key: value for key, value in ids.items() if value is not None}
        self._call("POST", "/v1/sims/limits", operation="set_limits", json=body)

    def list_limit_options(self, service: str) -> list[Limit]:
        """The limits one may choose for ``service``: data, smsMO or smsMT."""
        if service not in LIMIT_SERVICES:
            raise ValueError(f"service must be one of {', '.join(LIMIT_SERVICES)}")
        body, _ = self._get(f"/v1/sims/{service}/limits", operation="limit_options")
        return parsers.parse_limit_options(body)

    # --- SMS ------------------------------------------------------------------------------

    def get_sms_page(
        self, iccid: str, *, page: int = 1, per_page: int = SMS_PAGE_SIZE
    ) -> Page[SmsMessage]:
        return self._page(
            f"/v2/sims/{normalise_iccid(iccid)}/sms",
            operation="list_sms",
            parse=parsers.parse_sms,
            page=page,
            page_size=per_page,
            size_param="per_page",
        )

    def list_sms(self, iccid: str, *, per_page: int = SMS_PAGE_SIZE) -> list[SmsMessage]:
        """Every SMS sent to (MT) and from (MO) a SIM."""
        pages = walk_pages(partial(self.get_sms_page, iccid, per_page=per_page))
        return [sms for page in pages for sms in page.items]

    def get_sms(self, iccid: str, sms_id: int) -> SmsMessage:
        body, _ = self._get(
            f"/v2/sims/{normalise_iccid(iccid)}/sms/{int(sms_id)}", operation="get_sms"
        )
        return parsers.parse_sms(body)

    def send_sms(
        self,
        iccid: str,
        *,
        payload: str,
        source_address: str | None = None,
        udh: str | None = None,
        dcs: int | None = None,
        source_address_type: int | None = None,
    ) -> int | None:
        """Send an MT SMS; returns the id 1NCE gave it."""
        fields = {
            "source_address": source_address,
            "udh": udh,
            "dcs": dcs,
            "source_address_type": {"id": source_address_type} if source_address_type else None,
        }
        body = {"payload": payload, **{k: v for k, v in fields.items() if v is not None}}
        response = self._call(
            "POST", f"/v2/sims/{normalise_iccid(iccid)}/sms", operation="send_sms", json=body
        )
        if not response.content:
            return None
        sms_id = self._json(response, "send_sms").get("id")
        return int(sms_id) if sms_id is not None and str(sms_id).isdigit() else None

    def cancel_sms(self, iccid: str, sms_id: int) -> None:
        """Cancel an MT SMS that is buffered and not yet delivered."""
        self._call(
            "DELETE",
            f"/v2/sims/{normalise_iccid(iccid)}/sms/{int(sms_id)}",
            operation="cancel_sms",
        )

    # --- orders and products --------------------------------------------------------------

    def get_orders_page(self, *, page: int = 1, page_size: int = ORDERS_PAGE_SIZE) -> Page[Order]:
        return self._page(
            "/v1/orders",
            operation="list_orders",
            parse=parsers.parse_order,
            page=page,
            page_size=page_size,
        )

    def list_orders(self) -> list[Order]:
        """Every order of the account (10 per page, the contract's maximum)."""
        return [order for page in walk_pages(self.get_orders_page) for order in page.items]

    def get_order(self, order_number: int) -> Order:
        body, _ = self._get(f"/v1/orders/{int(order_number)}", operation="get_order")
        return parsers.parse_order(body)

    def create_order(
        self,
        *,
        products: Iterable[OrderedProduct],
        delivery_address: DeliveryAddress | None = None,
        customer_reference: str | None = None,
    ) -> OrderReceipt:
        """Place an order for products (SIMs); the receipt carries the order number when 1NCE
        names it (``Location`` or the answer's ``order_number``)."""
        body: dict[str, Any] = {
            "products": [{"productId": p.product_id, "quantity": p.quantity} for p in products]
        }
        if delivery_address is not None:
            body["delivery_address"] = {
                key: value for key, value in vars(delivery_address).items() if value
            }
        if customer_reference:
            body["customer_reference"] = customer_reference
        response = self._call("POST", "/v1/orders", operation="create_order", json=body)
        receipt = self._receipt(response)
        if receipt.order_number is None and response.content:
            answer = self._json(response, "create_order")
            number = answer.get("order_number") if isinstance(answer, dict) else None
            if number is not None:
                return OrderReceipt(order_number=int(number), location=receipt.location)
        return receipt

    def list_products(self) -> list[Product]:
        body, _ = self._get("/v1/products", operation="list_products")
        return [parsers.parse_product(item) for item in body]
