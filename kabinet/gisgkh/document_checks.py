"""The checks a payment document passes before ``payment_documents`` builds it, each error
naming the account: its identifiers (the account's ГИС GUID, the НСИ elements of its services
and penalties), every figure in the form its element takes (a number with a point, the
places and digits the schema allows, no negative where the schema forbids one), and the sums
(``document_totals``): each line's to pay is its charge with its recalculations less the
executor's fine, and the document's total with the debts is its lines, its capital repair
contribution, its penalties and its debts, to the kopeck."""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from kabinet.money import ZERO

_GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
CHARGE_REGISTRIES = (50, 51, 1)
PENALTY_REGISTRY = 329
NUMBER_LENGTH = 30  # PaymentDocumentNumber maxLength


@dataclass(frozen=True)
class Totals:
    charges: Decimal  # TotalPayableByChargeInfo: the lines and the capital repair contribution
    penalties: Decimal  # TotalByPenaltiesAndCourtCosts
    debt: Decimal  # DebtPreviousPeriods (negative: AdvanceBllingPeriod), all payees'
    by_payee: tuple[Decimal, Decimal]  # the period's to pay: the document's payee, capital repair

    @property
    def period(self) -> Decimal:  # TotalPayableByPD
        return self.charges + self.penalties

    @property
    def with_debt(self) -> Decimal:  # TotalPayableByPDWithDebtAndAdvance
        return self.period + self.debt


def document_totals(document) -> Totals:
    """The document's sums, from its parts (the figures checked by ``document_errors``)."""
    repair = document.capital_repair
    lines = sum((line.total for line in document.lines), ZERO)
    main_penalties = sum((p.amount for p in document.penalties if not p.capital_repair), ZERO)
    repair_penalties = sum((p.amount for p in document.penalties if p.capital_repair), ZERO)
    repair_total = repair.total if repair else ZERO
    return Totals(
        charges=lines + repair_total,
        penalties=main_penalties + repair_penalties,
        debt=document.debt + (repair.debt if repair else ZERO),
        by_payee=(lines + main_penalties, repair_total + repair_penalties),
    )


@dataclass(frozen=True)
class Form:
    """What the schema lets a figure be: decimal places, digits before the point, sign."""

    places: int = 2
    whole: int = 11  # totalDigits 13 less 2 places
    negative: bool = True


MONEY = Form()
POSITIVE_MONEY = Form(negative=False)
RATE = Form(places=6, whole=8)  # Rate: totalDigits 14, fractionDigits 6
VOLUME = Form(places=7, whole=15, negative=False)  # ConsumptionVolumeType, VolumePD2Type
NORMATIVE = Form(places=6, whole=14, negative=False)  # VolumePDType
READING = Form(places=5, whole=15, negative=False)  # MDPreviousPeriodReadings' pattern
COEFFICIENT = Form(places=2, whole=3, negative=False)  # Ratio: totalDigits 5
PERCENT = Form(places=2, whole=3, negative=False)  # piecemealPaymentPercent


def figure_error(value, form: Form) -> str | None:
    """Why ``value`` cannot be written as the schema's ``form`` wants (None: it can)."""
    if isinstance(value, str):
        if "," in value:
            return f"«{value}» — число пишется с точкой, а не с запятой"
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            return f"«{value}» — не число"
    if not isinstance(value, Decimal | int) or not Decimal(value).is_finite():
        return f"«{value}» — не число"
    value = Decimal(value)
    if not form.negative and value < 0:
        return f"{value} — отрицательное значение, а схема допускает только от нуля"
    if value != value.quantize(Decimal(1).scaleb(-form.places)):
        return f"{value} — больше {form.places} знаков после точки"
    if abs(value) >= Decimal(10) ** form.whole:
        return f"{value} — больше {form.whole} цифр до точки"
    return None


def _figures(document):
    """(what, value, form) of every figure of ``document``."""
    for line in document.lines:
        name = f"услуга «{line.service}»"
        yield f"{name}, тариф", line.rate, RATE
        yield f"{name}, начислено", line.charged, MONEY
        yield f"{name}, к оплате", line.total, MONEY
        yield f"{name}, перерасчёт", line.recalculation, MONEY
        yield f"{name}, штраф исполнителя", line.executor_fine, POSITIVE_MONEY
        yield f"{name}, превышение за повышающий коэффициент", line.coefficient_charged, MONEY
        for what, value, form in (
            ("объём", line.volume, VOLUME),
            ("объём на ОДН", line.common_volume, VOLUME),
            ("повышающий коэффициент", line.coefficient, COEFFICIENT),
            ("текущее показание", line.current_reading, VOLUME),
            ("норматив", line.normative, NORMATIVE),
        ):
            if value is not None:
                yield f"{name}, {what}", value, form
        if house := line.house:
            for what, value, form in (
                ("показание общедомового прибора учёта", house.meter_reading, VOLUME),
                ("объём в помещениях дома", house.premises_volume, VOLUME),
                ("объём дома на ОДН", house.common_volume, VOLUME),
                ("норматив ОДН", house.common_normative, NORMATIVE),
            ):
                if value is not None:
                    yield f"{name}, {what}", value, form
        if plan := line.instalment:
            yield f"{name}, рассрочка за период", plan.this_period, POSITIVE_MONEY
            yield f"{name}, рассрочка за прошлые периоды", plan.earlier_periods, POSITIVE_MONEY
            yield f"{name}, проценты за рассрочку", plan.interest, POSITIVE_MONEY
            yield f"{name}, ставка рассрочки", plan.rate, PERCENT
    for reading in document.readings:
        if reading.previous is not None:
            yield f"счётчик {reading.device}, предыдущее показание", reading.previous, READING
    for penalty in document.penalties:
        yield f"«{penalty.cause}»", penalty.amount, MONEY
    if repair := document.capital_repair:
        yield "взнос на капитальный ремонт, размер взноса", repair.rate, POSITIVE_MONEY
        yield "взнос на капитальный ремонт, начислено", repair.charged, MONEY
        yield "взнос на капитальный ремонт, перерасчёт", repair.recalculation, MONEY
        yield "взнос на капитальный ремонт, долг прошлых периодов", repair.debt, MONEY
    yield "долг прошлых периодов", document.debt, MONEY
    yield "итого к оплате", document.total, MONEY


def _nsi_error(nsi, registries) -> str | None:
    if not nsi:
        return "не сопоставлена НСИ"
    if nsi[0] not in registries:
        allowed = ", ".join(str(number) for number in registries)
        return (
            f"сопоставлена справочнику НСИ {nsi[0]}, а в платёжном документе — только НСИ {allowed}"
        )
    if not _GUID.fullmatch(str(nsi[2])):
        return f"элемент НСИ с GUID «{nsi[2]}» — не GUID"
    return None


def _identifier_errors(document) -> list[str]:
    errors = []
    if not document.account_guid:
        errors.append("нет идентификатора ЛС в ГИС ЖКХ — загрузите его")
    elif not _GUID.fullmatch(str(document.account_guid)):
        errors.append(f"идентификатор ЛС в ГИС ЖКХ «{document.account_guid}» — не GUID")
    if not 1 <= len(document.number or "") <= NUMBER_LENGTH:
        errors.append(
            f"номер документа «{document.number}» — от 1 до {NUMBER_LENGTH} знаков "
            "(PaymentDocumentNumber)"
        )
    for line in document.lines:
        if error := _nsi_error(line.nsi, CHARGE_REGISTRIES):
            errors.append(f"услуга «{line.service}» {error}")
    repair = document.capital_repair
    if repair is not None and repair.own_payee and not (repair.bik and repair.bank_account):
        errors.append(
            "у получателя взносов на капитальный ремонт не указаны БИК и расчётный счёт — "
            "укажите их в фонде капитального ремонта дома"
        )
    for penalty in document.penalties:
        if error := _nsi_error(penalty.nsi, (PENALTY_REGISTRY,)):
            errors.append(f"«{penalty.cause}»: услуга пеней {error} (НСИ 329 «Неустойки и "
                          "судебные расходы»)")  # fmt: skip
    return errors


def _sum_errors(document) -> list[str]:
    errors = []
    for line in document.lines:
        expected = line.charged + line.recalculation - line.executor_fine
        if line.total != expected:
            errors.append(
                f"услуга «{line.service}»: к оплате {line.total}, а начислено с перерасчётами "
                f"без штрафа исполнителя — {expected}"
            )
    totals = document_totals(document)
    if document.total != totals.with_debt:
        errors.append(
            f"итого к оплате {document.total} не сходится с частями документа: услуги и взнос "
            f"на капремонт {totals.charges}, пени {totals.penalties}, долг {totals.debt} — "
            f"всего {totals.with_debt}"
        )
    return errors


def document_errors(document) -> list[str]:
    """Why ``document`` cannot be posted, each reason naming its account (empty: it can)."""
    errors = _identifier_errors(document)
    figures = [
        f"{what}: {error}"
        for what, value, form in _figures(document)
        if (error := figure_error(value, form))
    ]
    errors += figures or _sum_errors(document)
    return [f"{document.account}: {error}" for error in errors]
