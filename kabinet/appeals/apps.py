from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "kabinet.appeals"
    verbose_name = "Обращения и новости"

    def ready(self):
        from kabinet.appeals import personal_data, receivers  # noqa: F401  (connect receivers)
