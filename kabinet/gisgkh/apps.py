from django.apps import AppConfig


class GisGkhConfig(AppConfig):
    name = "kabinet.gisgkh"
    label = "gisgkh"
    verbose_name = "ГИС ЖКХ"
