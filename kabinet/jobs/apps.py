from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "kabinet.jobs"
    verbose_name = "Фоновые задания"
