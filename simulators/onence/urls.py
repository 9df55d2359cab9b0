"""The 1NCE Management API's paths, as 1NCE's OpenAPI files spell them.

v2 where the v2 document has the operation; v1 for the rest (usage, connectivity_info,
bulk update, bulk and auto top-up, limits, extension, orders, products) and for the v1
single-SIM update the README calls out.
"""

from django.urls import path, re_path

from simulators.onence.views import auth, orders, sims, sms, volume

ICCID = "<str:iccid>"

urlpatterns = [
    path("oauth/token", auth.token, name="onence-token"),
    # v2
    path("v2/sims", sims.sim_list, name="onence-v2-sims"),
    path(f"v2/sims/{ICCID}", sims.sim_detail, name="onence-v2-sim"),
    path(f"v2/sims/{ICCID}/status", sims.sim_status, name="onence-v2-status"),
    path(f"v2/sims/{ICCID}/reset", sims.sim_reset, name="onence-v2-reset"),
    path(f"v2/sims/{ICCID}/events", sims.sim_events, name="onence-v2-events"),
    path(
        f"v2/sims/{ICCID}/quota/data",
        sims.sim_quota,
        {"service": "data"},
        name="onence-v2-quota-data",
    ),
    path(
        f"v2/sims/{ICCID}/quota/sms", sims.sim_quota, {"service": "sms"}, name="onence-v2-quota-sms"
    ),
    path(f"v2/sims/{ICCID}/sms", sms.sms_list, name="onence-v2-sms"),
    path(f"v2/sims/{ICCID}/sms/<int:sms_id>", sms.sms_detail, name="onence-v2-sms-detail"),
    path(f"v2/sims/{ICCID}/topup", volume.topup_one, name="onence-v2-topup"),
    # v1 (fixed paths before the {iccid} ones they would otherwise match)
    path("v1/sims", sims.sim_bulk_update, name="onence-v1-sims"),
    path("v1/sims/topup", volume.topup_many, name="onence-v1-topup"),
    path("v1/sims/autoTopup", volume.auto_topup, name="onence-v1-auto-topup"),
    path("v1/sims/extension", volume.extension, name="onence-v1-extension"),
    path("v1/sims/limits", volume.global_limits, name="onence-v1-limits"),
    re_path(
        r"^v1/sims/(?P<service>data|smsMO|smsMT)/limits$",
        volume.service_limits,
        name="onence-v1-service-limits",
    ),
    path(f"v1/sims/{ICCID}", sims.sim_update_v1, name="onence-v1-sim"),
    path(
        f"v1/sims/{ICCID}/connectivity_info",
        sims.sim_connectivity_info,
        name="onence-v1-connectivity-info",
    ),
    path(f"v1/sims/{ICCID}/usage", sims.sim_usage, name="onence-v1-usage"),
    path("v1/orders", orders.order_list, name="onence-v1-orders"),
    path("v1/orders/<int:order_number>", orders.order_detail, name="onence-v1-order"),
    path("v1/products", orders.product_list, name="onence-v1-products"),
]
