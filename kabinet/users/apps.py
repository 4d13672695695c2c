from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "kabinet.users"
    verbose_name = "Пользователи"

    def ready(self):
        from kabinet.users import sessions  # noqa: F401  (connects the sign-in stamp)
