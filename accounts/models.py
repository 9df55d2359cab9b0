"""Tenants and people: every domain row belongs to an ``Organization``; users have a role."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from rest_framework_api_key.models import AbstractAPIKey


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"  # manages the organization's users and keys, and writes
    OPERATOR = "operator", "Operator"  # writes
    VIEWER = "viewer", "Viewer"  # reads only


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=64, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person. Platform superusers (``is_superuser``) see every organization."""

    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    full_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["username", "id"]
        constraints = [
            # Login by e-mail (seed 004) needs one user per address, whatever its case.
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_unique_email",
                condition=~models.Q(email=""),
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_org_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN


class APIKey(AbstractAPIKey):
    """A user's API key: authenticates as its owner, with the owner's organization and role.

    The full key (``sk_live_<prefix>.<secret>``) is shown once; only a SHA-512 hash is kept.
    A ``read_only`` key makes its owner a viewer for the requests it signs.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    read_only = models.BooleanField(default=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    usage_count = models.PositiveBigIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"
        ordering = ["-created", "prefix"]

    @property
    def rate_limit_key(self) -> str:
        return self.rate_limit_key_of(self.prefix)

    @staticmethod
    def rate_limit_key_of(prefix: str) -> str:
        """The rate-limit ident of the key with ``prefix`` (``core.ratelimits``)."""
        return f"key:{prefix}"

    @property
    def organization_id(self):
        return self.user.organization_id


class RefreshToken(models.Model):
    """A refresh token we issued, stored as a SHA-256 hash.

    Each use rotates it: the token is revoked and a new one of the same ``family`` (the
    session started by one login, named by its first token's jti) is issued. Logout, newer
    logins past the limit and the reuse of a rotated token revoke the whole family.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="refresh_tokens")
    jti = models.CharField(verbose_name="token ID", max_length=64, unique=True)
    family = models.CharField(max_length=64, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    user_agent = models.CharField(max_length=512, blank=True)
    ip_address = models.GenericIPAddressField(verbose_name="IP address", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.jti[:8]}"


class AuditStatus(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILED = "failed", "Failed"


class AuditLog(models.Model):
    """One mutating operation (or sensitive read), written in the transaction it records."""

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_logs"
    )
    username = models.CharField(max_length=150, blank=True)  # kept if the user is deleted
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    operation = models.CharField(max_length=64, db_index=True)
    resource_type = models.CharField(max_length=64, db_index=True)
    resource_id = models.CharField(max_length=128, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=AuditStatus.choices, db_index=True)
    request_body = models.JSONField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(verbose_name="IP address", null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    request_id = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["user", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.resource_type}:{self.resource_id} ({self.status})"
