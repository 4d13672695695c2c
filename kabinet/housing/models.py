from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from kabinet.data_versions import KeepsDataVersion
from kabinet.housing import gis
from kabinet.orgs.models import Organization
from kabinet.orgs.scoping import OrganizationScopedQuerySet

AREA_FIELD = {
    "max_digits": 10, "decimal_places": 2, "null": True, "blank": True,
    "validators": [MinValueValidator(0)],
}  # fmt: skip


class House(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="houses", verbose_name="организация"
    )
    address = models.CharField(
        "адрес", max_length=255, help_text="Например: ул. Гражданская, д. 12"
    )
    # The areas of the common-house share (ОДН, Правила № 354 п. 44, формулы 10, 15 приложения
    # № 2; docs/billing-law.md): a premise's share is its area over the total of all premises.
    residential_area = models.DecimalField(
        "общая площадь жилых помещений, м²", **AREA_FIELD,
        help_text="Всех жилых помещений дома (квартир), по техническому паспорту.",
    )  # fmt: skip
    non_residential_area = models.DecimalField(
        "общая площадь нежилых помещений, м²", **AREA_FIELD,
        help_text="Нежилых помещений, не входящих в состав общего имущества (магазины, офисы).",
    )  # fmt: skip
    common_property_area = models.DecimalField(
        "площадь помещений, входящих в состав общего имущества, м²", **AREA_FIELD,
        help_text="Лестничные клетки, коридоры, холлы и т. п.: по ней считается объём ОДН "
        "по нормативу.",
    )  # fmt: skip
    # ЖК РФ ст. 156 ч. 9.2 (as amended; Постановление № 92 of 03.02.2022): by the normative with
    # a yearly correction by the house meter, or monthly by the meter where the house has an
    # automated metering system or its owners chose it (docs/billing-law.md).
    common_by_meter = models.BooleanField(
        "ОДН ежемесячно по общедомовому прибору учёта",
        default=True,
        db_default=True,
        help_text="Дом с автоматизированной системой учёта или решение собственников. Без "
        "отметки ОДН начисляется по нормативу каждый месяц (годовая корректировка по прибору "
        "в портале пока не рассчитывается).",
    )
    # Правила № 354 п. 44: the common-house volume charged to residents is capped by the
    # normative unless the general meeting decided to distribute the whole excess.
    common_excess_distributed = models.BooleanField(
        "превышение ОДН над нормативом распределяется между помещениями",
        default=False,
        db_default=False,
        help_text="Только по решению общего собрания собственников. Без него объём сверх "
        "норматива жителям не предъявляется.",
    )
    common_excess_decision = models.CharField(
        "решение общего собрания (номер протокола)", max_length=50, blank=True
    )
    common_excess_decided_on = models.DateField(
        "дата решения общего собрания", null=True, blank=True
    )

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "дом"
        verbose_name_plural = "дома"
        ordering = ["address"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "address"], name="house_address_unique"
            ),
            models.CheckConstraint(
                condition=Q(residential_area__gte=0)
                & Q(non_residential_area__gte=0)
                & Q(common_property_area__gte=0),
                name="house_areas_not_negative",
            ),
        ]

    def __str__(self):
        return self.address

    @property
    def premises_area(self) -> Decimal | None:
        """The total area of all residential and non-residential premises (None: not given)."""
        if self.residential_area is None and self.non_residential_area is None:
            return None
        return (self.residential_area or Decimal(0)) + (self.non_residential_area or Decimal(0))

    def clean(self):
        if self.common_excess_distributed and not (
            self.common_excess_decision and self.common_excess_decided_on
        ):
            raise ValidationError(
                {"common_excess_decision": "Укажите номер и дату протокола общего собрания."}
            )


class OwnershipType(models.TextChoices):
    MUNICIPAL = "municipal", "муниципальная"
    PRIVATE = "private", "частная"
    STATE = "state", "государственная"
    SHARED = "shared", "общая долевая"


class PremiseKind(models.TextChoices):
    RESIDENTIAL = "residential", "жилое"
    NON_RESIDENTIAL = "non_residential", "нежилое"


class Premise(models.Model):
    """A premise (квартира or нежилое помещение) in a house. A non-residential premise is billed
    as any other (its account may have no linked resident)."""

    house = models.ForeignKey(
        House, on_delete=models.PROTECT, related_name="premises", verbose_name="дом"
    )
    number = models.CharField("номер", max_length=20)
    area = models.DecimalField(
        "площадь, м²", max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )
    ownership = models.CharField("тип собственности", max_length=20, choices=OwnershipType.choices)
    kind = models.CharField(
        "вид помещения",
        max_length=20,
        choices=PremiseKind.choices,
        default=PremiseKind.RESIDENTIAL,
        db_default=PremiseKind.RESIDENTIAL,  # rows written by COPY (benchmarks, imports)
    )

    objects = OrganizationScopedQuerySet.through("house__organization").as_manager()

    class Meta:
        verbose_name = "помещение"
        verbose_name_plural = "помещения"
        ordering = ["house", "number"]
        constraints = [
            models.UniqueConstraint(fields=["house", "number"], name="premise_number_unique"),
            models.CheckConstraint(condition=Q(area__gte=0), name="premise_area_not_negative"),
        ]

    def __str__(self):
        return f"{self.house}, {self.short_label}"

    @property
    def short_label(self) -> str:
        """«кв. 12» or «пом. 1Н»."""
        prefix = "пом." if self.kind == PremiseKind.NON_RESIDENTIAL else "кв."
        return f"{prefix} {self.number}"


class PersonalAccount(KeepsDataVersion):
    """A personal account (лицевой счёт, ЛС): what is charged and paid."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="accounts", verbose_name="организация"
    )
    number = models.CharField("номер ЛС", max_length=30)
    holder_name = models.CharField("ФИО владельца", max_length=255)
    premise = models.ForeignKey(
        Premise, on_delete=models.PROTECT, related_name="accounts", verbose_name="помещение"
    )
    share = models.DecimalField(
        "доля в помещении",
        max_digits=5,
        decimal_places=4,
        default=1,
        validators=[MinValueValidator(Decimal("0.0001")), MaxValueValidator(1)],
        help_text="Часть площади помещения, за которую платит этот счёт: 1 — всё помещение, "
        "0,5 — половина (например, комната в коммунальной квартире).",
    )
    residents = models.PositiveSmallIntegerField("зарегистрировано человек", default=0)
    owners = models.PositiveSmallIntegerField(
        "собственников",
        db_default=1,
        help_text="Когда никто не зарегистрирован, начисление по нормативу на человека "
        "ведётся по числу собственников (Правила № 354, п. 56(2)).",
    )
    is_open = models.BooleanField("открыт", default=True)
    opened_on = models.DateField("дата открытия", null=True, blank=True)
    closed_on = models.DateField("дата закрытия", null=True, blank=True)
    # Assigned by ГИС ЖКХ and printed on the payment document (see kabinet.housing.gis).
    unified_account = models.CharField(
        "единый лицевой счёт (ЕЛС)",
        max_length=gis.UNIFIED_ACCOUNT_LENGTH,
        null=True,
        blank=True,
        validators=[gis.validate_unified_account],
        help_text="10 знаков, присваивает ГИС ЖКХ.",
    )
    gis_service_id = models.CharField(
        "идентификатор ЖКУ",
        max_length=gis.SERVICE_ID_LENGTH,
        null=True,
        blank=True,
        unique=True,
        validators=[gis.validate_service_id],
        help_text="13 знаков, присваивает ГИС ЖКХ.",
    )
    # Bumped by every write that changes what the resident's pages show of this account
    # (kabinet/data_versions.py): the pages' cached figures are keyed by it.
    data_version = models.PositiveIntegerField(
        "версия данных", default=0, db_default=0, editable=False
    )

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "лицевой счёт"
        verbose_name_plural = "лицевые счета"
        ordering = ["organization", "number"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="account_number_unique")
        ]

    def __str__(self):
        return f"ЛС № {self.number}"

    def clean(self):
        if (
            self.premise_id
            and self.organization_id
            and self.premise.house.organization_id != self.organization_id
        ):
            raise ValidationError({"premise": "Помещение находится в доме другой организации."})


class ManagementContract(models.Model):
    """The management contract (договор управления) between the owners of a house and the УК."""

    house = models.ForeignKey(
        House, on_delete=models.PROTECT, related_name="contracts", verbose_name="дом"
    )
    number = models.CharField("номер договора", max_length=50)
    signed_on = models.DateField("дата заключения")
    valid_from = models.DateField("действует с")
    valid_to = models.DateField("действует по", null=True, blank=True)
    basis = models.CharField(
        "основание",
        max_length=255,
        blank=True,
        help_text="Например: протокол общего собрания собственников № 1 от 15.03.2019",
    )
    notes = models.TextField("условия и примечания", blank=True)

    objects = OrganizationScopedQuerySet.through("house__organization").as_manager()

    class Meta:
        verbose_name = "договор управления"
        verbose_name_plural = "договоры управления"
        ordering = ["house", "-signed_on"]

    def __str__(self):
        return f"Договор № {self.number} от {self.signed_on:%d.%m.%Y}"


class ContractDocument(models.Model):
    """A file staff upload to a contract (the contract itself, annexes, protocols)."""

    contract = models.ForeignKey(
        ManagementContract,
        on_delete=models.CASCADE,
        related_name="documents",
        verbose_name="договор",
    )
    title = models.CharField("название", max_length=255)
    file = models.FileField(
        "файл",
        upload_to="contracts/%Y/",
        validators=[FileExtensionValidator(["pdf", "doc", "docx", "jpg", "jpeg", "png"])],
    )
    uploaded_at = models.DateTimeField("загружен", auto_now_add=True)

    objects = OrganizationScopedQuerySet.through("contract__house__organization").as_manager()

    class Meta:
        verbose_name = "документ договора"
        verbose_name_plural = "документы договора"
        ordering = ["contract", "title"]

    def __str__(self):
        return self.title
