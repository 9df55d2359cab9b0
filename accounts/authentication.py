"""API authentication: API keys (header or query) and JWT bearer tokens."""

from rest_framework.authentication import BaseAuthentication
from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from accounts.metrics import API_KEY_AUTHENTICATIONS
from accounts.services import authenticate_api_key, is_session_revoked
from core.exceptions import InvalidApiKey


class APIKeyAuthentication(BaseAuthentication):
    """``X-API-Key: sk_live_...`` or ``?api_key=sk_live_...``; authenticates as the key's owner."""

    header = "X-API-Key"
    query_param = "api_key"

    def authenticate(self, request):
        raw = request.headers.get(self.header) or request.query_params.get(self.query_param)
        if not raw:
            return None
        api_key = authenticate_api_key(raw.strip())
        if api_key is None:
            API_KEY_AUTHENTICATIONS.labels(outcome="failure").inc()
            raise InvalidApiKey
        API_KEY_AUTHENTICATIONS.labels(outcome="success").inc()
        return api_key.user, api_key

    def authenticate_header(self, request):
        return self.header


class JWTAuthentication(SimpleJWTAuthentication):
    """simplejwt's bearer authentication, refusing access tokens of a logged-out session."""

    def get_validated_token(self, raw_token):
        token = super().get_validated_token(raw_token)
        sid = token.get("sid")
        if sid and is_session_revoked(sid):
            raise AuthenticationFailed("Token has been revoked.", code="token_revoked")
        return token
