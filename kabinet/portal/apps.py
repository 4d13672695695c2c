from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "kabinet.portal"
    verbose_name = "Личный кабинет"

    def ready(self):
        from kabinet import data_versions

        data_versions.connect()  # the versions the pages' cached figures are keyed by
