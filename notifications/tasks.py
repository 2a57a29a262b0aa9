from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from .models import Notification
from .services import email_subject


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_emails(notification_ids: list[int]) -> int:
    """E-mail each notification once (idempotent: emailed_at guards a redelivered task)."""
    sent = 0
    for n in Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related("user"):
        if n.user.email:
            send_mail(email_subject(n.title), f"{n.body}\n\n{n.link}", settings.DEFAULT_FROM_EMAIL, [n.user.email])
            sent += 1
        Notification.objects.filter(pk=n.pk, emailed_at__isnull=True).update(emailed_at=timezone.now())
    return sent
