"""An accountant sets up the authenticator app at the first visit to the back office, in
Chromium, with the Content-Security-Policy in force (no violation on the way)."""

import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import expect

from e2e.conftest import assert_fits_width, sign_in
from kabinet.orgs.models import StaffRole
from tests.factories import PASSWORD, OrganizationFactory, staff_user


@pytest.fixture
def csp_violations(page):
    found = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return found


def test_an_accountant_sets_up_two_factor_before_the_back_office(
    page, site, settings, csp_violations
):
    settings.STAFF_MFA_REQUIRED = True
    accountant = staff_user(OrganizationFactory(), StaffRole.ACCOUNTANT)
    sign_in(page, site, accountant.username, PASSWORD)
    page.goto(f"{site}/admin/")

    page.get_by_label("Пароль").fill(PASSWORD)  # allauth asks for the password once more
    page.get_by_role("button", name="Подтвердить").click()
    qr = page.locator("img.kb-qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0
    assert_fits_width(page)

    secret = page.locator("#authenticator_secret").input_value()
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    page.locator("#id_code").fill(code)
    page.get_by_role("button", name="Активировать").click()
    codes = page.locator("#recovery_codes")  # shown once set up, to be kept on paper
    expect(codes).to_be_visible()
    assert len(codes.input_value().split()) == 10

    page.goto(f"{site}/admin/")
    expect(page.locator("#site-name")).to_be_visible()
    assert csp_violations == []
