"""The legacy ``/api/pmnl/*`` shapes: seed 003's v4 callers send capitalised or camelCase
member names (``Iccid``, ``MsIsdn``, ``Aor.AuthUsername``, ``NetworkAccessList.ZoneNL``);
they are translated here to the v1 names and back, nothing else. The rules the translated
body must then pass are ``provisioning.validation``'s, through the same services."""

from typing import Any

from provisioning import validation

# Every v1 member name, nested as the v1 bodies and answers nest them.
_TREE: dict[str, dict | None] = {
    **dict.fromkeys(validation.CREATE_SUBSCRIBER.fields),
    **{
        name: dict.fromkeys(rule.fields) if isinstance(rule, validation.Obj) else None
        for name, rule in validation.CREATE_SUBSCRIBER.fields.items()
    },
    "contract": {**dict.fromkeys(validation.CONTRACT.fields), "contract_start": None},
    "block_data_usage": dict.fromkeys(validation.BLOCK_DATA_USAGE.fields),
    "queue_request": None,
    "imsi": None,
    "data": None,  # filled below: a read answer's subscriber
    "status": None,
    "reason": None,
    "request_id": None,
    "cached": None,
    "progress": None,
    "last_updated": None,
    "request_info": None,
}
_TREE["data"] = {k: v for k, v in _TREE.items() if k != "data"}
_SPELLING = {"msisdn": "MsIsdn", "imsi": "Imsi", "iccid": "Iccid"}

# updatesub: the member that names the aspect to change, and how its value becomes the body.
UPDATE_MEMBERS = {
    "aor": "aor",
    "subscriber_state": "state",
    "apn": "apn",
    "network_access_list": "network-access-list",
    "credit": "credit",
    "block_data_usage": "block-data-usage",
}


def _canonical(name: str) -> str:
    return name.replace("_", "").lower()


def _legacy_name(name: str) -> str:
    if name in _SPELLING:
        return _SPELLING[name]
    if "_" in name:
        return "".join(part.capitalize() for part in name.split("_"))
    return name[0].upper() + name[1:]


def _to_v1(value: Any, tree: dict | None) -> Any:
    if tree is None or not isinstance(value, dict):
        return value
    names = {_canonical(name): name for name in tree}
    out = {}
    for key, member in value.items():
        v1 = names.get(_canonical(key))
        if v1 is None:
            out[key] = member  # unknown: left for the rules to ignore or refuse
        else:
            out[v1] = _to_v1(member, tree[v1])
    return out


def _to_legacy(value: Any, tree: dict | None) -> Any:
    if tree is None or not isinstance(value, dict):
        return value
    return {
        _legacy_name(key) if key in tree else key: _to_legacy(member, tree.get(key))
        for key, member in value.items()
    }


def from_legacy(body: Any) -> Any:
    """A legacy body with v1 member names (``Iccid`` → ``iccid``, ``Aor.AuthPassword`` →
    ``aor.auth_password``); values untouched."""
    return _to_v1(body, _TREE)


def to_legacy(body: Any) -> Any:
    """A v1 answer with the legacy member names (``msisdn`` → ``MsIsdn``)."""
    return _to_legacy(body, _TREE)
