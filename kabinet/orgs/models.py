from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from kabinet.data_versions import KeepsDataVersion
from kabinet.formats import cut_at_word
from kabinet.money import MONEY_FIELD
from kabinet.orgs import validators
from kabinet.orgs.scoping import OrganizationScopedQuerySet

DAY_OF_MONTH = [MinValueValidator(1), MaxValueValidator(31)]
# ГОСТ Р 56042-2014: the payment code's BankName holds at most 45 characters.
BANK_NAME_LIMIT = 45


class TaxSystem(models.IntegerChoices):
    """ЮKassa's ``tax_system_code`` (yookassa.ru/developers/54fz/parameters-values)."""

    GENERAL = 1, "общая система налогообложения"
    SIMPLIFIED_INCOME = 2, "упрощённая (УСН, доходы)"
    SIMPLIFIED_PROFIT = 3, "упрощённая (УСН, доходы минус расходы)"
    IMPUTED = 4, "единый налог на вменённый доход (ЕНВД)"
    AGRICULTURAL = 5, "единый сельскохозяйственный налог (ЕСХН)"
    PATENT = 6, "патентная система"


class VatCode(models.IntegerChoices):
    """ЮKassa's ``vat_code`` of a receipt item (yookassa.ru/developers/54fz/parameters-values;
    codes 11 and 12 — 22 % and 22/122 — from 01.01.2026)."""

    NO_VAT = 1, "без НДС"
    VAT_0 = 2, "НДС 0 %"
    VAT_10 = 3, "НДС 10 %"
    VAT_20 = 4, "НДС 20 %"
    VAT_10_110 = 5, "НДС по расчётной ставке 10/110"
    VAT_20_120 = 6, "НДС по расчётной ставке 20/120"
    VAT_5 = 7, "НДС 5 %"
    VAT_7 = 8, "НДС 7 %"
    VAT_5_105 = 9, "НДС по расчётной ставке 5/105"
    VAT_7_107 = 10, "НДС по расчётной ставке 7/107"
    VAT_22 = 11, "НДС 22 %"
    VAT_22_122 = 12, "НДС по расчётной ставке 22/122"


class ReceiptItems(models.TextChoices):
    """What the fiscal receipt of an online payment lists."""

    SERVICES = "services", "по услуге на строку (по начислениям месяца)"
    SINGLE = "single", "одна строка «Оплата ЖКУ за <месяц>»"


def bank_account_errors(payee) -> dict[str, list[str]]:
    """The accounts of ``payee`` (anything with ``bik``, ``settlement_account`` and
    ``correspondent_account``: a ``Payee``, a ``receipts.Supplier``) that do not belong to the
    bank of the БИК (the control key of the Bank of Russia's rules), by field; checked only
    where the БИК and the account are well formed (their validators speak otherwise)."""
    errors = {}
    if payee.bik and len(payee.bik) == 9 and payee.bik.isdigit():
        for field, check in (
            ("settlement_account", validators.check_settlement_account),
            ("correspondent_account", validators.check_correspondent_account),
        ):
            value = getattr(payee, field)
            if len(value) == 20 and value.isdigit():
                try:
                    check(payee.bik, value)
                except ValidationError as error:
                    errors[field] = error.messages
    return errors


class Payee(models.Model):
    """Whom residents pay, with the bank details that the payment document and its QR code
    (ГОСТ Р 56042-2014) print: the УК (``Organization``) and the payee of a house's capital
    repair contributions (``billing.CapitalRepairFund``). The payee's name stays with each
    model (a unique name of the УК, the fund's ``payee_name``)."""

    inn = models.CharField("ИНН", max_length=12, validators=[validators.validate_inn])
    kpp = models.CharField("КПП", max_length=9, blank=True, validators=[validators.validate_kpp])
    bank_name = models.CharField("банк", max_length=255)
    bank_short_name = models.CharField(
        "краткое наименование банка",
        max_length=BANK_NAME_LIMIT,
        blank=True,
        validators=[validators.validate_payment_text],
        help_text="Для QR-кода оплаты (ГОСТ Р 56042-2014): не длиннее 45 знаков. Пусто — "
        "полное наименование, сокращённое до 45 знаков по словам.",
    )
    bik = models.CharField("БИК", max_length=9, validators=[validators.validate_bik])
    correspondent_account = models.CharField(
        "корр. счёт", max_length=20, validators=[validators.validate_bank_account]
    )
    settlement_account = models.CharField(
        "расчётный счёт", max_length=20, validators=[validators.validate_bank_account]
    )

    class Meta:
        abstract = True

    @property
    def payment_bank_name(self) -> str:
        """The bank's name in the payment QR code: the short name staff gave, else the full
        name cut at a word (a name cut mid-word reads as a typo in the payer's bank app)."""
        return self.bank_short_name or cut_at_word(self.bank_name, BANK_NAME_LIMIT)

    def bank_account_errors(self) -> dict[str, list[str]]:
        return bank_account_errors(self)

    def clean(self):
        super().clean()
        if errors := self.bank_account_errors():
            raise ValidationError(errors)


class Organization(KeepsDataVersion, Payee):
    """A management organisation (управляющая организация, УК)."""

    name = models.CharField("наименование", max_length=255, unique=True)
    ogrn = models.CharField("ОГРН", max_length=15, validators=[validators.validate_ogrn])
    address = models.CharField("адрес", max_length=255)
    phone = models.CharField("телефон", max_length=100, blank=True)
    email = models.EmailField("e-mail", blank=True)
    website = models.URLField("сайт", blank=True)
    # Аварийно-диспетчерская служба: Правила осуществления деятельности по управлению МКД
    # (Постановление Правительства РФ от 15.05.2013 № 416) п. 13 — the УК keeps one, answering
    # a resident's call within 5 minutes; the portal shows its phone and hours.
    dispatch_phone = models.CharField(
        "телефон аварийно-диспетчерской службы", max_length=100, blank=True
    )
    dispatch_hours = models.CharField(
        "часы работы аварийно-диспетчерской службы",
        max_length=100,
        blank=True,
        default="круглосуточно",
    )
    readings_from_day = models.PositiveSmallIntegerField(
        "приём показаний с (число месяца)", default=15, validators=DAY_OF_MONTH
    )
    readings_to_day = models.PositiveSmallIntegerField(
        "приём показаний по (число месяца)",
        default=25,
        validators=DAY_OF_MONTH,
        help_text="31 — до конца месяца.",
    )
    payment_due_day = models.PositiveSmallIntegerField(
        "срок оплаты (число следующего месяца)",
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text="ЖК РФ ст. 155 ч. 1 в редакции до 01.03.2026: до 10-го числа, если договор "
        "управления не устанавливает другой срок. За месяцы с февраля 2026 года срок — 15-е "
        "число (Федеральный закон от 24.06.2025 № 177-ФЗ), это поле не действует.",
    )
    online_payment_limit = models.DecimalField(
        "наибольшая сумма онлайн-оплаты, ₽",
        **MONEY_FIELD,
        default=Decimal("100000.00"),
        validators=[MinValueValidator(Decimal("1.00"))],
        help_text="Житель может заплатить онлайн любую сумму больше нуля, но не больше этой.",
    )
    # The fiscal receipt (54-ФЗ) sent with every online payment (payments.fiscal): the
    # organisation's tax regime, as its accountant states it.
    tax_system_code = models.PositiveSmallIntegerField(
        "система налогообложения (для чеков)",
        choices=TaxSystem.choices,
        default=TaxSystem.GENERAL,
        help_text="Передаётся в чеке онлайн-оплаты (tax_system_code ЮKassa).",
    )
    vat_code = models.PositiveSmallIntegerField(
        "ставка НДС (для чеков)",
        choices=VatCode.choices,
        default=VatCode.NO_VAT,
        help_text="Ставка НДС строк чека онлайн-оплаты (vat_code ЮKassa).",
    )
    receipt_items = models.CharField(
        "строки чека онлайн-оплаты",
        max_length=10,
        choices=ReceiptItems.choices,
        default=ReceiptItems.SERVICES,
    )
    # Bumped by every write that changes what the resident's pages show of all its accounts
    # (a period closed, services, the due day; kabinet/data_versions.py): the pages' cached
    # figures are keyed by it and by the account's own version.
    data_version = models.PositiveIntegerField(
        "версия данных", default=0, db_default=0, editable=False
    )

    objects = OrganizationScopedQuerySet.through("pk").as_manager()

    class Meta:
        verbose_name = "управляющая организация"
        verbose_name_plural = "управляющие организации"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(readings_from_day__gte=1)
                & Q(readings_to_day__lte=31)
                & Q(readings_from_day__lte=F("readings_to_day")),
                name="organization_reading_window_valid",
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = self.bank_account_errors()
        if (self.readings_from_day or 0) > (self.readings_to_day or 31):
            errors["readings_to_day"] = "Окончание приёма показаний раньше его начала."
        if errors:
            raise ValidationError(errors)


class StaffRole(models.TextChoices):
    OPERATOR = "operator", "оператор"
    ACCOUNTANT = "accountant", "бухгалтер"
    MANAGER = "manager", "руководитель"


class StaffMembership(models.Model):
    """A user working for an organisation in the back office, with a role."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_memberships",
        verbose_name="пользователь",
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="staff", verbose_name="организация"
    )
    role = models.CharField("роль", max_length=20, choices=StaffRole.choices)
    created_at = models.DateTimeField("добавлен", auto_now_add=True)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "сотрудник"
        verbose_name_plural = "сотрудники"
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="staff_user_org_unique")
        ]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()}, {self.organization}"
