from django.core.management.base import BaseCommand

from kabinet.demo.data import is_loaded, load_demo


class Command(BaseCommand):
    help = "Загружает демонстрационные данные (один раз; повторный запуск ничего не меняет)."

    def handle(self, *args, **options):
        if is_loaded():
            self.stdout.write("Демо-данные уже загружены.")
            return
        load_demo()
        self.stdout.write(
            self.style.SUCCESS(
                "Демо-данные загружены. Вход: demo / demo12345 (житель), "
                "operator / operator12345 (оператор УК), "
                "accountant / accountant12345 (бухгалтер УК), "
                "admin / admin12345 (администратор)."
            )
        )
