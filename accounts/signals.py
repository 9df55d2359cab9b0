"""Keep cached API keys true: any change to a key or to its owner drops the cached copy."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import APIKey, User
from accounts.services import forget_cached_api_keys


@receiver([post_save, post_delete], sender=APIKey)
def api_key_changed(sender, instance, **kwargs):
    transaction.on_commit(lambda: forget_cached_api_keys(instance.prefix))


@receiver([post_save, post_delete], sender=User)
def user_changed(sender, instance, **kwargs):
    prefixes = list(APIKey.objects.filter(user_id=instance.pk).values_list("prefix", flat=True))
    if prefixes:
        transaction.on_commit(lambda: forget_cached_api_keys(*prefixes))
