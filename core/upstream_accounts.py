"""Which upstream account an organization may use: one rule for every upstream.

An organization reaches an upstream (1NCE, PMNL, Stellar) only through an account connected to
it: its own active account, or the default account from settings when it is the organization
named as that account's owner. Every other organization gets :class:`UpstreamNotConnected`
(409 ``UPSTREAM_NOT_CONFIGURED``); no code path lends it another organization's account, and
periodic syncs skip it.

Each upstream declares its accounts once with :class:`UpstreamAccounts`; its client factory,
its syncs and its views ask that declaration and nothing else. Its ``save_account`` is the one
way an account is connected or changed (the console's account pages call it): an admin of the
organization (or a superuser) only, secrets written but never read back, audited.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from core import audit
from core.context import Context
from core.errors import Conflict, InvalidInput, PermissionDenied, UpstreamNotConnected

C = TypeVar("C")


@dataclass(frozen=True)
class UpstreamAccounts(Generic[C]):
    """How one upstream's accounts are found.

    ``own_credentials(organization)`` answers the organization's own active account (or
    ``None``); ``default_credentials()`` the account configured in settings (or ``None`` when
    it is not configured); ``default_owner_setting`` names the setting holding the slug of the
    organization that owns the default account; ``own_account_owners()`` the ids of the
    organizations with an active account of their own.
    """

    name: str  # as people read it: "1NCE"
    key: str  # as machines read it: "1nce"
    own_credentials: Callable[[Any], C | None]
    default_credentials: Callable[[], C | None]
    default_owner_setting: str
    own_account_owners: Callable[[], Iterable[int]]
    connect_hint: str  # where an administrator connects an account

    def default_owner(self) -> str:
        """The slug of the organization that owns the default account ("" when none does)."""
        if self.default_credentials() is None:
            return ""
        return getattr(settings, self.default_owner_setting, "") or ""

    def credentials_for(self, *, organization) -> C:
        """The account ``organization`` may use; :class:`UpstreamNotConnected` when none."""
        if organization is not None:
            own = self.own_credentials(organization)
            if own is not None:
                return own
            owner = self.default_owner()
            if owner and organization.slug == owner:
                return self.default_credentials()
        raise self.not_connected(organization)

    def is_connected(self, organization) -> bool:
        try:
            self.credentials_for(organization=organization)
        except UpstreamNotConnected:
            return False
        return True

    def connected(self, *, field: str = "") -> Q:
        """A filter for the organizations (``field=""``) or the rows of organizations
        (``field="organization"``) that have an account connected."""
        prefix = f"{field}__" if field else ""
        condition = Q(**{f"{prefix}pk__in": list(self.own_account_owners())})
        owner = self.default_owner()
        if owner:
            condition |= Q(**{f"{prefix}slug": owner})
        return condition

    def not_connected(self, organization) -> UpstreamNotConnected:
        slug = getattr(organization, "slug", None)
        return UpstreamNotConnected(
            f"No {self.name} account is connected to this organization. {self.connect_hint}",
            details={"upstream": self.key, "organization": slug},
        )

    def save_account(self, *, account, values: dict, secrets: dict, context: Context):
        """Connect (``account`` unsaved, its ``organization`` set) or change (``account``
        saved: the stored row is changed, whatever the instance holds) an organization's own
        account: ``values`` are plain fields, ``secrets`` encrypted ones, where an empty value
        keeps the stored secret. Only the organization's admins (or a superuser, or the
        system) may; an organization has one account; the audit entry names the fields
        changed and the secrets replaced, never a secret. Returns the saved account."""
        model = type(account)
        creating = account.pk is None
        values = {name: value for name, value in values.items() if name != "organization"}
        replaced = sorted(name for name, value in secrets.items() if value)
        taken = Conflict(
            f"This organization already has a {self.name} account; change that one.",
            details={"upstream": self.key},
        )
        try:
            with transaction.atomic():
                if creating:
                    target = account
                    if model.objects.filter(organization_id=target.organization_id).exists():
                        self._check_admin(context, target.organization_id)
                        raise taken
                else:
                    target = model.objects.select_for_update().get(pk=account.pk)
                self._check_admin(context, target.organization_id)
                for name, value in values.items():
                    setattr(target, name, value)
                for name in replaced:
                    setattr(target, name, secrets[name])
                missing = [
                    name
                    for name in secrets
                    if not getattr(target, name) and not model._meta.get_field(name).blank
                ]
                if missing:
                    raise InvalidInput(
                        dict.fromkeys(missing, "This secret is required."),
                        message=f"The {self.name} account needs {', '.join(missing)}.",
                    )
                target.save()
                audit.record(
                    operation="CONNECT_ACCOUNT" if creating else "UPDATE_ACCOUNT",
                    resource_type=f"{self.key}_account",
                    resource_id=str(target.pk),
                    context=context,
                    organization=target.organization,
                    request_body={
                        "upstream": self.key,
                        "organization_id": target.organization_id,
                        "values": {name: str(value) for name, value in values.items()},
                        "secrets_replaced": replaced,
                    },
                )
        except IntegrityError:
            raise taken from None
        account.pk = target.pk
        return target

    def _check_admin(self, context: Context, organization_id) -> None:
        actor = context.actor
        if not context.acts_as_admin or (
            actor is not None
            and not actor.is_superuser
            and getattr(actor, "organization_id", None) != organization_id
        ):
            raise PermissionDenied(
                f"Only an admin of the organization connects or changes its {self.name} account."
            )
