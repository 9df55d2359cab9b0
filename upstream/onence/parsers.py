"""1NCE JSON (v1 and v2 shapes) to ``upstream.onence.models``, converting units on the way.

Responses are decoded with ``parse_float=Decimal`` so volumes arrive here exact.
"""

from typing import Any

from upstream.onence.formats import (
    iccid_with_luhn,
    mb_to_bytes,
    normalise_iccid,
    parse_date,
    parse_timestamp,
    to_count,
    to_decimal,
)
from upstream.onence.models import (
    CellGlobalId,
    Charge,
    ConnectivityInfo,
    DailyUsage,
    DataQuota,
    GlobalLimits,
    Limit,
    Location,
    Order,
    OrderedProduct,
    PdpContext,
    Product,
    QuotaLevel,
    Sim,
    SimEvent,
    SimStatus,
    SmsMessage,
    SmsQuota,
)

Json = dict[str, Any]


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _int(value: Any) -> int | None:
    return to_count(value)


def _described(value: Any) -> tuple[str, int | None]:
    """v2 sends ``{"id": 4, "description": "DELIVERED"}`` where v1 sends the text alone."""
    if isinstance(value, dict):
        return _str(value.get("description")), _int(value.get("id"))
    return _str(value), None


def parse_quota_level(data: Json | None) -> QuotaLevel | None:
    if not data:
        return None
    return QuotaLevel(
        level=_int(data.get("id")),
        description=_str(data.get("description")),
        threshold_reached_at=parse_timestamp(data.get("threshold_reached_date")),
        exceeded_at=parse_timestamp(data.get("quota_exceeded_date")),
    )


def parse_sim(data: Json) -> Sim:
    iccid = normalise_iccid(data.get("iccid_with_luhn") or data["iccid"])
    return Sim(
        iccid=iccid,
        iccid_with_luhn=_str(data.get("iccid_with_luhn")) or iccid_with_luhn(iccid),
        imsi=_str(data.get("imsi")),
        msisdn=_str(data.get("msisdn")),
        status=_str(data.get("status")),
        label=_str(data.get("label")),
        imsi_2=_str(data.get("imsi_2")),
        current_imsi=_str(data.get("current_imsi")),
        imei=_str(data.get("imei")),
        imei_lock=bool(data.get("imei_lock")),
        ip_address=_str(data.get("ip_address")),
        activation_date=parse_timestamp(data.get("activation_date")),
        current_quota_bytes=mb_to_bytes(data.get("current_quota")),
        quota_status=parse_quota_level(data.get("quota_status")),
        current_quota_sms=_int(data.get("current_quota_SMS")),
        quota_status_sms=parse_quota_level(data.get("quota_status_SMS")),
    )


def parse_location(data: Json | None) -> Location | None:
    if not data:
        return None
    operator = data.get("operator") or {}
    country = data.get("country") or {}
    operator_country = operator.get("country") or {}
    return Location(
        last_updated=parse_timestamp(data.get("last_updated")),
        operator_id=_str(data.get("operator_id") or operator.get("id")),
        operator_name=_str(operator.get("name")),
        country_name=_str(country.get("name") or operator_country.get("name")),
        # v2 spells it iso_code, v1 iso-code
        country_iso=_str(
            country.get("iso_code") or country.get("iso-code") or operator_country.get("iso_code")
        ),
        mcc=_str(country.get("mcc")),
        mnc=_str(operator.get("mnc")),
        sgsn_number=_str(data.get("sgsn_number")),
        vlr_number=_str(data.get("vlr_number")),
        msc=_str(data.get("msc")),
    )


def parse_pdp_context(data: Json) -> PdpContext:
    rat_type = data.get("rat_type")
    return PdpContext(
        pdp_context_id=_str(data.get("pdp_context_id")),
        created=parse_timestamp(data.get("created")),
        apn=_str(data.get("apn")),
        ue_ip_address=_str(data.get("ue_ip_address")),
        rat_type=_described(rat_type)[0] if isinstance(rat_type, dict) else _str(rat_type),
        mcc=_str(data.get("mcc")),
        mnc=_str(data.get("mnc")),
        imsi=_str(data.get("imsi")),
        region=_str(data.get("region")),
    )


def parse_sim_status(data: Json) -> SimStatus:
    limit_state = _described(data.get("data_traffic_limit_state"))[0]
    contexts = data.get("pdp_contexts")
    if contexts is None and data.get("pdp_context"):  # v1 has a single pdp_context
        contexts = [data["pdp_context"]]
    return SimStatus(
        status=_described(data.get("status"))[0],
        services=[_str(service) for service in data.get("services") or []],
        data_traffic_limit_reached={"REACHED": True, "NOT_REACHED": False}.get(limit_state),
        location=parse_location(data.get("location")),
        pdp_contexts=[parse_pdp_context(context) for context in contexts or []],
    )


def parse_connectivity_info(data: Json) -> ConnectivityInfo:
    subscriber = data.get("subscriber_info") or {}
    ussd = data.get("ussd_info") or {}
    cell = subscriber.get("cell_global_id")
    return ConnectivityInfo(
        requested_at=parse_timestamp(data.get("request_timestamp")),
        replied_at=parse_timestamp(data.get("reply_timestamp")),
        current_location_retrieved=subscriber.get("current_location_retrieved"),
        location_age_minutes=_int(subscriber.get("age_of_location")),
        cell=CellGlobalId(
            cid=_int(cell.get("cid")),
            lac=_int(cell.get("lac")),
            mcc=_str(cell.get("mcc")),
            mnc=_str(cell.get("mnc")),
        )
        if cell
        else None,
        ussd_success=ussd.get("success"),
        ussd_error=_str(ussd.get("error")),
    )


def parse_event(data: Json) -> SimEvent:
    """v2 events nest objects (event_type, sim, endpoint...); v1 events are flat strings."""
    event_type, event_type_id = _described(data.get("event_type"))
    sim = data.get("sim") or {}
    imsi = data.get("imsi")
    endpoint = data.get("endpoint") or {}
    iccid = _str(sim.get("iccid") or data.get("iccid"))
    return SimEvent(
        timestamp=parse_timestamp(data.get("timestamp")),
        event_type=event_type,
        id=_int(data.get("id")),
        event_type_id=event_type_id,
        severity=_described(data.get("event_severity"))[0],
        source=_described(data.get("event_source"))[0],
        alert=bool(data.get("alert")),
        description=_str(data.get("description")),
        iccid=normalise_iccid(iccid) if iccid else "",
        imsi=_str(imsi.get("imsi") if isinstance(imsi, dict) else imsi),
        imei=_str(endpoint.get("imei") or data.get("imei")),
        country=_str(data.get("country")),
        operator=_str(data.get("operator")),
    )


def parse_usage(data: Json) -> list[DailyUsage]:
    """Daily rows of ``{"stats": [...]}``, without the ``TOTAL`` row 1NCE may append."""
    days = []
    for row in data.get("stats") or []:
        if _str(row.get("date")).upper() == "TOTAL":
            continue
        data_usage = row.get("data") or {}
        sms_usage = row.get("sms") or {}
        days.append(
            DailyUsage(
                date=parse_date(row["date"]),
                data_bytes=mb_to_bytes(data_usage.get("volume")) or 0,
                data_rx_bytes=mb_to_bytes(data_usage.get("volume_rx")) or 0,
                data_tx_bytes=mb_to_bytes(data_usage.get("volume_tx")) or 0,
                sms=_int(sms_usage.get("volume")) or 0,
                sms_mo=_int(sms_usage.get("volume_rx")) or 0,
                sms_mt=_int(sms_usage.get("volume_tx")) or 0,
            )
        )
    return days


def parse_data_quota(data: Json) -> DataQuota:
    return DataQuota(
        remaining_bytes=mb_to_bytes(data.get("volume")) or 0,
        total_bytes=mb_to_bytes(data.get("total_volume")),
        last_added_bytes=mb_to_bytes(data.get("last_volume_added")),
        accumulated_total_bytes=mb_to_bytes(data.get("accumulated_total_volume")),
        threshold_percentage=_int(data.get("threshold_percentage")),
        threshold_bytes=mb_to_bytes(data.get("threshold_volume")),
        status=_described(data.get("status"))[0],
        expiry_date=parse_timestamp(data.get("expiry_date")),
        created_at=parse_timestamp(data.get("created_at")),
        peak_throughput_bps=_int(data.get("peak_throughput")),
    )


def parse_sms_quota(data: Json) -> SmsQuota:
    return SmsQuota(
        remaining=_int(data.get("volume")) or 0,
        total=_int(data.get("total_volume")),
        last_added=_int(data.get("last_volume_added")),
        accumulated_total=_int(data.get("accumulated_total_volume")),
        threshold_percentage=_int(data.get("threshold_percentage")),
        threshold=_int(data.get("threshold_volume")),
        status=_described(data.get("status"))[0],
        expiry_date=parse_timestamp(data.get("expiry_date")),
        created_at=parse_timestamp(data.get("created_at")),
    )


def parse_limit(data: Json | None) -> Limit | None:
    """A limit in our units: data limits in bytes (1NCE says MB), SMS limits in messages."""
    if not data:
        return None
    unit = _str(data.get("unit")).upper()
    if unit == "MB":
        return Limit(id=_int(data["id"]), amount=mb_to_bytes(data.get("limit")), unit="bytes")
    return Limit(id=_int(data["id"]), amount=_int(data.get("limit")), unit="sms")


def parse_limits(data: Json) -> GlobalLimits:
    return GlobalLimits(
        data=parse_limit(data.get("data")),
        sms_mt=parse_limit(data.get("smsMt")),
        sms_mo=parse_limit(data.get("smsMo")),
    )


def parse_limit_options(data: Json | list[Json]) -> list[Limit]:
    """The limits one can choose for a service: a list of limits (or, as the contract's
    schema has it, the ``data``/``smsMt``/``smsMo`` object)."""
    items = data if isinstance(data, list) else [v for v in data.values() if isinstance(v, dict)]
    return [parse_limit(item) for item in items if item]


def parse_sms(data: Json) -> SmsMessage:
    status, status_id = _described(data.get("status"))
    source_type = data.get("source_address_type")
    return SmsMessage(
        id=_int(data["id"]),
        iccid=_str(data.get("iccid")),
        msisdn=_str(data.get("msisdn")),
        imsi=_str(data.get("imsi")),
        sms_type=_described(data.get("sms_type"))[0],
        status=status,
        status_id=status_id,
        payload=_str(data.get("payload")),
        udh=_str(data.get("udh")),
        dcs=_int(data.get("dcs")),
        source_address=_str(data.get("source_address")),
        source_address_type=_int(
            source_type.get("id") if isinstance(source_type, dict) else source_type
        ),
        retry_count=_int(data.get("retry_count")),
        submitted_at=parse_timestamp(data.get("submit_date")),
        delivered_at=parse_timestamp(data.get("delivery_date")),
        expires_at=parse_timestamp(data.get("expiry_date")),
        final_at=parse_timestamp(data.get("final_date")),
        retry_at=parse_timestamp(data.get("retry_date")),
        last_delivery_attempt_at=parse_timestamp(data.get("last_delivery_attempt")),
    )


def parse_order(data: Json) -> Order:
    return Order(
        order_number=_int(data["order_number"]),
        order_type=_str(data.get("order_type")),
        order_status=_str(data.get("order_status")),
        order_date=parse_timestamp(data.get("order_date")),
        invoice_number=_str(data.get("invoice_number")),
        invoice_amount=to_decimal(data.get("invoice_amount")),
        currency=_str(data.get("currency")),
        iccids=[normalise_iccid(sim["iccid"]) for sim in data.get("sims") or []],
        products=[
            OrderedProduct(product_id=_int(item.get("product_id")), quantity=_int(item["quantity"]))
            for item in data.get("products") or []
        ],
    )


def _charges(items: list[Json] | None) -> list[Charge]:
    return [
        Charge(
            name=_str(item.get("name")),
            amount_net=to_decimal(item.get("amount_net")),
            currency=_str(item.get("currency")),
        )
        for item in items or []
    ]


def parse_product(data: Json) -> Product:
    return Product(
        id=_int(data["id"]),
        name=_str(data.get("product")),
        material=_str(data.get("material")),
        package_size=_int(data.get("package_size")),
        min_quantity=_int(data.get("minQuantity")),
        max_quantity=_int(data.get("maxQuantity")),
        max_quantity_per_customer=_int(data.get("maxQuantityPerCustomer")),
        min_contract_months=_int(data.get("min_contract_duration")),
        one_time_charges=_charges(data.get("one_time_charges")),
        recurring_charges=_charges(data.get("recurring_charges")),
    )
