"""Receivers: keep cached API keys true, and audit console (session) logins.

Any change to a key or to its owner drops the cached copy. Logins to the admin, successful or
not, go to the audit log like API logins do; django-axes (connected before us, see
INSTALLED_APPS) has already flagged a locked-out attempt on the request by then.
"""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.urls import NoReverseMatch, reverse

from accounts.audit import record_audit
from accounts.models import APIKey, AuditStatus, User
from accounts.selectors import find_user_for_login
from accounts.services import forget_api_keys_now_and_after_commit
from core.context import Context

ADMIN_LOGIN = "ADMIN_LOGIN"


@receiver([post_save, post_delete], sender=APIKey)
def api_key_changed(sender, instance, created=False, **kwargs):
    if not created:  # a new key has no cached copy
        forget_api_keys_now_and_after_commit([instance.prefix])


@receiver([post_save, post_delete], sender=User)
def user_changed(sender, instance, created=False, update_fields=None, **kwargs):
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return  # nothing a cached key depends on (a login saves last_login)
    prefixes = list(APIKey.objects.filter(user_id=instance.pk).values_list("prefix", flat=True))
    if prefixes:
        forget_api_keys_now_and_after_commit(prefixes)


def _is_admin_request(request) -> bool:
    """A real request to the admin (not a test's ``force_login``, which has no path)."""
    try:
        admin_root = reverse("admin:index")
    except NoReverseMatch:
        return False
    return request is not None and getattr(request, "path", "").startswith(admin_root)


@receiver(user_logged_in)
def audit_admin_login(sender, request, user, **kwargs):
    if _is_admin_request(request):
        record_audit(
            operation=ADMIN_LOGIN,
            resource_type="user",
            resource_id=user.pk,
            user=user,
            context=Context.from_request(request, via="console"),
            response_status=302,
        )


@receiver(user_login_failed)
def audit_failed_admin_login(sender, credentials, request=None, **kwargs):
    if not _is_admin_request(request):
        return
    identifier = str(credentials.get("username") or "")
    user = find_user_for_login(identifier) if identifier else None
    locked_out = bool(getattr(request, "axes_locked_out", False))
    reason = "Locked out: too many failed logins." if locked_out else "Invalid credentials."
    record_audit(
        operation=ADMIN_LOGIN,
        resource_type="user",
        resource_id=identifier[:128],
        user=user if user is not None and user.is_active else None,
        status=AuditStatus.FAILED,
        context=Context.from_request(request, via="console"),
        response_status=429 if locked_out else 200,
        error_message=reason,
    )
