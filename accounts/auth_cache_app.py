"""The app entry of accounts.auth_cache: connects its revocation receivers in every process
(web, Celery, manage.py), so no change of a user or token row escapes the cache."""

from django.apps import AppConfig


class AuthCacheConfig(AppConfig):
    name = "accounts.auth_cache_app"
    label = "auth_cache"
    verbose_name = "认证缓存"

    def ready(self) -> None:
        from .auth_cache import connect_receivers

        connect_receivers()
