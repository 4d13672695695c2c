from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "kabinet.portal"
    verbose_name = "Личный кабинет"
