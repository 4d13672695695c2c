"""Staff map their organisation's services and metered resources to the elements of ГИС ЖКХ's
reference books (НСИ 50, 51, 1 and 329 for services, НСИ 2 for resources): checked by format
and for consistency within the organisation, scoped to the staff's organisation and role, and
audited."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kabinet.audit.models import AuditAction, AuditEntry
from kabinet.billing.models import CalculationMethod
from kabinet.gisgkh.models import ResourceNsiItem, ServiceNsiItem
from kabinet.gisgkh.nsi import (
    clear_resource_nsi,
    set_resource_nsi,
    set_service_nsi,
)
from kabinet.gisgkh.selectors import identifier_coverage
from kabinet.gisgkh.services import period_meter_values
from kabinet.metering.models import Resource
from kabinet.orgs.models import Organization, StaffRole
from tests.factories import MeterFactory, ReadingFactory, ServiceFactory, staff_user
from tests.gisgkh_samples import GUID_1, GUID_2, GUID_3

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(own):
    return ServiceFactory(organization=own, name="Содержание жилого помещения")


def nsi_entries():
    return AuditEntry.objects.filter(
        object_type__in=["gisgkh.servicensiitem", "gisgkh.resourcensiitem"]
    ).order_by("pk")


def errors_of(call) -> dict | list:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.message_dict if hasattr(error.value, "error_dict") else error.value.messages


# --- the services ---------------------------------------------------------------------------


def test_a_service_gets_its_element_and_each_change_is_audited(service):
    accountant = staff_user(service.organization, StaffRole.ACCOUNTANT)
    set_service_nsi(service, registry=50, code="1", guid=GUID_1, name="Плата за содержание",
                    by=accountant, ip="192.0.2.5")  # fmt: skip
    item = ServiceNsiItem.objects.get(service=service)
    assert (item.registry, item.code, str(item.guid)) == (50, "1", GUID_1)
    set_service_nsi(service, registry=50, code="1", guid=GUID_1, name="Плата за содержание")
    set_service_nsi(service, registry=50, code="2", guid=GUID_1, name="Плата за содержание")
    added, changed = nsi_entries()
    assert (added.action, added.actor, added.ip, added.organization) == (
        AuditAction.ADDED,
        accountant,
        "192.0.2.5",
        service.organization,
    )
    assert added.changes["code"] == [None, "1"]
    assert added.changes["guid"] == [None, GUID_1]
    assert (changed.action, changed.changes) == (AuditAction.CHANGED, {"code": ["1", "2"]})


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"code": "1,5"}, "code"),
        ({"code": ""}, "code"),
        ({"code": "1" * 21}, "code"),
        ({"guid": "not-a-guid"}, "guid"),
        ({"registry": 2}, "registry"),
        ({"registry": 329}, "registry"),
    ],
)
def test_an_element_that_does_not_fit_is_refused_by_its_field(service, values, field):
    kwargs = {"registry": 51, "code": "1", "guid": GUID_1, **values}
    assert field in errors_of(lambda: set_service_nsi(service, **kwargs))
    assert not ServiceNsiItem.objects.exists()


def test_a_penalty_is_an_element_of_nsi_329_only(own):
    penalty = ServiceFactory(organization=own, method=CalculationMethod.PENALTY)
    assert "registry" in errors_of(
        lambda: set_service_nsi(penalty, registry=50, code="1", guid=GUID_1)
    )
    set_service_nsi(penalty, registry=329, code="1", guid=GUID_1, name="Пени")
    assert ServiceNsiItem.objects.get(service=penalty).registry == 329


def test_the_capital_repair_contribution_takes_no_element(own):
    repair = ServiceFactory(organization=own, method=CalculationMethod.CAPITAL_REPAIR)
    messages = errors_of(lambda: set_service_nsi(repair, registry=50, code="1", guid=GUID_1))
    assert "CapitalRepairCharge" in messages[0]
    assert identifier_coverage(Organization.objects.filter(pk=own.pk))[0].services_without_nsi == 0


def test_one_guid_is_one_element_within_the_organisation(own, service):
    other = ServiceFactory(organization=own, name="Вывоз ТКО")
    set_service_nsi(service, registry=50, code="1", guid=GUID_1)
    assert errors_of(lambda: set_service_nsi(other, registry=50, code="2", guid=GUID_1)) == {
        "guid": [
            "Элемент с этим GUID уже указан для услуги «Содержание жилого помещения» как НСИ 50, "
            "код «1»: у одного элемента один код."
        ]
    }
    assert "code" in errors_of(lambda: set_service_nsi(other, registry=50, code="1", guid=GUID_2))
    set_service_nsi(other, registry=50, code="1", guid=GUID_1)  # the same element: allowed


def test_another_organisations_elements_do_not_constrain_ours(own, other, service):
    theirs = ServiceFactory(organization=other)
    set_service_nsi(theirs, registry=51, code="7", guid=GUID_1)
    set_service_nsi(service, registry=51, code="3", guid=GUID_1)
    assert ServiceNsiItem.objects.count() == 2


# --- the resources --------------------------------------------------------------------------


def test_a_resource_gets_its_element_of_nsi_2_which_the_readings_then_name(own):
    meter = MeterFactory(account__premise__house__organization=own, resource=Resource.COLD_WATER)
    reading = ReadingFactory(meter=meter)
    set_resource_nsi(own, Resource.COLD_WATER, code="1", guid=GUID_2, name="Холодная вода")
    item = ResourceNsiItem.objects.get(organization=own)
    assert (item.registry, item.resource) == (2, Resource.COLD_WATER)
    [value] = period_meter_values(own, reading.period)
    assert value.resource_nsi == ("1", GUID_2)


def test_clearing_a_resource_is_audited(own):
    set_resource_nsi(own, Resource.HEAT, code="5", guid=GUID_3)
    clear_resource_nsi(own, Resource.HEAT)
    clear_resource_nsi(own, Resource.HEAT)  # nothing left: nothing logged
    assert [entry.action for entry in nsi_entries()] == [AuditAction.ADDED, AuditAction.DELETED]
    assert not ResourceNsiItem.objects.exists()


def test_a_resource_and_a_service_may_not_give_one_guid_two_codes(own, service):
    set_resource_nsi(own, Resource.HEAT, code="5", guid=GUID_3)
    assert "guid" in errors_of(lambda: set_service_nsi(service, registry=51, code="5",
                                                       guid=GUID_3))  # fmt: skip


# --- the pages ------------------------------------------------------------------------------


def service_url(service):
    return reverse("backoffice:gisgkh_service_nsi", args=[service.pk])


def resource_url(organization, resource=Resource.COLD_WATER):
    return reverse("backoffice:gisgkh_resource_nsi", args=[organization.pk, resource])


def test_the_list_shows_the_organisations_services_and_not_anothers(client, own, other, service):
    ServiceFactory(organization=other, name="Чужая услуга")
    client.force_login(staff_user(own, StaffRole.OPERATOR))
    page = client.get(reverse("backoffice:gisgkh_nsi")).content.decode()
    assert "Содержание жилого помещения" in page
    assert "Чужая услуга" not in page
    assert service_url(service) not in page  # an operator does not change services
    assert resource_url(own) in page


def test_the_accountant_maps_a_service_on_its_page(client, service):
    client.force_login(staff_user(service.organization, StaffRole.ACCOUNTANT))
    assert client.get(service_url(service)).status_code == 200
    data = {"registry": "50", "code": "1", "guid": GUID_1, "name": "Содержание"}
    response = client.post(service_url(service), data)
    assert response.status_code == 302
    assert ServiceNsiItem.objects.get(service=service).code == "1"
    page = client.get(reverse("backoffice:gisgkh_nsi")).content.decode()
    assert GUID_1 in page


def test_a_bad_element_is_shown_again_with_the_reason(client, service):
    client.force_login(staff_user(service.organization, StaffRole.MANAGER))
    response = client.post(service_url(service), {"registry": "50", "code": "1,5", "guid": GUID_1})
    assert response.status_code == 200
    assert "цифры и точки" in response.content.decode()
    assert not ServiceNsiItem.objects.exists()


def test_a_registry_the_service_may_not_take_is_not_offered(client, service):
    client.force_login(staff_user(service.organization, StaffRole.MANAGER))
    response = client.post(service_url(service), {"registry": "2", "code": "1", "guid": GUID_1})
    assert response.status_code == 200
    assert not ServiceNsiItem.objects.exists()


def test_the_mapping_is_cleared_from_its_page(client, service):
    set_service_nsi(service, registry=50, code="1", guid=GUID_1)
    client.force_login(staff_user(service.organization, StaffRole.ACCOUNTANT))
    response = client.post(service_url(service), {"clear": "1"})
    assert response.status_code == 302
    assert not ServiceNsiItem.objects.exists()
    assert nsi_entries().last().action == AuditAction.DELETED


def test_an_operator_may_not_map_services_and_an_accountant_not_resources(client, own, service):
    client.force_login(staff_user(own, StaffRole.OPERATOR))
    data = {"registry": "50", "code": "1", "guid": GUID_1}
    assert client.post(service_url(service), data).status_code == 403
    assert client.post(resource_url(own), {"code": "1", "guid": GUID_2}).status_code == 302
    client.force_login(staff_user(own, StaffRole.ACCOUNTANT))
    assert (
        client.post(resource_url(own, Resource.HEAT), {"code": "2", "guid": GUID_3}).status_code
        == 403
    )
    assert not ServiceNsiItem.objects.exists()
    assert list(ResourceNsiItem.objects.values_list("resource", flat=True)) == ["cold_water"]


def test_staff_of_another_organisation_get_404(client, own, other, service):
    client.force_login(staff_user(other, StaffRole.MANAGER))
    assert client.get(service_url(service)).status_code == 404
    assert client.post(service_url(service), {"registry": "50", "code": "1",
                                              "guid": GUID_1}).status_code == 404  # fmt: skip
    assert client.post(resource_url(own), {"code": "1", "guid": GUID_2}).status_code == 404
    assert not ServiceNsiItem.objects.exists()
    assert not ResourceNsiItem.objects.exists()


def test_an_unknown_resource_is_404(client, own):
    client.force_login(staff_user(own, StaffRole.MANAGER))
    assert client.get(resource_url(own, "plutonium")).status_code == 404
