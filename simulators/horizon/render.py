"""Horizon's JSON resources (HAL), as stellar-sdk and Horizon's reference document them."""

from datetime import UTC, datetime

from simulators.horizon.models import HorizonAccount, HorizonTransaction

MAX_AMOUNT = "922337203685.4775807"


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_epoch(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def amount(value) -> str:
    return f"{value:.7f}"


def account(base: str, row: HorizonAccount) -> dict:
    balances = []
    for line in sorted(row.balances.all(), key=lambda b: (b.is_native, b.asset_code)):
        if line.is_native:
            balances.append(
                {
                    "balance": amount(line.balance),
                    "buying_liabilities": "0.0000000",
                    "selling_liabilities": "0.0000000",
                    "asset_type": "native",
                }
            )
            continue
        balances.append(
            {
                "balance": amount(line.balance),
                "limit": amount(line.limit),
                "buying_liabilities": "0.0000000",
                "selling_liabilities": "0.0000000",
                "last_modified_ledger": line.last_modified_ledger,
                "is_authorized": True,
                "is_authorized_to_maintain_liabilities": True,
                "asset_type": "credit_alphanum4"
                if len(line.asset_code) <= 4
                else "credit_alphanum12",
                "asset_code": line.asset_code,
                "asset_issuer": line.asset_issuer,
            }
        )
    href = f"{base}/accounts/{row.account_id}"
    return {
        "_links": {
            "self": {"href": href},
            "transactions": {
                "href": f"{href}/transactions{{?cursor,limit,order}}",
                "templated": True,
            },
            "operations": {"href": f"{href}/operations{{?cursor,limit,order}}", "templated": True},
            "payments": {"href": f"{href}/payments{{?cursor,limit,order}}", "templated": True},
        },
        "id": row.account_id,
        "account_id": row.account_id,
        "sequence": str(row.sequence),
        "sequence_ledger": row.last_modified_ledger,
        "sequence_time": str(int(row.updated_at.timestamp())),
        "subentry_count": sum(1 for b in balances if b["asset_type"] != "native"),
        "last_modified_ledger": row.last_modified_ledger,
        "last_modified_time": iso(row.updated_at),
        "thresholds": {"low_threshold": 0, "med_threshold": 0, "high_threshold": 0},
        "flags": {
            "auth_required": False,
            "auth_revocable": False,
            "auth_immutable": False,
            "auth_clawback_enabled": False,
        },
        "balances": balances,
        "signers": [{"weight": 1, "key": row.account_id, "type": "ed25519_public_key"}],
        "data": {},
        "num_sponsoring": 0,
        "num_sponsored": 0,
        "paging_token": row.account_id,
    }


def transaction(base: str, row: HorizonTransaction) -> dict:
    href = f"{base}/transactions/{row.hash}"
    body = {
        "_links": {
            "self": {"href": href},
            "account": {"href": f"{base}/accounts/{row.source_account}"},
            "ledger": {"href": f"{base}/ledgers/{row.ledger}"},
            "operations": {"href": f"{href}/operations{{?cursor,limit,order}}", "templated": True},
            "effects": {"href": f"{href}/effects{{?cursor,limit,order}}", "templated": True},
            "precedes": {"href": f"{base}/transactions?order=asc&cursor={row.pk}"},
            "succeeds": {"href": f"{base}/transactions?order=desc&cursor={row.pk}"},
            "transaction": {"href": href},
        },
        "id": row.hash,
        "paging_token": str(row.pk),
        "successful": row.successful,
        "hash": row.hash,
        "ledger": row.ledger,
        "created_at": iso(row.created_at),
        "source_account": row.source_account,
        "source_account_sequence": str(row.source_account_sequence),
        "fee_account": row.source_account,
        "fee_charged": str(row.fee_charged),
        "max_fee": str(row.max_fee),
        "operation_count": row.operation_count,
        "envelope_xdr": row.envelope_xdr,
        "result_xdr": row.result_xdr,
        "fee_meta_xdr": "",
        "memo_type": row.memo_type,
        "signatures": row.signatures,
        "preconditions": {},
    }
    if row.memo_type != "none":
        body["memo"] = row.memo
        if row.memo_type == "text":
            body["memo_bytes"] = row.memo
    if row.valid_before is not None:
        body["valid_after"] = iso_epoch(row.valid_after or 0)
        body["valid_before"] = iso_epoch(row.valid_before) if row.valid_before else None
        body["preconditions"] = {
            "timebounds": {"min_time": str(row.valid_after or 0), "max_time": str(row.valid_before)}
        }
    return body


def page(base: str, path: str, records: list[dict], *, order: str, limit: int) -> dict:
    def link(cursor: str, direction: str) -> dict:
        return {"href": f"{base}{path}?cursor={cursor}&limit={limit}&order={direction}"}

    first = records[0]["paging_token"] if records else ""
    last = records[-1]["paging_token"] if records else ""
    reverse = "asc" if order == "desc" else "desc"
    return {
        "_links": {
            "self": link("", order),
            "next": link(last, order),
            "prev": link(first, reverse),
        },
        "_embedded": {"records": records},
    }
