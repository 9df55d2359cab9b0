"""What each kind of job is called and how its progress and items read: a kind's label written
once where the kind is.

An app names a job kind where it defines the constant, and may say how an item's key and
result read; the console (the job pages, their filter, the dashboard) reads them from here,
so a new kind needs no edit in core::

    # sims/services/jobs.py
    RESET_KIND = job_kind("sims.reset", "Reset connectivity")

A kind nobody registered still reads as words ("Bulk create (provisioning)" for
``provisioning.bulk_create``), and a result as ``label: value`` pairs in human units: never a
code or a JSON blob. The API keeps answering the codes; only people read these.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.dateparse import parse_datetime

from core.humanize import human_bytes, human_count, human_datetime, human_duration

Pairs = list[tuple[str, str]]

# Words operators spell in capitals, wherever a name made of words reaches the screen.
_ACRONYMS = {
    "api": "API",
    "apn": "APN",
    "iccid": "ICCID",
    "id": "ID",
    "imei": "IMEI",
    "imsi": "IMSI",
    "ip": "IP",
    "msisdn": "MSISDN",
    "pmnl": "PMNL",
    "rat": "RAT",
    "sim": "SIM",
    "sims": "SIMs",
    "sla": "SLA",
    "sms": "SMS",
    "url": "URL",
}


def words(name: str) -> str:
    """A code's words as a label: ``"last_synced_at"`` -> "Last synced at", ``"reset_id"`` ->
    "Reset ID", ``"duration_s"`` -> "Duration"."""
    parts = [p for p in name.replace(".", " ").replace("_", " ").replace("-", " ").split() if p]
    if len(parts) > 1 and parts[-1] == "s":  # a unit the value shows ("duration_s")
        parts.pop()
    shown = [_ACRONYMS.get(p.lower(), p.lower()) for p in parts]
    if not shown:
        return ""
    return shown[0][:1].upper() + shown[0][1:] + "".join(f" {w}" for w in shown[1:])


def readable_value(value, *, name: str = "") -> str:
    """One value as an operator reads it: a moment in their time zone, a byte count (a name
    ending in ``_bytes``) in MB/GB, seconds (``_s``, ``_seconds``) in words, yes/no, numbers
    with separators, lists joined."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if name.endswith("_bytes"):
            return human_bytes(value)
        if name.endswith(("_s", "_seconds")):
            return "under a second" if value < 1 else human_duration(value)
        return human_count(value) if float(value).is_integer() else f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return ", ".join(readable_value(v, name=name) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{label}: {text}" for label, text in readable_pairs(value))
    text = str(value)
    if "T" in text and text[:4].isdigit():
        moment = _moment(text)
        if moment is not None:
            return human_datetime(moment)
    return text


def _moment(text: str):
    try:
        return parse_datetime(text)
    except ValueError:
        return None


def readable_pairs(
    values: dict | None,
    *,
    labels: dict[str, str] | None = None,
    formats: dict[str, Callable] | None = None,
    omit: tuple[str, ...] = (),
) -> Pairs:
    """``values`` as ``(label, text)`` pairs: ``labels`` and ``formats`` (a function of the
    value) by key where the key's own words or :func:`readable_value` would not do. The keys
    in ``labels`` come first, in its order (a JSON column keeps no order of its own), then the
    others by name; keys in ``omit`` are left out (what the page already shows)."""
    labels, formats = labels or {}, formats or {}
    if not isinstance(values, dict):
        return [("", readable_value(values))] if values not in (None, "", []) else []
    keys = [k for k in labels if k in values] + sorted(k for k in values if k not in labels)
    return [
        (
            labels.get(key) or words(key),
            formats[key](values[key]) if key in formats else readable_value(values[key], name=key),
        )
        for key in keys
        if key not in omit
    ]


@dataclass(frozen=True, slots=True)
class JobKind:
    code: str
    label: str
    # How an item's key reads (an ICCID, the organization) and its result (label, text) pairs.
    describe_item: Callable[[str], str] = str
    describe_result: Callable[[dict], Pairs] = readable_pairs


_kinds: dict[str, JobKind] = {}


def job_kind(
    code: str,
    label: str,
    *,
    describe_item: Callable[[str], str] | None = None,
    describe_result: Callable[[dict], Pairs] | None = None,
    result_labels: dict[str, str] | None = None,
) -> str:
    """Register the job kind ``code`` under ``label`` (last one wins: a reloaded module
    replaces it) and answer ``code``, for the constant. ``describe_item(key)`` is how an
    item's key reads; ``describe_result(result)`` its result as pairs, else the result's
    values by :func:`readable_pairs` with ``result_labels``."""
    if describe_result is None:

        def describe_result(result, _labels=result_labels):
            return readable_pairs(result, labels=_labels)

    _kinds[code] = JobKind(code, label, describe_item or str, describe_result)
    return code


def kind_of(code: str) -> JobKind:
    """The registered kind ``code``, or one that reads its code as words."""
    known = _kinds.get(code)
    if known is not None:
        return known
    app, _, rest = code.rpartition(".")
    label = f"{words(rest)} ({words(app).lower()})" if app else words(rest)
    return JobKind(code, label or "Job")


def kind_label(code: str) -> str:
    return kind_of(code).label


def kinds_matching(text: str) -> list[str]:
    """The registered kinds whose label contains ``text`` (a search by what operators read)."""
    text = text.strip().lower()
    return [code for code, kind in _kinds.items() if text and text in kind.label.lower()]


def job_progress(job) -> str:
    """ "2 of 2 done (100 %)", "1 of 3 done, 1 failed": what a job's counters say (an item
    whose outcome is unknown counts with the failed until it is settled)."""
    if not job.total:
        return "nothing to do"
    text = f"{human_count(job.done)} of {human_count(job.total)} done"
    if job.failed:
        return f"{text}, {human_count(job.failed)} failed"
    return f"{text} ({100 * job.done // job.total} %)"
