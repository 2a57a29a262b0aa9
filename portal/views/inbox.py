"""消息: the user's notifications (every role has an inbox); opening one marks it read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from notifications.selectors import notification_list
from notifications.services import notification_mark_read
from portal.views.shared import PortalRequest


@login_required
def inbox(request: PortalRequest) -> HttpResponse:
    only_unread = request.GET.get("unread") == "1"
    qs = notification_list(user=request.user)
    if only_unread:
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    return render(request, "portal/inbox.html", {"page": page, "only_unread": only_unread})


@login_required
def notification_open(request: PortalRequest, notification_id: int) -> HttpResponse:
    notification = notification_list(user=request.user).filter(pk=notification_id).first()
    if notification is None:
        raise Http404("未找到该消息。")
    if notification.read_at is None:
        notification_mark_read(user=request.user, notification_id=notification.pk)
    link = notification.link or ""
    safe_link = link if link.startswith("/") and not link.startswith("//") else ""
    return render(request, "portal/notification.html", {"notification": notification, "link": safe_link})


@login_required
@require_POST
def inbox_read_all(request: PortalRequest) -> HttpResponse:
    count = notification_mark_read(user=request.user)
    messages.success(request, f"已将 {count} 条消息标为已读。" if count else "没有未读消息。")
    return redirect("portal:inbox")
