"""Identifiers that ГИС ЖКХ assigns to an organisation, its accounts and meters, and the НСИ
reference items our services and resources stand for. All of them are imported (from the
system's exports, ``kabinet.gisgkh.identifiers``) or copied from its web interface by staff;
none is ever generated here. Their formats are the schemas' (``GUIDType``, ``nsiCodeType``,
interface version 16.3.0.0); the ЕЛС and the идентификатор ЖКУ stay on the account
(``housing.PersonalAccount``), where receipts already read them."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from kabinet.billing.models import Service
from kabinet.housing.models import PersonalAccount
from kabinet.metering.models import Meter, Resource
from kabinet.orgs.models import Organization
from kabinet.orgs.scoping import OrganizationScopedQuerySet

# hcs-nsi-base.xsd, nsiCodeType: at most 20 characters of this pattern («1», «1.1», «A056»).
validate_nsi_code = RegexValidator(
    r"^(A?\d{1,4}\.?)+$", "Код элемента НСИ — цифры и точки, например «1» или «2.1»."
)


class GisOrganization(models.Model):
    """The organisation's ``orgPPAGUID``: its place in ГИС ЖКХ's register of organisations, sent
    in the header of every request made on its behalf."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="gis", verbose_name="организация"
    )
    org_ppa_guid = models.UUIDField(
        "идентификатор организации (orgPPAGUID)",
        unique=True,
        help_text="Присваивает ГИС ЖКХ: раздел «Профиль организации» в личном кабинете.",
    )

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "организация в ГИС ЖКХ"
        verbose_name_plural = "организации в ГИС ЖКХ"

    def __str__(self):
        return f"{self.organization}: {self.org_ppa_guid}"


class GisAccount(models.Model):
    """The GUID of the account in ГИС ЖКХ (``AccountGUID`` of ``exportAccountResult``)."""

    account = models.OneToOneField(
        PersonalAccount, on_delete=models.CASCADE, related_name="gis", verbose_name="лицевой счёт"
    )
    account_guid = models.UUIDField("идентификатор ЛС в ГИС ЖКХ (AccountGUID)", unique=True)

    objects = OrganizationScopedQuerySet.through("account__organization").as_manager()

    class Meta:
        verbose_name = "лицевой счёт в ГИС ЖКХ"
        verbose_name_plural = "лицевые счета в ГИС ЖКХ"

    def __str__(self):
        return str(self.account_guid)


class GisMeter(models.Model):
    """The root GUID of a meter in ГИС ЖКХ (``MeteringDeviceRootGUID``), which readings name."""

    meter = models.OneToOneField(
        Meter, on_delete=models.CASCADE, related_name="gis", verbose_name="счётчик"
    )
    root_guid = models.UUIDField("идентификатор ПУ в ГИС ЖКХ (MeteringDeviceRootGUID)", unique=True)

    objects = OrganizationScopedQuerySet.through(
        "meter__account__organization", "meter__house__organization"
    ).as_manager()

    class Meta:
        verbose_name = "счётчик в ГИС ЖКХ"
        verbose_name_plural = "счётчики в ГИС ЖКХ"

    def __str__(self):
        return str(self.root_guid)


class NsiItem(models.Model):
    """A reference to an element of a ГИС ЖКХ НСИ registry (``nsi-base:nsiRef``: code and GUID)."""

    registry = models.PositiveSmallIntegerField(
        "реестровый номер справочника НСИ",
        help_text="Например, 2 — «Вид коммунального ресурса», 50 — «Вид жилищной услуги», "
        "51 — «Главная коммунальная услуга», 1 — «Дополнительные услуги».",
    )
    code = models.CharField("код элемента", max_length=20, validators=[validate_nsi_code])
    guid = models.UUIDField("GUID элемента")
    name = models.CharField("наименование в справочнике", max_length=255, blank=True)

    class Meta:
        abstract = True


class ServiceNsiItem(NsiItem):
    """Which НСИ element a service of ours is in ГИС ЖКХ (payment documents name it)."""

    service = models.OneToOneField(
        Service, on_delete=models.CASCADE, related_name="nsi_item", verbose_name="услуга"
    )

    objects = OrganizationScopedQuerySet.through("service__organization").as_manager()

    class Meta:
        verbose_name = "услуга в НСИ ГИС ЖКХ"
        verbose_name_plural = "услуги в НСИ ГИС ЖКХ"

    def __str__(self):
        return f"{self.service}: НСИ {self.registry}, {self.code}"


class ResourceNsiItem(NsiItem):
    """Which element of НСИ 2 («Вид коммунального ресурса») a metered resource is, per
    organisation (readings name it as ``MunicipalResource``)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name="организация"
    )
    resource = models.CharField("ресурс", max_length=20, choices=Resource.choices)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "ресурс в НСИ ГИС ЖКХ"
        verbose_name_plural = "ресурсы в НСИ ГИС ЖКХ"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "resource"], name="resource_nsi_item_unique"
            )
        ]

    def __str__(self):
        return f"{self.get_resource_display()}: НСИ {self.registry}, {self.code}"


class Posting(models.Model):
    """One sending to ГИС ЖКХ that staff started: an operation (``importMeteringDeviceValues``
    …) of an organisation, for a month when it posts one, cut into messages (``Exchange``).
    It is the subject of the background job that sends it (``jobs.JobKind.GIS_EXCHANGE``)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", verbose_name="организация"
    )
    operation = models.CharField("операция", max_length=60)
    period = models.DateField("расчётный период", null=True, blank=True)
    resend = models.BooleanField("повторная отправка", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("создано", auto_now_add=True)

    objects = OrganizationScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "отправка в ГИС ЖКХ"
        verbose_name_plural = "отправки в ГИС ЖКХ"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.operation} ({self.organization})"


class ExchangeState(models.TextChoices):
    PREPARED = "prepared", "подготовлено"
    SENT = "sent", "принято, ждёт результата"
    DONE = "done", "обработано"
    FAILED = "failed", "отказ"


class Exchange(models.Model):
    """One message of a posting and its asynchronous exchange: the request as it is sent (signed,
    byte for byte the same on every attempt), our ``MessageGUID`` of its header, the
    acknowledgement's ``MessageGUID`` that ``getState`` asks about, and the outcome."""

    posting = models.ForeignKey(
        Posting, on_delete=models.CASCADE, related_name="exchanges", verbose_name="отправка"
    )
    message_guid = models.UUIDField("MessageGUID запроса", unique=True)
    ack_guid = models.UUIDField("MessageGUID квитанции ГИС ЖКХ", unique=True, null=True)
    state = models.CharField(
        "состояние", max_length=10, choices=ExchangeState.choices, default=ExchangeState.PREPARED
    )
    envelope = models.TextField("запрос (SOAP)")
    items = models.JSONField("объекты сообщения", default=dict, blank=True)
    attempts = models.PositiveIntegerField("попыток отправки", default=0)
    polls = models.PositiveIntegerField("запросов состояния", default=0)
    errors = models.JSONField("ошибки", default=list, blank=True)
    outcome = models.CharField(
        "итог загрузки", max_length=200, blank=True,
        help_text="Для запросов лицевых счетов и приборов учёта: что загружено из ответа.",
    )  # fmt: skip
    updated_at = models.DateTimeField("изменено", auto_now=True)

    objects = OrganizationScopedQuerySet.through("posting__organization").as_manager()

    class Meta:
        verbose_name = "сообщение ГИС ЖКХ"
        verbose_name_plural = "сообщения ГИС ЖКХ"
        ordering = ["pk"]

    def __str__(self):
        return str(self.message_guid)


class MessageLog(models.Model):
    """Every request sent and every answer received (or the failure to get one), as it was."""

    class Direction(models.TextChoices):
        OUT = "out", "запрос"
        IN = "in", "ответ"

    exchange = models.ForeignKey(
        Exchange, on_delete=models.CASCADE, related_name="log", verbose_name="сообщение"
    )
    direction = models.CharField("направление", max_length=3, choices=Direction.choices)
    action = models.CharField("SOAPAction", max_length=60)
    status = models.PositiveSmallIntegerField("код HTTP", null=True, blank=True)
    body = models.TextField("текст", blank=True)
    error = models.CharField("ошибка связи", max_length=500, blank=True)
    created_at = models.DateTimeField("время", auto_now_add=True)

    objects = OrganizationScopedQuerySet.through("exchange__posting__organization").as_manager()

    class Meta:
        verbose_name = "запись обмена с ГИС ЖКХ"
        verbose_name_plural = "журнал обмена с ГИС ЖКХ"
        ordering = ["pk"]

    def __str__(self):
        return f"{self.get_direction_display()} {self.action}"
