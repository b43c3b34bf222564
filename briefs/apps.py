from django.apps import AppConfig


class BriefsConfig(AppConfig):
    name = "briefs"
    verbose_name = "Escalation briefs"

    def ready(self) -> None:
        # The modules that register a notice's composer (notifications.register_composer) are
        # imported here, so a worker that never loads the views that use them can still send.
        from briefs import integrations, reminders  # noqa: F401
