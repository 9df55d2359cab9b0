"""PostgreSQL timestamps read by psycopg's C parser, with Django's time zone.

Django registers its own ``timestamptz`` loader on every connection (``SpecificTzLoader``: the
answer with ``tzinfo`` replaced by the connection's time zone). It subclasses psycopg's Python
loader, so each timestamp is parsed in Python: about half the client CPU of fetching a page of
50 SIMs (four timestamps a row). :class:`CTzLoader` does the same, the parsing in psycopg's C
module (which a Python class cannot subclass, hence the wrapper) and then the same
``replace(tzinfo=...)``: the same datetimes, to the microsecond and the ``tzinfo``.

Installed on each new connection (``connection_created``); without psycopg's C module, or on
another database, nothing changes. Django still puts its own loader on a cursor whose time zone
differs from the connection's (``create_cursor``), as it would have.
"""

from functools import lru_cache

from django.db.backends.signals import connection_created

try:
    from psycopg import adapt
    from psycopg._cmodule import _psycopg
except ImportError:  # psycopg2, or psycopg without its C module
    _psycopg = None


@lru_cache
def tz_loader_class(tz):
    """Django's ``SpecificTzLoader`` for ``tz`` (None: naive datetimes), parsed in C."""

    class CTzLoader(adapt.Loader):
        timezone = tz  # what Django's create_cursor compares with the connection's

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self._parse = _psycopg.TimestamptzLoader(oid, context).load

        def load(self, data):
            return self._parse(data).replace(tzinfo=tz)

    return CTzLoader


def install(sender, connection, **kwargs) -> None:
    if _psycopg is None or connection.vendor != "postgresql":
        return
    raw = connection.connection
    if not hasattr(raw, "adapters"):  # psycopg2
        return
    raw.adapters.register_loader("timestamptz", tz_loader_class(connection.timezone))


def connect() -> None:
    connection_created.connect(install, dispatch_uid="core.pgloaders.install")
