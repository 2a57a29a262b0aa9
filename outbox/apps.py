from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "任务发件箱"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the Celery task_postrun/task_failure handlers)
