import pytest
from django.core.exceptions import ValidationError

from kabinet.orgs import validators
from tests.factories import OrganizationFactory


@pytest.mark.parametrize("inn", ["1659001230", "7704123450", "500100732259"])
def test_valid_inn_passes(inn):
    validators.validate_inn(inn)


@pytest.mark.parametrize("inn", ["1659001231", "16590012", "abcdefghij", "500100732258"])
def test_invalid_inn_is_refused(inn):
    with pytest.raises(ValidationError):
        validators.validate_inn(inn)


def test_ogrn_control_digit():
    validators.validate_ogrn("1021600012345")
    with pytest.raises(ValidationError, match="контрольное"):
        validators.validate_ogrn("1021600012346")


@pytest.mark.django_db
def test_settlement_account_must_match_bik():
    organization = OrganizationFactory.build(settlement_account="40702810462000012346")
    with pytest.raises(ValidationError) as error:
        organization.full_clean()
    assert "settlement_account" in error.value.message_dict


@pytest.mark.django_db
def test_reading_window_must_be_ordered():
    organization = OrganizationFactory.build(readings_from_day=26, readings_to_day=25)
    with pytest.raises(ValidationError) as error:
        organization.full_clean()
    assert "readings_to_day" in error.value.message_dict
