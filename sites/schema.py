"""OpenAPI description of the Data Streamer's authentication (loaded by SitesConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class DataStreamScheme(OpenApiAuthenticationExtension):
    target_class = "sites.api.authentication.DataStreamAuthentication"
    name = "dataStreamerBasic"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "The Data Streamer credentials from "
            "POST /api/v1/integrations/1nce/data-streamer/credentials, set in 1NCE's portal.",
        }
