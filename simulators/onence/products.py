"""1NCE's product catalogue as the simulator sells it (``GET /v1/products``)."""

from decimal import Decimal

TOPUP_PRODUCT_ID = 2001
EXTENSION_PRODUCT_ID = 2002

PRODUCTS = [
    {
        "id": 1001,
        "product": "1NCE IoT FlexSIM - Standard",
        "material": "1NCE FlexSIM",
        "package_size": 1,
        "minQuantity": 1,
        "maxQuantity": 1000,
        "maxQuantityPerCustomer": 100000,
        "min_contract_duration": 120,
        "one_time_charges": [{"name": "provisionCharge", "amount_net": 10, "currency": "EUR"}],
        "recurring_charges": [],
    },
    {
        "id": 1002,
        "product": "1NCE IoT FlexSIM - Industrial",
        "material": "1NCE FlexSIM Industrial",
        "package_size": 1,
        "minQuantity": 1,
        "maxQuantity": 1000,
        "maxQuantityPerCustomer": 100000,
        "min_contract_duration": 120,
        "one_time_charges": [{"name": "provisionCharge", "amount_net": 14, "currency": "EUR"}],
        "recurring_charges": [],
    },
    {
        "id": TOPUP_PRODUCT_ID,
        "product": "1NCE Top Up - 500 MB / 250 SMS",
        "material": "1NCE Top Up",
        "package_size": 1,
        "minQuantity": 1,
        "maxQuantity": 10000,
        "maxQuantityPerCustomer": 1000000,
        "min_contract_duration": 0,
        "one_time_charges": [{"name": "topupCharge", "amount_net": 10, "currency": "EUR"}],
        "recurring_charges": [],
    },
    {
        "id": EXTENSION_PRODUCT_ID,
        "product": "1NCE Lifetime Extension - 10 years",
        "material": "1NCE Extension",
        "package_size": 1,
        "minQuantity": 1,
        "maxQuantity": 10000,
        "maxQuantityPerCustomer": 1000000,
        "min_contract_duration": 120,
        "one_time_charges": [{"name": "extensionCharge", "amount_net": 10, "currency": "EUR"}],
        "recurring_charges": [],
    },
]

PRODUCTS_BY_ID = {product["id"]: product for product in PRODUCTS}

# Products a customer may order through POST /v1/orders (top-ups and extensions have their own).
ORDERABLE_PRODUCT_IDS = {1001, 1002}


def unit_price(product_id: int) -> Decimal:
    """Gross unit price (net plus 19 % VAT), as printed on the invoice."""
    net = sum(charge["amount_net"] for charge in PRODUCTS_BY_ID[product_id]["one_time_charges"])
    return (Decimal(net) * Decimal("1.19")).quantize(Decimal("0.01"))
