from django.apps import AppConfig


class HousingConfig(AppConfig):
    name = "kabinet.housing"
    verbose_name = "Жилой фонд"
