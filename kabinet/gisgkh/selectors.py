"""What the ГИС ЖКХ pages read: how far each organisation's identifiers are filled in, and
which НСИ elements its services and resources are."""

from dataclasses import dataclass

from django.db.models import Q

from kabinet.billing.models import Service
from kabinet.gisgkh.models import GisOrganization, ResourceNsiItem, ServiceNsiItem
from kabinet.gisgkh.nsi import NO_NSI_METHODS, registries_for
from kabinet.housing.models import PersonalAccount
from kabinet.metering.models import Meter, Resource


@dataclass(frozen=True)
class Coverage:
    organization: object
    org_ppa_guid: object  # None until entered
    accounts: int
    accounts_without_unified: int
    accounts_without_guid: int
    meters: int
    meters_without_guid: int
    services_without_nsi: int


def identifier_coverage(organizations) -> list[Coverage]:
    """Per organisation: open accounts without ЕЛС or GUID, active meters without a root GUID,
    services without an НСИ item (but the capital repair contribution, which takes none)."""
    guids = dict(
        GisOrganization.objects.filter(organization__in=organizations).values_list(
            "organization_id", "org_ppa_guid"
        )
    )
    result = []
    for organization in organizations.order_by("name"):
        accounts = PersonalAccount.objects.filter(organization=organization, is_open=True)
        meters = Meter.objects.filter(
            Q(account__organization=organization) | Q(house__organization=organization),
            is_active=True,
        )
        result.append(
            Coverage(
                organization=organization,
                org_ppa_guid=guids.get(organization.pk),
                accounts=accounts.count(),
                accounts_without_unified=accounts.filter(unified_account__isnull=True).count(),
                accounts_without_guid=accounts.filter(gis__isnull=True).count(),
                meters=meters.count(),
                meters_without_guid=meters.filter(gis__isnull=True).count(),
                services_without_nsi=Service.objects.filter(
                    organization=organization, nsi_item__isnull=True
                )
                .exclude(method__in=NO_NSI_METHODS)
                .count(),
            )
        )
    return result


@dataclass(frozen=True)
class ServiceNsi:
    service: object
    item: object  # ServiceNsiItem or None
    registries: dict  # the НСИ registries it may take (none: the capital repair contribution)


@dataclass(frozen=True)
class ResourceNsi:
    resource: str
    label: str
    item: object  # ResourceNsiItem or None


@dataclass(frozen=True)
class OrganizationNsi:
    organization: object
    services: list[ServiceNsi]
    resources: list[ResourceNsi]


def nsi_overview(organizations) -> list[OrganizationNsi]:
    """Per organisation: its services and the metered resources with their НСИ elements."""
    organizations = list(organizations.order_by("name"))
    services = Service.objects.filter(organization__in=organizations).order_by("position", "name")
    items = {
        item.service_id: item
        for item in ServiceNsiItem.objects.filter(service__organization__in=organizations)
    }
    resources = {
        (item.organization_id, item.resource): item
        for item in ResourceNsiItem.objects.filter(organization__in=organizations)
    }
    by_organization = {organization.pk: [] for organization in organizations}
    for service in services:
        by_organization[service.organization_id].append(
            ServiceNsi(service, items.get(service.pk), registries_for(service))
        )
    return [
        OrganizationNsi(
            organization=organization,
            services=by_organization[organization.pk],
            resources=[
                ResourceNsi(value, label, resources.get((organization.pk, value)))
                for value, label in Resource.choices
            ],
        )
        for organization in organizations
    ]
