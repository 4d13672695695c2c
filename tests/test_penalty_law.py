"""The dated rules of penalties and due dates as shipped (data migrations), at their first and
last days: the key-rate caps (Постановления № 474 and № 329), the moratoria (№ 424, № 497),
the 15th from February 2026 (Федеральный закон № 177-ФЗ) and the move of a due date off a
non-working day (ГК РФ ст. 193). docs/billing-law.md cites each act."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from kabinet.billing import penalty_rules
from kabinet.billing.law import due_date, is_working_day, penalty_law
from kabinet.billing.models import (
    IncreasingCoefficient,
    KeyRate,
    PenaltyBasis,
    PenaltyRule,
    PenaltyScale,
)
from kabinet.billing.penalty_calculation import Debt, penalty_lines
from kabinet.billing.shipped_law import (
    COEFFICIENTS,
    RULES,
    SCALES,
    install_shipped_law,
    shipped_rates,
)
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db
D = Decimal
date = datetime.date


def one_day_lines(debt, first, last, payments=()):
    lines = penalty_lines([debt], D(0), list(payments), first, last, penalty_law())
    return {(line.first, line.last): (line.rate, line.rule, line.amount) for line in lines}


def test_the_key_rate_history_is_shipped_for_every_organisation():
    law = penalty_law(OrganizationFactory())
    assert law.key_rate(date(2022, 2, 27)) == D("9.50")  # the rate the caps refer to
    assert law.key_rate(date(2022, 2, 28)) == D("20.00")
    assert law.key_rate(date(2024, 10, 28)) == D("21.00")
    assert law.key_rate(date(2026, 2, 16)) == D("15.50")
    assert not KeyRate.objects.filter(organization__isnull=True, source="").exists()


def test_an_organisations_own_rate_is_added_to_the_shipped_history():
    organization = OrganizationFactory()
    organization.key_rates.create(valid_from=date(2026, 10, 24), rate=D("14.00"))
    assert penalty_law(organization).key_rate(date(2026, 10, 31)) == D("14.00")
    assert penalty_law().key_rate(date(2026, 10, 31)) == D("15.50")


def test_the_cap_starts_on_28_february_2022():
    debt = Debt(date(2021, 12, 1), date(2022, 1, 10), D("1000"))
    lines = one_day_lines(debt, date(2022, 2, 27), date(2022, 2, 28))
    # unpaid: the key rate of the calculation day, 28.02.2022 (20 %); capped from that day
    assert lines == {
        (date(2022, 2, 27), date(2022, 2, 27)): (D("20.00"), "key_rate", D("0.67")),
        (date(2022, 2, 28), date(2022, 2, 28)): (D("9.50"), "rate_cap", D("0.32")),
    }


def test_the_caps_hold_across_2025_and_end_after_31_december_2026():
    debt = Debt(date(2024, 8, 1), date(2024, 9, 10), D("1300"))
    across = one_day_lines(debt, date(2024, 12, 31), date(2025, 1, 1))
    # 1 300 × 2 × 9,5 % / 130 (the key rate of 01.01.2025 was 21 %)
    assert across == {(date(2024, 12, 31), date(2025, 1, 1)): (D("9.50"), "rate_cap", D("1.90"))}
    debt = Debt(date(2026, 8, 1), date(2026, 9, 15), D("1300"))
    ending = one_day_lines(debt, date(2026, 12, 31), date(2027, 1, 1))
    assert ending == {  # 1 300 × 9,5 % / 130; 1 300 × 15,5 % / 130
        (date(2026, 12, 31), date(2026, 12, 31)): (D("9.50"), "rate_cap", D("0.95")),
        (date(2027, 1, 1), date(2027, 1, 1)): (D("15.50"), "key_rate", D("1.55")),
    }


def test_under_a_cap_a_lower_key_rate_of_the_day_of_payment_applies():
    debt = Debt(date(2022, 5, 1), date(2022, 6, 10), D("3000"))
    paid = [(date(2022, 9, 20), D("3000"))]
    lines = one_day_lines(debt, date(2022, 7, 11), date(2022, 9, 30), paid)
    # paid on 20.09.2022, when the key rate was 7,5 % (below the 9,5 % cap): 11.07–08.09 at
    # 1/300, from day 91 (09.09) at 1/130
    assert lines == {
        (date(2022, 7, 11), date(2022, 9, 8)): (D("7.50"), "key_rate", D("45.00")),
        (date(2022, 9, 9), date(2022, 9, 20)): (D("7.50"), "key_rate", D("20.77")),
    }


def test_no_penalty_from_6_april_to_31_december_2020():
    debt = Debt(date(2019, 12, 1), date(2020, 1, 10), D("3000"))
    starts = one_day_lines(debt, date(2020, 4, 5), date(2020, 4, 6))
    assert starts == {  # 3 000 × 6 % / 300 on the calculation day's rate
        (date(2020, 4, 5), date(2020, 4, 5)): (D("6.00"), "key_rate", D("0.60")),
        (date(2020, 4, 6), date(2020, 4, 6)): (D("0"), "moratorium", D("0.00")),
    }
    ends = one_day_lines(debt, date(2020, 12, 31), date(2021, 1, 1))
    assert ends == {
        (date(2020, 12, 31), date(2020, 12, 31)): (D("0"), "moratorium", D("0.00")),
        (date(2021, 1, 1), date(2021, 1, 1)): (D("4.25"), "key_rate", D("0.98")),
    }


def test_no_penalty_from_1_april_to_1_october_2022_on_earlier_debts():
    march = Debt(date(2022, 3, 1), date(2022, 4, 11), D("3000"))
    january = Debt(date(2022, 1, 1), date(2022, 2, 10), D("3000"))
    starts = one_day_lines(january, date(2022, 3, 31), date(2022, 4, 1))
    assert starts[date(2022, 3, 31), date(2022, 3, 31)][1] == "rate_cap"
    assert starts[date(2022, 4, 1), date(2022, 4, 1)] == (D("0"), "moratorium", D("0.00"))
    ends = one_day_lines(january, date(2022, 10, 1), date(2022, 10, 2))
    assert ends == {
        (date(2022, 10, 1), date(2022, 10, 1)): (D("0"), "moratorium", D("0.00")),
        (date(2022, 10, 2), date(2022, 10, 2)): (D("7.50"), "key_rate", D("1.73")),
    }
    march_lines = one_day_lines(march, date(2022, 5, 12), date(2022, 10, 1))
    assert {rule for _, rule, _ in march_lines.values()} == {"moratorium"}


def test_the_moratorium_of_2022_spares_no_debt_that_arose_after_it_began():
    april = Debt(date(2022, 4, 1), date(2022, 5, 10), D("3000"))
    lines = one_day_lines(april, date(2022, 6, 10), date(2022, 6, 10))
    assert lines == {(date(2022, 6, 10), date(2022, 6, 10)): (D("9.50"), "rate_cap", D("0.95"))}


# The scale of ч. 14 by date (Федеральный закон № 307-ФЗ, in force 01.01.2016) ----------------

NOVEMBER_2015 = Debt(date(2015, 10, 1), date(2015, 11, 10), D("1000"))


def at_8_25():
    """The shipped law at a fixed 8,25 % (as an online calculator's «ставка 8,25 %»)."""
    return penalty_law(fixed_rate=D("8.25"))


def test_the_editions_of_part_14_are_shipped_with_their_acts():
    scales = penalty_law().scales
    assert [(s.first, s.last, s.free_days, s.fraction, s.step_day, s.step_fraction)
            for s in scales] == [
        (date(2005, 3, 1), date(2015, 12, 31), 0, 300, None, None),
        (date(2016, 1, 1), None, 30, 300, 91, 130),
    ]  # fmt: skip
    sources = list(PenaltyScale.objects.values_list("source", flat=True))
    assert "до Федерального закона от 03.11.2015 № 307-ФЗ" in sources[0]
    assert "в ред. Федерального закона от 03.11.2015 № 307-ФЗ" in sources[1]


def test_before_2016_the_penalty_ran_from_the_first_day_of_delay_at_1_300():
    """ЖК РФ ст. 155 ч. 14 before № 307-ФЗ: 1/300 from the day after the due date. Due
    10.11.2015: 11.11.2015 is day 1 and bears a penalty; from 01.01.2016 (day 52) the new
    edition counts the same days of delay: 1/300 to day 90 (08.02.2016), 1/130 from day 91.
    1 000 × 90 × 8,25 % / 300 = 24,75; 1 000 × 7 × 8,25 % / 130 = 4,44."""
    lines = penalty_lines(
        [NOVEMBER_2015], D(0), [], date(2015, 11, 11), date(2016, 2, 15), at_8_25()
    )
    assert [(line.first, line.last, line.fraction, line.amount) for line in lines] == [
        (date(2015, 11, 11), date(2016, 2, 8), 300, D("24.75")),
        (date(2016, 2, 9), date(2016, 2, 15), 130, D("4.44")),
    ]
    # the 2016 edition on every day would spare days 1–30: 60 days at 1/300, 16,50
    today = penalty_lines([NOVEMBER_2015], D(0), [], date(2015, 11, 11), date(2016, 2, 15),
                          penalty_rules.PenaltyLaw(fixed_rate=D("8.25")))  # fmt: skip
    assert (today[0].first, today[0].amount) == (date(2015, 12, 11), D("16.50"))


def test_a_range_ending_in_the_free_days_of_2016_keeps_the_days_of_2015():
    """On 05.01.2016 the debt is on day 56 of delay; under the 2016 edition days 31–56 bear a
    penalty, under the old one days 1–51 did: 20.12–31.12.2015 at 1/300 (1 000 × 12 × 8,25 %
    / 300 = 3,30) and 01.01–05.01.2016 at 1/300 (day 52–56, new edition's days 31–90)."""
    lines = penalty_lines(
        [NOVEMBER_2015], D(0), [], date(2015, 12, 20), date(2016, 1, 5), at_8_25()
    )
    assert [(line.first, line.last, line.amount) for line in lines] == [
        (date(2015, 12, 20), date(2016, 1, 5), D("4.68")),  # 17 days: 1 000 × 17 × 8,25 % / 300
    ]
    october = Debt(date(2015, 11, 1), date(2015, 12, 10), D("1000"))
    # 31.12.2015 is day 21 (a penalty day then); 01–05.01.2016 are days 22–26 (free now)
    lines = penalty_lines([october], D(0), [], date(2015, 12, 20), date(2016, 1, 5), at_8_25())
    assert [(line.first, line.last, line.amount) for line in lines] == [
        (date(2015, 12, 20), date(2015, 12, 31), D("3.30")),
    ]


def test_a_debt_paid_in_2015_bears_the_refinancing_rate_shipped_for_it():
    """Указание Банка России № 2873-У: 8,25 % from 14.09.2012 to 31.12.2015. Paid on
    20.12.2015: 11.11–20.12.2015, 40 days × 1 000 × 8,25 % / 300 = 11,00."""
    lines = one_day_lines(NOVEMBER_2015, date(2015, 11, 11), date(2016, 1, 31),
                          [(date(2015, 12, 20), D("1000"))])  # fmt: skip
    assert lines == {(date(2015, 11, 11), date(2015, 12, 20)): (D("8.25"), "key_rate", D("11.00"))}


def test_the_organisations_due_day_holds_until_january_2026():
    organization = OrganizationFactory(payment_due_day=10)
    assert due_date(organization, date(2026, 1, 1)) == date(2026, 2, 10)


def test_february_2026_is_the_first_month_due_on_the_15th_whatever_the_contract_says():
    # 15.03.2026 is a Sunday: the term ends on Monday the 16th
    for day in (10, 25):
        organization = OrganizationFactory(payment_due_day=day)
        assert due_date(organization, date(2026, 2, 1)) == date(2026, 3, 16)
        assert due_date(organization, date(2026, 3, 1)) == date(2026, 4, 15)


def test_a_due_date_on_a_holiday_moves_to_the_next_working_day():
    organization = OrganizationFactory(payment_due_day=10)
    # 10.01.2026 is a Saturday of the New Year holidays (to 11 January)
    assert due_date(organization, date(2025, 12, 1)) == date(2026, 1, 12)
    organization.payment_due_day = 12
    # 12.06.2025 День России, 13.06 a day off moved from 08.03, then the weekend
    assert due_date(organization, date(2025, 5, 1)) == date(2025, 6, 16)


def test_a_saturday_made_a_working_day_is_a_due_date():
    organization = OrganizationFactory(payment_due_day=1)
    assert not is_working_day(date(2025, 10, 25))  # an ordinary Saturday
    assert is_working_day(date(2025, 11, 1))  # moved from Monday 3 November
    assert due_date(organization, date(2025, 10, 1)) == date(2025, 11, 1)


def test_the_calendar_covers_2020_to_2027():
    assert not is_working_day(date(2020, 5, 4))  # a day off moved from 04.01.2020
    assert is_working_day(date(2021, 2, 20))  # a working Saturday
    assert not is_working_day(date(2027, 5, 3))  # 1 May 2027 is a Saturday
    assert not is_working_day(date(2027, 12, 31))


def test_the_engine_names_the_rules_as_the_stored_lines_do():
    names = {penalty_rules.KEY_RATE, penalty_rules.RATE_CAP, penalty_rules.MORATORIUM}
    assert names == set(PenaltyBasis.values)


@pytest.mark.django_db(transaction=True)
def test_the_shipped_law_is_back_after_the_database_is_flushed():
    """Django follows a flush (as transactional tests do) with ``post_migrate``: the key rates
    and rules must not vanish for the tests and demos that come after."""
    call_command("flush", interactive=False, verbosity=0)

    assert KeyRate.objects.filter(organization__isnull=True).count() == len(shipped_rates())
    assert PenaltyRule.objects.count() == len(RULES)
    assert PenaltyScale.objects.count() == len(SCALES)
    assert IncreasingCoefficient.objects.filter(organization__isnull=True).count() == len(
        COEFFICIENTS
    )


@pytest.mark.django_db
def test_installing_the_shipped_law_again_adds_nothing_and_corrects_a_changed_row():
    shipped = KeyRate.objects.filter(organization__isnull=True)
    shipped.filter(valid_from=datetime.date(2026, 2, 16)).update(rate=Decimal("1.00"))

    install_shipped_law(KeyRate, PenaltyRule)

    assert shipped.count() == len(shipped_rates())
    assert shipped.get(valid_from=datetime.date(2026, 2, 16)).rate == Decimal("15.50")
