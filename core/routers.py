from rest_framework.routers import SimpleRouter


class FleetRouter(SimpleRouter):
    """A router whose routes match with or without a trailing slash (the seeds use none)."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"
