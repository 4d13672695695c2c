from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "kabinet.demo"
    verbose_name = "Демо-данные"
