import datetime
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from kabinet.billing.law import penalty_law
from kabinet.billing.penalty_file import PenaltyFileError, calculate, penalty_table, read_history


def _day(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--to: дата «{text}» не в виде ГГГГ-ММ-ДД") from None


def _rate(text: str) -> Decimal:
    try:
        rate = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise CommandError(f"--rate: «{text}» не число") from None
    if not rate.is_finite() or not 0 < rate <= 100:
        raise CommandError("--rate: ставка в процентах годовых, больше 0 и не больше 100")
    return rate


class Command(BaseCommand):
    help = (
        "Считает пени (ЖК РФ ст. 155 ч. 14) по начислениям и оплатам из CSV-файла "
        "(UTF-8, «;», заголовок «вид;период;сумма;дата») на дату --to: по истории ключевой "
        "ставки с предельными ставками или по ставке --rate; в дни мораториев пени не "
        "начисляются. Правила — docs/billing-law.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV-файл с начислениями и оплатами")
        parser.add_argument("--to", required=True, help="день расчёта, ГГГГ-ММ-ДД")
        parser.add_argument("--rate", help="ключевая ставка, % годовых, для всех дней")

    def handle(self, *args, **options):
        to = _day(options["to"])
        rate = _rate(options["rate"]) if options["rate"] else None
        try:
            with open(options["file"], encoding="utf-8-sig", newline="") as file:
                text = file.read()
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Файл не прочитан: {error}") from None
        try:
            history = read_history(text)
        except PenaltyFileError as error:
            raise CommandError("\n".join(error.problems)) from None
        lines = calculate(history, to, penalty_law(fixed_rate=rate))
        self.stdout.write("\n".join(penalty_table(lines)))
