from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "kabinet.users"
    verbose_name = "Пользователи"
