"""Serializer bases for every app: a write body's unknown fields are refused, not dropped.

DRF ignores keys a serializer does not declare, so a client that misspells a field, or sends
one it may not set (``is_superuser`` at registration), gets a 2xx and silently not what it
asked for. Every serializer of ours derives from :class:`FleetSerializer` or
:class:`FleetModelSerializer` (``core/tests/test_strict_fields.py`` holds every app to it), so
such a body answers 422 naming the fields, nested objects and lists of objects included, before
anything is written. Serializers that read query parameters set ``reject_unknown_fields =
False``: a query string carries pagination, sorting and credentials too.

Choice fields also say which values they accept when given another.

Reads take ``core.fastread``'s compiled path: the same answer, to the byte, without DRF's
per-field machinery (and a list page still a queryset is fetched as ``values()`` rows).
"""

from collections.abc import Mapping

from rest_framework import serializers

from core import fastread
from core.viewsets import ORGANIZATION_PARAMETER

UNKNOWN_FIELD = "Unknown field; this body accepts: {allowed}."


class StrictFieldsMixin:
    """Refuse keys that are not writable fields of the serializer (422, one error per key)."""

    reject_unknown_fields = True

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            if isinstance(field, serializers.ChoiceField):
                allowed = ", ".join(str(value) for value in field.choices)
                field.error_messages["invalid_choice"] = (
                    f'"{{input}}" is not a valid choice; use one of: {allowed}.'
                )
        return fields

    def to_internal_value(self, data):
        if self.reject_unknown_fields and isinstance(data, Mapping):
            writable = {
                field.field_name
                for field in self._writable_fields
                if not isinstance(field, serializers.HiddenField)
            }
            # organization_id names the organization a write is for (core.viewsets), whatever
            # the serializer.
            unknown = [key for key in data if key not in writable | {ORGANIZATION_PARAMETER}]
            if unknown:
                allowed = ", ".join(sorted(writable)) or "no fields"
                raise serializers.ValidationError(
                    {str(key): [UNKNOWN_FIELD.format(allowed=allowed)] for key in unknown},
                    code="unknown_field",
                )
        return super().to_internal_value(data)


class FleetSerializer(StrictFieldsMixin, serializers.Serializer):
    """The base of every plain serializer."""


class FleetListSerializer(serializers.ListSerializer):
    """``many=True`` of a model serializer: the child's read plan for every item."""

    def to_representation(self, data):
        if fastread.plan_for(type(self.child)) is None:
            return super().to_representation(data)
        return fastread.represent_many(self.child, data)


class FleetModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """The base of every model serializer."""

    @classmethod
    def many_init(cls, *args, **kwargs):
        serializer = super().many_init(*args, **kwargs)
        if type(serializer) is serializers.ListSerializer:
            serializer.__class__ = FleetListSerializer
        return serializer

    def to_representation(self, instance):
        if fastread.plan_for(type(self)) is None:
            return super().to_representation(instance)
        return fastread.represent(self, instance)
