"""1NCE's Data Streamer authenticates with the HTTP Basic credentials set in 1NCE's portal:
those of one ``DataStream`` (one 1NCE account of one organization)."""

from rest_framework.authentication import BasicAuthentication
from rest_framework.exceptions import AuthenticationFailed

from sites.services import authenticate_stream


class StreamPrincipal:
    """The caller of the ingest endpoint: a stream, not a person."""

    is_authenticated = True
    is_active = True
    is_superuser = False
    is_staff = False
    role = None

    def __init__(self, stream):
        self.stream = stream
        self.pk = f"stream-{stream.pk}"
        self.organization_id = stream.organization_id
        self.organization = stream.organization

    def get_username(self) -> str:
        return self.stream.username


class DataStreamAuthentication(BasicAuthentication):
    www_authenticate_realm = "1nce-data-streamer"

    def authenticate_credentials(self, userid, password, request=None):
        stream = authenticate_stream(userid, password)
        if stream is None:
            raise AuthenticationFailed("Invalid Data Streamer credentials.")
        return StreamPrincipal(stream), stream
