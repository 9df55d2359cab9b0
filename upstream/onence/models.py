"""What the 1NCE client takes and returns: plain dataclasses in FleetOps units.

Data volumes are whole bytes (``*_bytes``), SMS volumes are message counts, timestamps are
aware UTC datetimes, money is ``Decimal``. v1 and v2 answers map into the same classes; the
``from_api`` constructors live in ``upstream.onence.parsers``.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Generic, TypeVar

from django.conf import settings

T = TypeVar("T")


@dataclass(frozen=True)
class OnenceCredentials:
    """One 1NCE API account. ``repr`` never shows the secret."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)

    @classmethod
    def from_settings(cls) -> "OnenceCredentials":
        """The default account: ``ONENCE_BASE_URL``, ``ONENCE_CLIENT_ID``/``_SECRET``."""
        return cls(
            base_url=settings.ONENCE_BASE_URL,
            client_id=settings.ONENCE_CLIENT_ID,
            client_secret=settings.ONENCE_CLIENT_SECRET,
        )


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a paged 1NCE list. Totals are ``None`` when 1NCE did not send them."""

    items: list[T]
    page: int
    page_size: int
    total_count: int | None = None
    total_pages: int | None = None

    @property
    def has_next(self) -> bool:
        if self.total_pages is not None:
            return self.page < self.total_pages
        return len(self.items) >= self.page_size


@dataclass(frozen=True)
class QuotaLevel:
    """How much of a SIM's quota is left: ``level`` 0 more than 20%, 1 less, 2 none."""

    level: int | None
    description: str
    threshold_reached_at: datetime | None = None
    exceeded_at: datetime | None = None


@dataclass(frozen=True)
class Sim:
    iccid: str  # 19 digits, the form 1NCE paths use
    iccid_with_luhn: str
    imsi: str
    msisdn: str
    status: str  # "Enabled" / "Disabled"
    label: str = ""
    imsi_2: str = ""
    current_imsi: str = ""
    imei: str = ""
    imei_lock: bool = False
    ip_address: str = ""
    activation_date: datetime | None = None
    current_quota_bytes: int | None = None
    quota_status: QuotaLevel | None = None
    current_quota_sms: int | None = None
    quota_status_sms: QuotaLevel | None = None


@dataclass(frozen=True)
class SimUpdate:
    """A change to one SIM; ``None`` leaves a field as it is."""

    iccid: str
    status: str | None = None  # "Enabled" / "Disabled"
    label: str | None = None
    imei_lock: bool | None = None


@dataclass(frozen=True)
class Location:
    last_updated: datetime | None = None
    operator_id: str = ""
    operator_name: str = ""
    country_name: str = ""
    country_iso: str = ""
    mcc: str = ""
    mnc: str = ""
    sgsn_number: str = ""
    vlr_number: str = ""
    msc: str = ""


@dataclass(frozen=True)
class PdpContext:
    pdp_context_id: str
    created: datetime | None = None
    apn: str = ""
    ue_ip_address: str = ""
    rat_type: str = ""
    mcc: str = ""
    mnc: str = ""
    imsi: str = ""
    region: str = ""


@dataclass(frozen=True)
class SimStatus:
    """Live connectivity: ``status`` is ONLINE, ATTACHED, OFFLINE or BLOCKED."""

    status: str
    services: list[str] = field(default_factory=list)
    data_traffic_limit_reached: bool | None = None
    location: Location | None = None
    pdp_contexts: list[PdpContext] = field(default_factory=list)


@dataclass(frozen=True)
class CellGlobalId:
    cid: int | None
    lac: int | None
    mcc: str
    mnc: str


@dataclass(frozen=True)
class ConnectivityInfo:
    """The network's view of a SIM (``/v1/.../connectivity_info``)."""

    requested_at: datetime | None
    replied_at: datetime | None
    current_location_retrieved: bool | None = None
    location_age_minutes: int | None = None
    cell: CellGlobalId | None = None
    ussd_success: bool | None = None
    ussd_error: str = ""


@dataclass(frozen=True)
class SimEvent:
    timestamp: datetime | None
    event_type: str
    id: int | None = None
    event_type_id: int | None = None
    severity: str = ""
    source: str = ""
    alert: bool = False
    description: str = ""
    iccid: str = ""
    imsi: str = ""
    imei: str = ""
    country: str = ""
    operator: str = ""


@dataclass(frozen=True)
class DailyUsage:
    """One day of usage. SMS: MO is 1NCE's ``volume_rx``, MT its ``volume_tx``."""

    date: date
    data_bytes: int
    data_rx_bytes: int
    data_tx_bytes: int
    sms: int
    sms_mo: int
    sms_mt: int


@dataclass(frozen=True)
class DataQuota:
    remaining_bytes: int  # may be negative
    total_bytes: int | None
    last_added_bytes: int | None = None
    accumulated_total_bytes: int | None = None
    threshold_percentage: int | None = None
    threshold_bytes: int | None = None
    status: str = ""  # ACTIVE, EXHAUSTED, EXPIRED (v2)
    expiry_date: datetime | None = None
    created_at: datetime | None = None
    peak_throughput_bps: int | None = None


@dataclass(frozen=True)
class SmsQuota:
    remaining: int  # messages; may be negative
    total: int | None
    last_added: int | None = None
    accumulated_total: int | None = None
    threshold_percentage: int | None = None
    threshold: int | None = None
    status: str = ""
    expiry_date: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class OrderReceipt:
    """What 1NCE says after a write that creates an order (top-up, order)."""

    order_number: int | None
    location: str = ""


@dataclass(frozen=True)
class Limit:
    """A self-set limit: ``amount`` in ``unit`` ("bytes" for data, "sms" for messages)."""

    id: int
    amount: int | None
    unit: str


@dataclass(frozen=True)
class GlobalLimits:
    data: Limit | None
    sms_mt: Limit | None
    sms_mo: Limit | None


@dataclass(frozen=True)
class SmsMessage:
    id: int
    iccid: str = ""
    msisdn: str = ""
    imsi: str = ""
    sms_type: str = ""  # MT (to the device) or MO (from it)
    status: str = ""  # PENDING, DELIVERED, FAILED, EXPIRED
    status_id: int | None = None
    payload: str = ""
    udh: str = ""
    dcs: int | None = None
    source_address: str = ""
    source_address_type: int | None = None
    retry_count: int | None = None
    submitted_at: datetime | None = None
    delivered_at: datetime | None = None
    expires_at: datetime | None = None
    final_at: datetime | None = None
    retry_at: datetime | None = None
    last_delivery_attempt_at: datetime | None = None


@dataclass(frozen=True)
class OrderedProduct:
    product_id: int
    quantity: int


@dataclass(frozen=True)
class DeliveryAddress:
    company: str = ""
    first_name: str = ""
    last_name: str = ""
    street: str = ""
    house_number: str = ""
    address_line2: str = ""
    zip: str = ""
    city: str = ""
    country: str = ""  # ISO 3166-1 alpha-2
    phone: str = ""
    salutation: str = ""  # "1" Mr, "2" Ms


@dataclass(frozen=True)
class Order:
    order_number: int
    order_type: str = ""
    order_status: str = ""
    order_date: datetime | None = None
    invoice_number: str = ""
    invoice_amount: Decimal | None = None
    currency: str = ""
    iccids: list[str] = field(default_factory=list)
    products: list[OrderedProduct] = field(default_factory=list)


@dataclass(frozen=True)
class Charge:
    name: str
    amount_net: Decimal | None
    currency: str


@dataclass(frozen=True)
class Product:
    id: int
    name: str
    material: str = ""
    package_size: int | None = None
    min_quantity: int | None = None
    max_quantity: int | None = None
    max_quantity_per_customer: int | None = None
    min_contract_months: int | None = None
    one_time_charges: list[Charge] = field(default_factory=list)
    recurring_charges: list[Charge] = field(default_factory=list)
