from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "kabinet.api"
    verbose_name = "API"
