"""1NCE products (cached an hour) and orders placed through FleetOps."""

from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from accounts.audit import record_audit
from core.context import Context
from core.errors import InvalidInput
from sims.models import Order, OrderStatus
from sims.services.clients import onence_client_for, onence_credentials_for
from upstream.onence.models import OrderedProduct, Product

PRODUCTS_CACHE_KEY = "sims:products:{}"

# 1NCE's catalogue also lists what is bought through other calls, and its order endpoint
# refuses those: top-up packages (our top-up endpoints) and SIM lifetime extensions. The
# catalogue says which is which only in ``material`` ("1NCE Top Up", "1NCE Extension").
_NOT_ORDERABLE_MATERIALS = ("topup", "extension")


def is_orderable(product: Product) -> bool:
    """Whether ``product`` can be placed as an order (``POST /api/v1/orders``)."""
    material = "".join(ch for ch in product.material.lower() if ch.isalpha())
    return not any(word in material for word in _NOT_ORDERABLE_MATERIALS)


def list_products(*, organization) -> list[Product]:
    credentials = onence_credentials_for(organization=organization)
    key = PRODUCTS_CACHE_KEY.format(credentials.client_id)
    products = cache.get(key)
    if products is None:
        products = onence_client_for(organization=organization).list_products()
        cache.set(key, products, timeout=settings.PRODUCTS_CACHE_SECONDS)
    return products


def price_order(*, products: list[Product], items: list[dict]) -> tuple[Decimal, str, list[dict]]:
    """Validate ``[{"product_id", "quantity"}]`` against the catalogue; the total of one-time
    charges and the priced lines. Raises ``InvalidInput`` naming the bad item."""
    catalogue = {p.id: p for p in products}
    total, currency, lines = Decimal("0"), "", []
    for index, item in enumerate(items):
        product = catalogue.get(item["product_id"])
        if product is None:
            raise InvalidInput({"items": {index: {"product_id": ["Unknown product."]}}})
        if not is_orderable(product):
            raise InvalidInput(
                {
                    "items": {
                        index: {
                            "product_id": [
                                f"{product.name} cannot be ordered: 1NCE sells top-ups "
                                "and lifetime extensions through their own calls."
                            ]
                        }
                    }
                }
            )
        quantity = item["quantity"]
        low, high = product.min_quantity or 1, product.max_quantity
        if quantity < low or (high is not None and quantity > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise InvalidInput({"items": {index: {"quantity": [f"Must be {bound}."]}}})
        unit = sum((c.amount_net or Decimal("0")) for c in product.one_time_charges)
        currency = currency or next((c.currency for c in product.one_time_charges), "")
        line_total = unit * quantity
        total += line_total
        lines.append(
            {
                "product_id": product.id,
                "name": product.name,
                "quantity": quantity,
                "unit_price": str(unit),
                "total": str(line_total),
            }
        )
    return total, currency, lines


def place_order(*, organization, items: list[dict], context: Context) -> Order:
    """Validate and price an order, place it with 1NCE, then store and audit it."""
    total, currency, lines = price_order(
        products=list_products(organization=organization), items=items
    )
    receipt = onence_client_for(organization=organization).create_order(
        products=[OrderedProduct(product_id=i["product_id"], quantity=i["quantity"]) for i in items]
    )
    with transaction.atomic():
        order = Order.objects.create(
            organization=organization,
            created_by=context.actor,
            order_number=str(receipt.order_number or ""),
            order_type="SIM order",
            status=OrderStatus.PLACED,
            items=lines,
            total_amount=total,
            currency=currency,
        )
        record_audit(
            operation="CREATE",
            resource_type="order",
            resource_id=order.order_number or order.pk,
            organization=organization,
            context=context,
            request_body={"items": items},
            response_status=201,
        )
    return order


def refresh_order(*, order: Order) -> Order:
    """Fetch the order's upstream status (kept when 1NCE has no number for it yet)."""
    if not order.order_number:
        return order
    upstream = onence_client_for(organization=order.organization).get_order(int(order.order_number))
    order.upstream_status = upstream.order_status
    order.save(update_fields=["upstream_status", "updated_at"])
    return order
