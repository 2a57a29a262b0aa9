"""Signal handlers: session timestamps at sign-in, tokens of deactivated users, and the audit
actor (of new database connections and of Celery tasks)."""

import contextlib
import threading
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.backends.signals import connection_created
from django.db.models.signals import post_save
from django.dispatch import receiver

from .audit import install, reset_actor, set_actor, task_label, thread_actor
from .middleware import AUTH_AT, SEEN_AT


@receiver(user_logged_in, dispatch_uid="security.session_stamps")
def stamp_session(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Start the absolute and idle clocks of the new session (Django already rotated its key)."""
    session = getattr(request, "session", None)
    if session is not None:
        now = int(time.time())
        session[AUTH_AT] = now
        session[SEEN_AT] = now


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="security.deactivated_user_tokens")
def drop_tokens_of_inactive_user(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A deactivated user's API token is deleted; their sessions end at their next request
    (security.middleware.SessionGuardMiddleware; Django's ModelBackend already refuses them)."""
    if not instance.is_active:
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user=instance).delete()


# --- Audit actor: every connection a thread opens carries the thread's actor label --------------

connection_created.connect(install, dispatch_uid="security.actor_on_new_connection")


# --- Celery: every task names itself (`task:<name>:<id>`) as the actor of what it changes -------
# Only the thread's label is set here (security.audit tells whichever connection the task's writes
# run on, including one Celery's Django fixup opens anew around the task).

_stack = threading.local()


def _task_prerun(sender: Any = None, task_id: str | None = None, **kwargs: Any) -> None:
    if not hasattr(_stack, "items"):
        _stack.items = []
    _stack.items.append(thread_actor())
    with contextlib.suppress(Exception):  # the task itself will report a database outage
        set_actor(task_label(getattr(sender, "name", str(sender)), task_id))


def _task_postrun(sender: Any = None, **kwargs: Any) -> None:
    items = getattr(_stack, "items", None) or [""]
    previous = items.pop()
    with contextlib.suppress(Exception):
        if previous:
            set_actor(previous)
        else:
            reset_actor()


try:
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_task_prerun, dispatch_uid="security.task_actor_on")
    task_postrun.connect(_task_postrun, dispatch_uid="security.task_actor_off")
except ImportError:  # pragma: no cover - Celery is a dependency; keep Django usable without it
    pass
