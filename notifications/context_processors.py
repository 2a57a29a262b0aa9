from typing import Any

from django.http import HttpRequest


def unread_count(request: HttpRequest) -> dict[str, Any]:
    """The unread badge: one cheap COUNT, only for signed-in users."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def _count() -> int:
        from .models import Notification

        return Notification.objects.filter(user=user, read_at__isnull=True).count()

    return {"unread_notifications": _count}
