from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kabinet.audit"
    verbose_name = "Журнал действий"

    def ready(self):
        from kabinet.audit import receivers  # noqa: F401  (connects the sign-in receiver)
