"""Records the product writes and nobody edits share one read-only admin (core.admin)."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from accounts.models import AuditLog, RefreshToken
from accounts.tests.factories import UserFactory
from core.admin import ReadOnlyAdmin
from core.models import TaskRun
from usage.models import OrganizationDailyUsage, UsageRecord


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model", [AuditLog, RefreshToken, TaskRun, UsageRecord, OrganizationDailyUsage]
)
def test_bookkeeping_is_neither_added_changed_nor_deleted_in_the_admin(model):
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(organization=None, is_superuser=True, is_staff=True)
    model_admin = admin.site._registry[model]

    assert isinstance(model_admin, ReadOnlyAdmin)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.has_view_permission(request)
