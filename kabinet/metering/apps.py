from django.apps import AppConfig


class MeteringConfig(AppConfig):
    name = "kabinet.metering"
    verbose_name = "Приборы учёта"
