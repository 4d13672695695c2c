"""``manage.py penalty_calc``: a debt history from CSV through the billing run's engine, with
published worked examples reproduced to the kopeck."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from kabinet.formats import NBSP

pytestmark = pytest.mark.django_db
HEADER = "вид;период;сумма;дата\n"


def run(tmp_path, rows, *args):
    path = tmp_path / "debt.csv"
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    out = io.StringIO()
    call_command("penalty_calc", str(path), *args, stdout=out)
    return out.getvalue().splitlines()


def cells(line):
    return re.split(r" {2,}", line.strip())


def test_tanksoil_example_5000_for_15_days_at_7_5_percent(tmp_path):
    """https://tanksoil.ru/articles/raschet-peni-po-zhkh-kak-bystro-schitat («Расчет пени по
    ЖКХ: как быстро считать»): «сумма долга — 5000 рублей, просрочка — 15 дней, ставка ЦБ —
    7.5%. Пени = (5000 × 15 × 1/300 × 7.5) / 100 = 18.75 руб.» Fifteen days at 1/300 are days
    31–45 of delay (ЖК РФ ст. 155 ч. 14): due 10.06.2019, counted to 25.07.2019."""
    lines = run(tmp_path, ["начисление;2019-05;5000,00;2019-06-10"], "--to", "2019-07-25",
                "--rate", "7,5")  # fmt: skip
    assert cells(lines[1]) == [
        "05.2019", "10.06.2019", "11.07.2019–25.07.2019", "15", f"5{NBSP}000,00",
        "ключевая ставка", "7,50", "1/300", "18,75",
    ]  # fmt: skip
    assert lines[-1] == "Итого пени: 18,75"
    assert len(lines) == 3


def test_published_example_100000_for_50_days_at_8_25_percent(tmp_path):
    """https://gist.github.com/1ef3f0268581d79722f3a7fe0357737b («Пример расчёта пени»):
    100 000 рублей, ставка рефинансирования 8,25 %, просрочка 50 дней, «Пеня = сумма к оплате
    x СР x Дн : 100 x 1 / 300» = 100 000 × 8,25 × 50 / 100 / 300 = 1 375,00. Days 31–80 of
    delay are 50 days at 1/300: due 10.01.2018, counted to 31.03.2018."""
    lines = run(tmp_path, ["начисление;2017-12;100000,00;2018-01-10"], "--to", "2018-03-31",
                "--rate", "8.25")  # fmt: skip
    assert "10.02.2018–31.03.2018" in lines[1]
    assert lines[-1] == f"Итого пени: 1{NBSP}375,00"


def test_without_a_rate_the_shipped_history_caps_and_moratoria_apply(tmp_path):
    """By hand: the key rate of the calculation day 31.01.2023 is 7,5 % (below the 9,5 % cap).
    January 2020 (due 10.02.2020): 12.03–05.04.2020 1 000 × 25 × 7,5 % / 300 = 6,25, nothing
    06.04–31.12.2020 (№ 424), 01.01.2021–31.03.2022 1 000 × 455 × 7,5 % / 130 = 262,50, nothing
    01.04–01.10.2022 (№ 497), 02.10.2022–31.01.2023 1 000 × 122 × 7,5 % / 130 = 70,38.
    January 2022 (due 10.02.2022): 13.03–31.03.2022 4,75, the moratorium, then 70,38."""
    rows = ["начисление;2020-01;1000,00;2020-02-10", "начисление;2022-01;1000,00;2022-02-10"]
    lines = run(tmp_path, rows, "--to", "2023-01-31")
    assert sum("мораторий" in line for line in lines) == 5  # split where 1/130 begins
    assert any("06.04.2020–10.05.2020" in line and "мораторий" in line for line in lines)
    assert any("01.01.2021–31.03.2022" in line and line.endswith("262,50") for line in lines)
    assert lines[-1] == "Итого пени: 414,26"


def test_a_payment_naming_nothing_settles_the_oldest_debt_and_a_month_is_due_as_the_law_says(
    tmp_path,
):
    """February 2026 without a due date: the 15th (Федеральный закон № 177-ФЗ), a Sunday, so
    16.03.2026. The payment naming no month pays January first (ГК РФ ст. 319.1 п. 3): 1 000 of
    January paid on 20.04.2026, February's 2 000 unpaid on 31.05.2026. Capped at 9,5 %:
    January (due 10.02.2026) 13.03–20.04.2026 1 000 × 39 × 9,5 % / 300 = 12,35; February
    16.04–31.05.2026 2 000 × 46 × 9,5 % / 300 = 29,13."""
    lines = run(tmp_path, ["начисление;2026-01;1000,00;2026-02-10", "начисление;2026-02;2000,00;",
                           "оплата;;1000,00;2026-04-20"], "--to", "2026-05-31")  # fmt: skip
    assert [cells(line)[:3] for line in lines[1:-1]] == [
        ["01.2026", "10.02.2026", "13.03.2026–20.04.2026"],
        ["02.2026", "16.03.2026", "16.04.2026–31.05.2026"],
    ]
    assert [cells(line)[-1] for line in lines[1:-1]] == ["12,35", "29,13"]
    assert lines[-1] == "Итого пени: 41,48"


def test_a_payment_naming_a_month_settles_it_and_the_older_debt_keeps_its_penalty(tmp_path):
    """The same history, the payment naming February (ГК РФ ст. 319.1 п. 1): February is paid
    1 000 on 20.04.2026, January stays unpaid to 31.05.2026. By hand, capped at 9,5 %:
    January (due 10.02.2026, day 90 is 11.05) 13.03–11.05 1 000 × 60 × 9,5 % / 300 = 19,00 and
    12.05–31.05 1 000 × 20 × 9,5 % / 130 = 14,62; February (due 16.03.2026) 16.04–20.04
    2 000 × 5 × 9,5 % / 300 = 3,17 and 21.04–31.05 1 000 × 41 × 9,5 % / 300 = 12,98."""
    lines = run(tmp_path, ["начисление;2026-01;1000,00;2026-02-10", "начисление;2026-02;2000,00;",
                           "оплата;2026-02;1000,00;2026-04-20"], "--to", "2026-05-31")  # fmt: skip
    assert [(cells(line)[0], cells(line)[2], cells(line)[-1]) for line in lines[1:-1]] == [
        ("01.2026", "13.03.2026–11.05.2026", "19,00"),
        ("01.2026", "12.05.2026–31.05.2026", "14,62"),
        ("02.2026", "16.04.2026–20.04.2026", "3,17"),
        ("02.2026", "21.04.2026–31.05.2026", "12,98"),
    ]
    assert lines[-1] == "Итого пени: 49,77"


def test_what_a_named_payment_brings_beyond_its_month_settles_the_oldest_debt(tmp_path):
    """2 500 naming February pays February's 2 000; the 500 beyond it pays January's oldest
    debt. January: 13.03–20.04 1 000 × 39 × 9,5 % / 300 = 12,35, then 500 to 31.05: 21.04–11.05
    500 × 21 × 9,5 % / 300 = 3,33 and 12.05–31.05 500 × 20 × 9,5 % / 130 = 7,31. February:
    16.04–20.04 2 000 × 5 × 9,5 % / 300 = 3,17."""
    lines = run(tmp_path, ["начисление;2026-01;1000,00;2026-02-10", "начисление;2026-02;2000,00;",
                           "оплата;2026-02;2500,00;2026-04-20"], "--to", "2026-05-31")  # fmt: skip
    assert [cells(line)[-1] for line in lines[1:-1]] == ["12,35", "3,33", "7,31", "3,17"]
    assert lines[-1] == "Итого пени: 26,16"


def test_nothing_due_yet_prints_a_zero_total(tmp_path):
    assert run(tmp_path, ["начисление;2026-10;1000,00;"], "--to", "2026-11-30")[-1] == (
        "Итого пени: 0,00"
    )


def test_bad_rows_are_named_by_line_and_nothing_else_is_printed(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "начисление;2026-13;100;2027-01-15\nоплата;;-5;2026-01-01\n"
                    "начисление;2026-01;1000,00;2026-02-10\nвозврат;;1;2026-01-01\n"
                    "оплата;;10\n", encoding="utf-8")  # fmt: skip
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("penalty_calc", str(path), "--to", "2026-12-31", stdout=out)
    assert out.getvalue() == ""
    assert str(error.value).splitlines() == [
        "строка 2: период «2026-13» не в виде ГГГГ-ММ",
        "строка 3: сумма «-5» должна быть больше нуля, с точностью до копейки",
        "строка 5: вид «возврат» не «начисление» и не «оплата»",
        "строка 6: ожидается 4 поля через «;», а их 3",
    ]


def test_a_file_without_the_header_is_refused(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("начисление;2026-01;1000,00;2026-02-10\n", encoding="utf-8")
    with pytest.raises(CommandError, match="строка 1: заголовок"):
        call_command("penalty_calc", str(path), "--to", "2026-12-31")


def test_open_source_calculator_example_1000_for_may_2019_with_a_payment(tmp_path):
    """The worked example of the open-source ЖКХ penalty calculator aleoreh/penalty-calc-tricky
    (GitHub, src/features/calculator/domain/domain.spec/calculator.spec.ts and src/data.ts):
    1 000 ₽ for May 2019, due on the 10th (10.06.2019), 100 ₽ paid on 01.01.2020, key rate fixed
    at 9,5 %, counted to 18.04.2024 (its calculation date 19.04.2024 is not a day of it);
    30 days free, 1/300 to day 90, 1/130 from day 91. Its figures: «penaltyAmountOfStartDebt»
    103,04 (the 1 000 ₽ part, to 01.01.2020: 19,00 at 1/300 + 84,04 at 1/130), 1/130 in all
    816,05, total 835,05.

    Our moratoria differ from its data by two days: it counts 01.01.2021 (№ 424 suspended
    penalties «до 1 января 2021 г.», so 01.01.2021 is not a moratorium day) and 31.03.2022
    (№ 497 took effect on 01.04.2022) as moratorium days. So the 900 ₽ part bears two days more
    here: 900 × 9,5 % / 130 × 2 = 1,32 more, 733,33 instead of 732,01, total 836,37 — every other
    figure is the calculator's to the kopeck."""
    lines = run(tmp_path, ["начисление;2019-05;1000,00;2019-06-10", "оплата;;100,00;2020-01-01"],
                "--to", "2024-04-18", "--rate", "9,5")  # fmt: skip
    rows = [cells(line) for line in lines[1:-1]]
    penalty = {(row[2], row[-2]): row[-1] for row in rows}
    assert penalty[("11.07.2019–08.09.2019", "1/300")] == "19,00"
    assert penalty[("09.09.2019–01.01.2020", "1/130")] == "84,04"  # 19,00 + 84,04 = 103,04
    late = [row for row in rows if row[4] == "900,00" and row[-2] == "1/130"]
    assert sum(int(row[3]) for row in late if "мораторий" not in row) == 1113 + 2
    assert lines[-1] == "Итого пени: 836,37"
