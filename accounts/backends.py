"""Authentication backends: the admin login's attempt limit (django-axes) in front of Django's."""

from axes.backends import AxesStandaloneBackend


class LoginLockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out user or address before any password is checked (django-axes).

    The admin login passes its request to ``authenticate()``. Code that authenticates without
    one (a shell, a management command) has no client to lock out: it is let through to the
    next backend instead of failing, as plain ``AxesStandaloneBackend`` would. The API login
    does not go through ``authenticate()`` at all; it has its own per-address limit.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
