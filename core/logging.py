"""Structured logging: structlog on top of the standard library, JSON in production.

Every log line carries the context bound for the current request (``request_id``, ``user``,
``organization``), also lines written through plain ``logging.getLogger``.

No secret reaches a log line: ``redact_query`` blanks secret-named query parameters (API keys
sent as ``?api_key=``, tokens, passwords) wherever a URL appears, and the ``redact_secrets``
processor applies it, plus name-based redaction of secret fields, to every line we write,
ours and the libraries'. gunicorn's access log uses the same function (``config/gunicorn.py``).
"""

import logging
import logging.config
import re
from typing import Any
from urllib.parse import unquote_plus

import structlog

REDACTED = "[REDACTED]"
# Names of parameters, fields and headers whose values are secrets (compared lower-cased, with
# "-" read as "_", so ``X-API-Key`` and ``Refresh_Token`` count too).
SECRET_NAMES = frozenset(
    {
        "password",
        "auth_password",
        "token",
        "secret",
        "api_key",
        "apikey",
        "x_api_key",
        "access_token",
        "refresh_token",
        "authorization",
        "proxy_authorization",
        "cookie",
        "set_cookie",
    }
)
SECRET_SUFFIXES = ("_secret", "_token", "_password")
TRUNCATED = "[TRUNCATED]"
# Nested values deeper than this are not walked: a log call cannot make the logger recurse
# without bound (the line keeps the marker instead of the value).
_MAX_DEPTH = 8

# ``name=value`` starting a query string or after ``?``, ``&`` or ``;`` (the value runs to the
# next separator, blank, quote or fragment). Also matches inside request lines and referers.
_QUERY_PARAM = re.compile(r"(?P<lead>^|[?&;])(?P<name>[^=&;?#\s\"']+)=(?P<value>[^&;#\s\"']*)")


def is_secret_name(name: str) -> bool:
    """Whether a parameter, field or header called ``name`` holds a secret."""
    name = name.lower().replace("-", "_")
    return name in SECRET_NAMES or name.endswith(SECRET_SUFFIXES)


def _redact_param(match: re.Match) -> str:
    if not is_secret_name(unquote_plus(match["name"])):
        return match[0]
    return f"{match['lead']}{match['name']}={REDACTED}"


def redact_query(text: str) -> str:
    """``text`` (a URL, query string, request line or any log message) with the value of every
    secret-named query parameter replaced by ``[REDACTED]``; everything else kept."""
    if "=" not in text:
        return text
    return _QUERY_PARAM.sub(_redact_param, text)


def redact_value(value: Any, *, max_depth: int = _MAX_DEPTH, _depth: int = 0) -> Any:
    """A copy of ``value`` safe to log or store: secret-named members blanked, URLs redacted,
    and anything nested deeper than ``max_depth`` replaced by ``[TRUNCATED]``, so redaction
    can neither recurse without bound nor fail its caller."""
    if isinstance(value, str):
        return redact_query(value)
    if _depth >= max_depth and isinstance(value, dict | list | tuple):
        return TRUNCATED

    def inner(member):
        return redact_value(member, max_depth=max_depth, _depth=_depth + 1)

    if isinstance(value, dict):
        return {
            k: REDACTED if isinstance(k, str) and is_secret_name(k) else inner(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [inner(v) for v in value]
    return value


def redact_secrets(logger, method_name: str, event_dict: dict) -> dict:
    """structlog processor: the event dict of any line (ours or the stdlib's) without secrets."""
    return {
        key: value if key.startswith("_") else redact_value({key: value})[key]
        for key, value in event_dict.items()
    }


# The message header a task carries the request id of the request that sent it in.
TASK_REQUEST_ID_HEADER = "fleetops_request_id"
_task_context_tokens: dict[str, dict] = {}


def send_request_id_with_task(headers=None, **kwargs) -> None:
    """Celery's ``before_task_publish``: a task sent while a request is handled carries the
    request's id, so the worker's lines of that task name it too."""
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id and headers is not None:
        headers.setdefault(TASK_REQUEST_ID_HEADER, request_id)


def bind_task_context(task_id=None, task=None, **kwargs) -> None:
    """Celery's ``task_prerun``: every line the task logs names the task, its id and the
    request that sent it (an eager task keeps its caller's context and adds its own)."""
    if task is None or task_id is None:
        return
    context = {"task": task.name, "task_id": task_id}
    request_id = getattr(task.request, TASK_REQUEST_ID_HEADER, None)
    if request_id:
        context["request_id"] = request_id
    _task_context_tokens[task_id] = structlog.contextvars.bind_contextvars(**context)


def unbind_task_context(task_id=None, **kwargs) -> None:
    """Celery's ``task_postrun``: the context as it was before the task."""
    tokens = _task_context_tokens.pop(task_id, None)
    if tokens:
        structlog.contextvars.reset_contextvars(**tokens)


SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


def formatter_processors(renderer) -> list:
    """The last steps of every line: exception text rendered, then redacted, then rendered."""
    return [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        structlog.processors.format_exc_info,
        redact_secrets,
        renderer,
    ]


def configure_logging(*, level: str = "INFO", fmt: str = "json") -> None:
    """Route structlog and stdlib logging through one handler with ``fmt`` rendering."""
    renderer = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "structured": {
                    "()": structlog.stdlib.ProcessorFormatter,
                    "foreign_pre_chain": SHARED_PROCESSORS,
                    "processors": formatter_processors(renderer),
                }
            },
            "handlers": {
                "console": {"class": "logging.StreamHandler", "formatter": "structured"},
            },
            "root": {"handlers": ["console"], "level": level},
            "loggers": {
                # The access log line comes from core.middleware; Django's own is redundant.
                "django.server": {"level": "WARNING"},
                "django.request": {"level": "ERROR"},
                "django.db.backends": {"level": "WARNING"},
            },
        }
    )
    structlog.configure(
        processors=[
            # A line below its logger's level is dropped before any work is done on it (the
            # access line of every request, at LOG_LEVEL=WARNING), not after the whole chain.
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
