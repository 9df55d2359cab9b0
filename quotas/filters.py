"""Quotas have no list endpoints yet; top-ups are listed in the admin."""
