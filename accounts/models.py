"""Tenants and people: every domain row belongs to an ``Organization``; users have a role."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


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
