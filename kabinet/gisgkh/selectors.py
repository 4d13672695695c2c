"""What the ГИС ЖКХ pages read: how far each organisation's identifiers are filled in."""

from dataclasses import dataclass

from django.db.models import Q

from kabinet.billing.models import Service
from kabinet.gisgkh.models import GisOrganization
from kabinet.housing.models import PersonalAccount
from kabinet.metering.models import Meter


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
    services without an НСИ item."""
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
                ).count(),
            )
        )
    return result
