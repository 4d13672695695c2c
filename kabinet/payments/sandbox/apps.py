from django.apps import AppConfig


class SandboxGatewayConfig(AppConfig):
    name = "kabinet.payments.sandbox"
    label = "payments_sandbox"
    verbose_name = "Тестовый платёжный шлюз"
