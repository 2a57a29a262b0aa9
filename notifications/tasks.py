from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from .models import Notification
from .services import email_subject


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_emails(notification_ids: list[int]) -> int:
    """E-mail each notification at most once.

    Called by the worker (queued through the task outbox, which may deliver a task twice).
    Each row is claimed first with a conditional UPDATE on `emailed_at`, so two copies of the
    task running at the same time cannot both send it; a failed send gives the claim back and
    re-raises, so Celery's retry sends it later. Returns how many e-mails this run sent.
    """
    sent = 0
    for n in Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related("user"):
        claimed = Notification.objects.filter(pk=n.pk, emailed_at__isnull=True).update(emailed_at=timezone.now())
        if not claimed or not n.user.email:
            continue
        try:
            send_mail(email_subject(n.title), f"{n.body}\n\n{n.link}", settings.DEFAULT_FROM_EMAIL, [n.user.email])
        except Exception:
            Notification.objects.filter(pk=n.pk).update(emailed_at=None)
            raise
        sent += 1
    return sent
