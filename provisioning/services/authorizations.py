"""Which customer ids (cust_id) a user may provision, mapped by organization admins."""

from django.db import transaction

from accounts.audit import record_audit
from core.context import Context
from core.errors import Conflict, PermissionDenied
from provisioning import validation
from provisioning.models import CustomerAuthorization


def authorized_cust_ids(user) -> set[str]:
    return set(CustomerAuthorization.objects.filter(user=user).values_list("cust_id", flat=True))


def check_customer(*, context: Context, cust_id: str) -> None:
    """The actor may provision ``cust_id`` (an organization admin mapped it); the system (tasks,
    commands) and platform superusers may provision any."""
    actor = context.actor
    if actor is None or actor.is_superuser:
        return
    if not CustomerAuthorization.objects.filter(user=actor, cust_id=cust_id).exists():
        raise PermissionDenied(
            f"You are not authorized to provision customer {cust_id}.",
            details={"cust_id": cust_id},
        )


def _check_organization_admin(actor, organization_id) -> None:
    """Mappings are an organization admin's (or a platform superuser's, or the system's)."""
    if actor is None or actor.is_superuser:
        return
    if actor.role != "admin" or actor.organization_id != organization_id:
        raise PermissionDenied("Only an admin of the user's organization may do this.")


def grant_customer(*, user, cust_id: str, context: Context) -> CustomerAuthorization:
    """Let ``user`` provision subscribers of ``cust_id`` (an organization admin's decision)."""
    validation.validate_cust_id(cust_id)
    actor = context.actor
    _check_organization_admin(actor, user.organization_id)
    if user.organization_id is None:
        raise Conflict("The user belongs to no organization.")
    with transaction.atomic():
        authorization, _ = CustomerAuthorization.objects.get_or_create(
            user=user,
            cust_id=cust_id,
            defaults={"organization_id": user.organization_id, "granted_by": actor},
        )
        # context: record_audit takes no Context yet; actor only.
        record_audit(
            operation="GRANT_CUSTOMER",
            resource_type="customer_authorization",
            resource_id=f"{user.pk}:{cust_id}",
            user=actor,
            organization=user.organization,
            request_body={"user_id": user.pk, "cust_id": cust_id},
            response_status=200,
        )
    return authorization


def revoke_customer(*, authorization: CustomerAuthorization, context: Context) -> None:
    actor = context.actor
    _check_organization_admin(actor, authorization.organization_id)
    with transaction.atomic():
        record_audit(
            operation="REVOKE_CUSTOMER",
            resource_type="customer_authorization",
            resource_id=f"{authorization.user_id}:{authorization.cust_id}",
            user=actor,
            organization=authorization.organization,
            request_body={"user_id": authorization.user_id, "cust_id": authorization.cust_id},
            response_status=200,
        )
        authorization.delete()
