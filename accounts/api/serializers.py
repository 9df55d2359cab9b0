from django.utils import timezone
from rest_framework import serializers

from accounts.models import APIKey, AuditLog, Organization, Role, User
from accounts.selectors import pending_api_key_uses


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "is_active", "created_at"]
        read_only_fields = ["id", "slug", "is_active", "created_at"]


class OrganizationRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug"]


class UserSerializer(serializers.ModelSerializer):
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


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(required=False, max_length=254)
    email = serializers.EmailField(required=False)
    password = serializers.CharField(trim_whitespace=False, max_length=256)

    def validate(self, attrs):
        identifier = attrs.get("username") or attrs.get("email")
        if not identifier:
            raise serializers.ValidationError({"username": ["Give a username or an email."]})
        attrs["identifier"] = identifier
        return attrs


class TokenUserSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "email", "role", "organization"]

    def get_role(self, user) -> str:
        return Role.ADMIN if user.is_superuser else user.role


class TokenResponseSerializer(serializers.Serializer):
    """The token union of seeds 001, 003 and 004 (answered without the envelope)."""

    success = serializers.BooleanField(default=True)
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(default="bearer")
    expires_in = serializers.IntegerField()
    user = TokenUserSerializer()


class RefreshSerializer(serializers.Serializer):
    refresh_token = serializers.CharField()


class LogoutResponseSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    msg = serializers.CharField()


class RegisterSerializer(serializers.Serializer):
    """An organization admin adds a user to the organization."""

    username = serializers.RegexField(r"^[\w.@+-]+$", max_length=150)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=256)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    full_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.VIEWER)


class OpenRegisterSerializer(serializers.Serializer):
    """Seed 003's self-registration: a username and a password, nothing else."""

    username = serializers.RegexField(r"^[\w.@+-]+$", max_length=150)
    password = serializers.CharField(write_only=True, trim_whitespace=False, max_length=256)
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class OpenRegisterResponseSerializer(serializers.ModelSerializer):
    created_at = serializers.DateTimeField(source="date_joined")

    class Meta:
        model = User
        fields = ["id", "username", "is_active", "created_at"]


class APIKeySerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="prefix", read_only=True)
    # Declared: the model's ``default=None`` would make DRF treat it as optional.
    name = serializers.CharField(max_length=50, help_text="What the key is for.")
    expires_at = serializers.DateTimeField(
        source="expiry_date", required=False, allow_null=True, default=None
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


class APIKeyCreatedSerializer(APIKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The full key. Shown only once.")

    class Meta(APIKeySerializer.Meta):
        fields = [*APIKeySerializer.Meta.fields, "key"]


class AuditLogSerializer(serializers.ModelSerializer):
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
