from django.apps import AppConfig


class CustomsConfig(AppConfig):
    name = "customs"

    def ready(self):
        # Celery's autodiscovery imports only customs.tasks; the review's tasks live beside it.
        from customs import review_tasks  # noqa: F401
