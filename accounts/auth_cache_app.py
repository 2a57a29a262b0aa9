"""The app entry of accounts.auth_cache: connects its revocation receivers in every process
(web, Celery, manage.py), so no change of a user or token row escapes the cache.

Before a user or token row is written through the ORM its epoch is replaced (refused with
AuthCacheUnavailable when Redis does not answer: nothing is written), and again after the
commit; a new row, and a sign-in's `last_login` stamp, need none (HARMLESS_UPDATES)."""

import logging
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

logger = logging.getLogger("security")
auth_cache: Any = None  # accounts.auth_cache, imported in ready() (it needs the app registry)


class AuthCacheConfig(AppConfig):
    name = "accounts.auth_cache_app"
    label = "auth_cache"
    verbose_name = "认证缓存"

    def ready(self) -> None:
        global auth_cache
        from . import auth_cache as module

        auth_cache = module
        connect_receivers()


def _revoke_after_commit(user_id: int) -> None:
    def again() -> None:
        try:
            auth_cache.revoke_user(user_id)
        except auth_cache.AuthCacheUnavailable:  # the change is committed; the pre-write revocation stands
            logger.error("认证缓存：提交后的再次失效失败 user_id=%s（最长 AUTH_CACHE_TTL 秒后自动过期）", user_id)

    transaction.on_commit(again)


def _user_changing(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if instance._state.adding or instance.pk is None:
        return  # a new user: nothing of theirs is cached
    if update_fields is not None and set(update_fields) <= auth_cache.HARMLESS_UPDATES:
        return
    auth_cache.revoke_user(instance.pk)


def _user_changed(sender: Any, instance: Any, created: bool = False, update_fields: Any = None, **kwargs: Any) -> None:
    if created or (update_fields is not None and set(update_fields) <= auth_cache.HARMLESS_UPDATES):
        return
    _revoke_after_commit(instance.pk)


def _user_deleting(sender: Any, instance: Any, **kwargs: Any) -> None:
    auth_cache.revoke_user(instance.pk)


def _user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    _revoke_after_commit(instance.pk)


def _token_changing(sender: Any, instance: Any, **kwargs: Any) -> None:
    if not instance._state.adding and instance.user_id is not None:
        auth_cache.revoke_user(instance.user_id)


def _token_changed(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if not created and instance.user_id is not None:
        _revoke_after_commit(instance.user_id)


def _token_deleting(sender: Any, instance: Any, **kwargs: Any) -> None:
    auth_cache.revoke_user(instance.user_id)


def _token_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    _revoke_after_commit(instance.user_id)


def _organisation_changing(sender: Any, instance: Any, **kwargs: Any) -> None:
    if not instance._state.adding and instance.pk is not None:
        auth_cache.revoke_organisation(instance.pk)


def _organisation_changed(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if created:
        return
    org_id = instance.pk

    def again() -> None:
        try:
            auth_cache.revoke_organisation(org_id)
        except auth_cache.AuthCacheUnavailable:
            logger.error(
                "认证缓存：机构提交后的再次失效失败 organisation_id=%s（最长 AUTH_CACHE_TTL 秒后自动过期）", org_id
            )

    transaction.on_commit(again)


def _request_started(**kwargs: Any) -> None:
    auth_cache._tracker.in_request = True
    auth_cache._tracker.drained = False


def _request_finished(**kwargs: Any) -> None:
    auth_cache._tracker.in_request = False
    auth_cache._tracker.drained = False


def connect_receivers() -> None:
    """Connect the revocation receivers (AuthCacheConfig.ready, so in every process)."""
    from django.core.signals import request_finished, request_started
    from django.test.signals import setting_changed
    from rest_framework.authtoken.models import Token

    setting_changed.connect(auth_cache._setting_changed, dispatch_uid="auth_cache.setting_changed")
    request_started.connect(_request_started, dispatch_uid="auth_cache.request_started")
    request_finished.connect(_request_finished, dispatch_uid="auth_cache.request_finished")

    user = settings.AUTH_USER_MODEL
    pre_save.connect(_user_changing, sender=user, dispatch_uid="auth_cache.user_changing")
    post_save.connect(_user_changed, sender=user, dispatch_uid="auth_cache.user_changed")
    pre_delete.connect(_user_deleting, sender=user, dispatch_uid="auth_cache.user_deleting")
    post_delete.connect(_user_deleted, sender=user, dispatch_uid="auth_cache.user_deleted")
    pre_save.connect(_token_changing, sender=Token, dispatch_uid="auth_cache.token_changing")
    post_save.connect(_token_changed, sender=Token, dispatch_uid="auth_cache.token_changed")
    pre_delete.connect(_token_deleting, sender=Token, dispatch_uid="auth_cache.token_deleting")
    post_delete.connect(_token_deleted, sender=Token, dispatch_uid="auth_cache.token_deleted")
    org = "accounts.Organisation"
    pre_save.connect(_organisation_changing, sender=org, dispatch_uid="auth_cache.org_changing")
    post_save.connect(_organisation_changed, sender=org, dispatch_uid="auth_cache.org_changed")
    pre_delete.connect(_organisation_changing, sender=org, dispatch_uid="auth_cache.org_deleting")
    post_delete.connect(_organisation_changed, sender=org, dispatch_uid="auth_cache.org_deleted")
