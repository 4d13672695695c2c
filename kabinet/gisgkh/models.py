"""Identifiers that ГИС ЖКХ assigns to an organisation, its accounts and meters, and the НСИ
reference items our services and resources stand for. All of them are imported (from the
system's exports, ``kabinet.gisgkh.identifiers``) or copied from its web interface by staff;
none is ever generated here. Their formats are the schemas' (``GUIDType``, ``nsiCodeType``,
interface version 16.3.0.0); the ЕЛС and the идентификатор ЖКУ stay on the account
(``housing.PersonalAccount``), where receipts already read them."""

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
