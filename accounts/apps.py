from django.apps import AppConfig


def _record_core_audit(*, context, **fields):
    """``core.audit``'s recorder: core's services (run a periodic task now) audit through it."""
    from accounts.audit import record_audit

    record_audit(context=context, **fields)


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from accounts import schema, signals  # noqa: F401  (OpenAPI extensions; receivers)
        from core import audit

        audit.register_recorder(_record_core_audit)
