from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "kabinet.webhooks"
    verbose_name = "Вебхуки"
