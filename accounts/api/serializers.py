from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from accounts.models import APIKey, AuditLog, Organization, Role, User
from accounts.selectors import pending_api_key_uses
from core.serializers import FleetModelSerializer, FleetSerializer

# Keys can be made to expire up to ten years out (expires_in_days).
MAX_KEY_LIFETIME_DAYS = 3650


class OrganizationSerializer(FleetModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "is_active", "created_at"]
        read_only_fields = ["id", "slug", "is_active", "created_at"]


class OrganizationRefSerializer(FleetModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug"]


class UserSerializer(FleetModelSerializer):
    organization = OrganizationRefSerializer(read_only=True)
    role = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(source="date_joined", read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "full_name",
            "role",
            "organization",
            "is_active",
            "is_superuser",
            "created_at",
        ]

    def get_role(self, user) -> str:
        return Role.ADMIN if user.is_superuser else user.role


class LoginSerializer(FleetSerializer):
    username = serializers.CharField(required=False, max_length=254)
    email = serializers.EmailField(required=False)
    password = serializers.CharField(trim_whitespace=False, max_length=256)

    def validate(self, attrs):
        identifier = attrs.get("username") or attrs.get("email")
        if not identifier:
            raise serializers.ValidationError({"username": ["Give a username or an email."]})
        attrs["identifier"] = identifier
        return attrs


class TokenUserSerializer(FleetModelSerializer):
    role = serializers.SerializerMethodField()
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "email", "role", "organization"]

    def get_role(self, user) -> str:
        return Role.ADMIN if user.is_superuser else user.role


class TokenResponseSerializer(FleetSerializer):
    """The token union of seeds 001, 003 and 004 (answered without the envelope)."""

    success = serializers.BooleanField(default=True)
    access_token = serializers.CharField()
    token = serializers.CharField(
        source="access_token",
        help_text="The access token again: seed 003's examples read it as ``token``.",
    )
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(default="bearer")
    expires_in = serializers.IntegerField()
    user = TokenUserSerializer()


class RefreshSerializer(FleetSerializer):
    refresh_token = serializers.CharField()


class LogoutResponseSerializer(FleetSerializer):
    success = serializers.BooleanField()
    msg = serializers.CharField()


class RegisterSerializer(FleetSerializer):
    """An organization admin adds a user to the organization."""

    username = serializers.RegexField(r"^[\w.@+-]+$", max_length=150)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=256)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    full_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.VIEWER)


class OpenRegisterSerializer(FleetSerializer):
    """Seed 003's self-registration: a username and a password, nothing else."""

    username = serializers.RegexField(r"^[\w.@+-]+$", max_length=150)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=256)
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class OpenRegisterResponseSerializer(FleetModelSerializer):
    created_at = serializers.DateTimeField(source="date_joined")

    class Meta:
        model = User
        fields = ["id", "username", "is_active", "created_at"]


class APIKeySerializer(FleetModelSerializer):
    id = serializers.CharField(source="prefix", read_only=True)
    # Declared: the model's ``default=None`` would make DRF treat it as optional.
    name = serializers.CharField(max_length=50, help_text="What the key is for.")
    expires_at = serializers.DateTimeField(
        source="expiry_date", required=False, allow_null=True, default=None
    )
    # What seed 001 and the origin's clients send; the answer gives the resulting expires_at.
    expires_in_days = serializers.IntegerField(
        write_only=True,
        required=False,
        min_value=1,
        max_value=MAX_KEY_LIFETIME_DAYS,
        help_text="Expire the key this many days from now (instead of expires_at).",
    )
    created_at = serializers.DateTimeField(source="created", read_only=True)
    usage_count = serializers.SerializerMethodField()
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = APIKey
        fields = [
            "id",
            "prefix",
            "name",
            "username",
            "read_only",
            "created_at",
            "expires_at",
            "expires_in_days",
            "last_used_at",
            "usage_count",
            "revoked",
            "revoked_at",
        ]
        read_only_fields = ["prefix", "last_used_at", "revoked", "revoked_at"]

    def get_usage_count(self, api_key) -> int:
        return api_key.usage_count + pending_api_key_uses(api_key.prefix)

    def validate_expires_at(self, value):
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("expires_at must be in the future.")
        return value

    def validate(self, attrs):
        days = attrs.pop("expires_in_days", None)
        if days is not None:
            if attrs.get("expiry_date") is not None:
                raise serializers.ValidationError(
                    {"expires_in_days": ["Give expires_in_days or expires_at, not both."]}
                )
            attrs["expiry_date"] = timezone.now() + timedelta(days=days)
        return attrs


class APIKeyCreatedSerializer(APIKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The full key. Shown only once.")

    class Meta(APIKeySerializer.Meta):
        fields = [*APIKeySerializer.Meta.fields, "key"]


class AuditLogSerializer(FleetModelSerializer):
    user_id = serializers.IntegerField(read_only=True)
    organization_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = AuditLog
        fields = [
            "id",
            "user_id",
            "username",
            "organization_id",
            "operation",
            "resource_type",
            "resource_id",
            "status",
            "request_body",
            "response_status",
            "error_message",
            "ip_address",
            "user_agent",
            "request_id",
            "created_at",
        ]
