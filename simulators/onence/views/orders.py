"""Orders (list, detail, create; pageSize max 10) and products (order management v1)."""

from simulators.onence import clock, render, services
from simulators.onence.endpoint import endpoint
from simulators.onence.http import ApiError, empty_response, json_response, paginate, read_json
from simulators.onence.models import OnenceOrder
from simulators.onence.products import ORDERABLE_PRODUCT_IDS, PRODUCTS, PRODUCTS_BY_ID
from simulators.onence.views.common import base_url

_SORT_FIELDS = {"order_number": "id", "order_status": "status", "order_date": "order_date"}


@endpoint("GET", "POST")
def order_list(request, account):
    """``GET /v1/orders`` (``sort`` on order_number, order_status, order_date); ``POST`` orders."""
    if request.method == "POST":
        return _create(request, account)
    ordering = []
    for key in filter(None, request.GET.get("sort", "order_number").split(",")):
        name = key.strip().lstrip("-")
        if name not in _SORT_FIELDS:
            raise ApiError(400, f"Unsupported sort key: {key}")
        ordering.append(("-" if key.strip().startswith("-") else "") + _SORT_FIELDS[name])
    queryset = OnenceOrder.objects.filter(account=account).order_by(*ordering, "id")
    orders, page = paginate(request, queryset, size_param="pageSize", default=10, maximum=10)
    base = base_url(request)
    return json_response([render.order(order, base) for order in orders], headers=page.headers)


@endpoint("GET")
def order_detail(request, account, order_number):
    """``GET /v1/orders/{order_number}``."""
    order = OnenceOrder.objects.filter(
        account=account, pk=order_number - OnenceOrder.ORDER_NUMBER_BASE
    ).first()
    if order is None:
        raise ApiError(404, f"Order {order_number} not found.")
    return json_response(render.order(order, base_url(request)))


@endpoint("GET")
def product_list(request, account):
    """``GET /v1/products``."""
    return json_response(PRODUCTS)


def _create(request, account):
    """``POST /v1/orders`` (``Additional_Order``): 201, ``Location`` names the new order."""
    body = read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("products"), list):
        raise ApiError(400, "products is required.")
    products = []
    for item in body["products"]:
        product_id = item.get("productId") if isinstance(item, dict) else None
        quantity = item.get("quantity") if isinstance(item, dict) else None
        if product_id not in ORDERABLE_PRODUCT_IDS:
            raise ApiError(400, f"Product {product_id} cannot be ordered.")
        product = PRODUCTS_BY_ID[product_id]
        if not isinstance(quantity, int) or not (
            product["minQuantity"] <= quantity <= product["maxQuantity"]
        ):
            raise ApiError(
                400,
                f"quantity must be between {product['minQuantity']} and {product['maxQuantity']}.",
            )
        products.append((product_id, quantity))
    if not products:
        raise ApiError(400, "products must not be empty.")
    address = body.get("delivery_address") or {}
    if not isinstance(address, dict):
        raise ApiError(400, "delivery_address must be an object.")
    order = services.create_order(
        account=account,
        products=products,
        delivery_address=address,
        customer_reference=str(body.get("customer_reference", "")),
        at=clock.now(),
    )
    location = f"{base_url(request)}/v1/orders/{order.order_number}"
    return empty_response(201, {"Location": location})
