from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "kabinet.backoffice"
    verbose_name = "Бэк-офис"
