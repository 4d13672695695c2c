"""Every main resident page in Chromium at a phone's width (375 px) and a desktop's (1280 px):
nothing scrolls the page sideways on the phone, and axe-core finds no serious or critical
accessibility violation at either width (WCAG 2.1 A/AA rules; issue 17); the same check over
the main staff pages; «Как рассчитано» and «Оспорить» in the browser.

axe-core is a test-only file, vendored in e2e/vendor (see its README): the portal itself loads
nothing from a CDN, and the tests need no network."""

import os
import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from playwright.sync_api import expect

from e2e.conftest import assert_fits_width
from e2e.test_auth_flow import sign_in
from kabinet.appeals.models import Appeal
from kabinet.backoffice import navigation
from kabinet.billing.models import Period
from kabinet.demo.data import load_demo
from kabinet.housing.models import PersonalAccount
from kabinet.jobs.models import Job, JobKind, JobStatus
from kabinet.metering.models import Meter
from kabinet.payments.models import PaymentRegistry, RegistryStatus
from kabinet.users.models import User

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")  # a folder to keep the pages' pictures in
PHONE, DESKTOP = 375, 1280


def axe_violations(page) -> list[str]:
    """Serious and critical violations on the page as it is now, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # evaluated through the DevTools protocol: the page's CSP (our static files only) stays on
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        # only the violations in full: passes and the rest are not collected (axe's own advice
        # for speed, which matters over the back office's long lists)
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                     resultTypes: ['violations']})
            .then(r => r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => v.id + ': ' + v.help + ' — '
                 + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))""",
        AXE_TAGS,
    )
    return list(result)


def resident_pages(page, site) -> list[str]:
    """The pages a resident uses, found by following the portal's own links."""
    page.goto(f"{site}/")
    account = page.get_by_role("link", name="ЛС № 1000154").get_attribute("href")
    page.goto(f"{site}{account}charges/")
    explanation = page.get_by_role("link", name=re.compile("^Как рассчитано")).first
    receipt = page.get_by_role("link", name="Квитанция", exact=True).get_attribute("href")
    return [
        "/",
        account,
        f"{account}charges/",
        explanation.get_attribute("href"),
        receipt,
        f"{account}tariffs/",
        f"{account}penalties/",
        f"{account}meters/",
        f"{account}payments/",
        f"{account}pay/",
        f"{account}contracts/",
        f"{account}appeals/",
        f"{account}appeals/new/",
        "/appeals/",
        "/news/",
        "/profile/",
        "/link/",
    ]


def assert_pay_button_on_first_screen(page):
    """On a phone the account card opens with the amount, «Оплатить до» and «Оплатить»."""
    expect(page.get_by_test_id("pay-first")).to_contain_text("оплатить до")
    button = page.get_by_role("link", name="Оплатить", exact=True).bounding_box()
    details = page.get_by_text("Владелец", exact=True).bounding_box()
    height = page.viewport_size["height"]
    assert button["y"] + button["height"] <= height, f"«Оплатить» at {button['y']}px"
    assert button["y"] < details["y"], "«Оплатить» under the account's details"


STICKING_OUT = """() => [...document.querySelectorAll('main *')].filter(element => {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.right <= window.innerWidth + 0.5) return false;
    // a table may scroll inside its own container, never the page
    for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
      if (['auto', 'scroll'].includes(getComputedStyle(up).overflowX)) return false;
    }
    return true;
  }).slice(0, 5)
    .map(element => element.className + ' ' + element.textContent.slice(0, 40))"""
SMALL_TEXT = """() => [...document.querySelectorAll('main *')].filter(element =>
    [...element.childNodes].some(node => node.nodeType === 3 && node.textContent.trim())
    && element.getClientRects().length
    && parseFloat(getComputedStyle(element).fontSize) < 12
  ).slice(0, 5).map(element => element.tagName + ' ' + element.textContent.trim().slice(0, 40))"""


def assert_readable_on_a_phone(page):
    """The receipt page at 375 px: no text under 12 px, nothing cut off at the screen's right
    edge (besides no sideways scroll of the page, which ``assert_fits_width`` checks)."""
    expect(page.locator(".kb-receipt")).to_be_visible()
    assert page.evaluate(STICKING_OUT) == [], "sticks out of the screen"
    assert page.evaluate(SMALL_TEXT) == [], "text under 12 px"


def test_main_resident_pages_fit_a_phone_and_pass_axe(page, site):
    load_demo()
    sign_in(page, site, "demo", "demo12345")
    expect(page.get_by_role("heading", name="Главная")).to_be_visible()
    problems = []
    for width in (PHONE, DESKTOP):
        page.set_viewport_size({"width": width, "height": 800})
        pages = resident_pages(page, site)
        for path in pages:
            page.goto(f"{site}{path}")
            if width == PHONE:
                assert_fits_width(page)
            if width == PHONE and path == pages[1]:
                assert_pay_button_on_first_screen(page)
            if width == PHONE and path == pages[4]:
                assert_readable_on_a_phone(page)
            problems += [f"{path} at {width}px: {line}" for line in axe_violations(page)]
            if SCREENSHOTS:
                name = path.strip("/").replace("/", "_") or "home"
                page.screenshot(path=Path(SCREENSHOTS) / f"{name}-{width}.png", full_page=True)
    assert not problems, "\n".join(problems)


def test_pages_before_sign_in_pass_axe(page, site):
    page.set_viewport_size({"width": PHONE, "height": 800})
    problems = []
    for path in ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]:
        page.goto(f"{site}{path}")
        assert_fits_width(page)
        problems += [f"{path}: {line}" for line in axe_violations(page)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", [360, DESKTOP])
def test_how_a_line_was_calculated_shows_the_stored_figures(page, site, width):
    """«Как рассчитано» of the card's lines at 360 and 1280 px: the volume's inputs (the
    meter's two readings, or the persons and the normative) and the house's ОДН figures the
    run stored, in steps that fit the screen."""
    load_demo()
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, site, "demo", "demo12345")
    page.get_by_role("link", name="ЛС № 1000154").click()
    page.get_by_role("link", name=re.compile(r"^Как рассчитано\W+Холодное водоснабжение")).click()
    steps = page.get_by_test_id("explanation-steps")
    expect(steps).to_contain_text(re.compile("Прибор учёта №|Норматив"))
    expect(steps).to_contain_text("Доля помещения:")
    assert_fits_width(page)
    assert axe_violations(page) == []


def test_a_resident_disputes_a_line_closes_a_menu_with_esc_and_renews_the_picture_code(page, site):
    load_demo()
    page.set_viewport_size({"width": PHONE, "height": 800})
    sign_in(page, site, "demo", "demo12345")
    page.get_by_role("link", name="ЛС № 1000154").click()
    menu = page.locator("summary", has_text="Разделы")
    menu.click()
    expect(page.get_by_role("navigation", name="Разделы", exact=True)).to_be_visible()
    page.keyboard.press("Escape")  # menus close with Esc
    expect(page.get_by_role("navigation", name="Разделы", exact=True)).to_be_hidden()
    page.get_by_role("link", name=re.compile(r"^Как рассчитано\W+Холодное водоснабжение")).click()
    expect(
        page.get_by_role("heading", name="Как рассчитано: Холодное водоснабжение")
    ).to_be_visible()
    expect(page.get_by_test_id("explanation-steps")).to_contain_text("Общедомовые нужды")
    assert_fits_width(page)
    page.get_by_test_id("dispute").click()
    expect(page.get_by_label("Тема")).to_have_value(re.compile(r"\d+"))
    expect(page.get_by_label("Текст обращения")).to_contain_text("«Холодное водоснабжение»")

    page.goto(f"{site}/link/")  # the picture code can be renewed without losing the form
    picture = page.get_by_role("img", name="Код из пяти символов: введите его в поле ниже")
    first = picture.get_attribute("src")
    page.get_by_role("button", name="Новая картинка").click()
    expect(picture).not_to_have_attribute("src", first)


def admin_pages(user) -> list[str]:
    """Every admin list, «add» form and change form ``user`` may open, from the admin's
    registry and asked of the rule the back office's menus use
    (``backoffice.navigation.may_open``); a change form of the first record the model's list
    shows ``user`` (read-only where the role may only view)."""
    request = RequestFactory().get("/admin/")
    request.user = user
    pages = []
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages += [
            reverse(f"{info}_{view}")
            for view in ("changelist", "add")
            if navigation.may_open(request, f"{info}_{view}")
        ]
        if navigation.may_open(request, f"{info}_changelist"):
            record = model_admin.get_queryset(request).order_by("pk").first()
            if record is not None and model_admin.has_view_permission(request, record):
                pages.append(reverse(f"{info}_change", args=[record.pk]))
    return sorted(set(pages))


def staff_pages(role: str) -> list[str]:
    """Every page of kabinet/backoffice/urls.py the operator and the accountant open (not the
    POST-only actions, the file exports, the head's API keys and webhooks), every admin list
    and «add» form their role opens, and the account's change form; a billing job and a bank
    registry are made for their pages. The readings import is the operator's (the accountant
    gets 403 there)."""
    account = PersonalAccount.objects.get(number="1000154")
    period = Period.objects.filter(organization=account.organization).latest("month")
    job = Job.objects.create(
        organization=account.organization, kind=JobKind.BILLING_RUN, subject=period,
        title=f"Расчёт начислений за {period}", status=JobStatus.SUCCEEDED, total=1, done=1,
    )  # fmt: skip
    registry = PaymentRegistry.objects.create(
        organization=account.organization, file="registries/demo.txt", file_name="demo.txt",
        sha256="0" * 64, status=RegistryStatus.IMPORTED,
    )  # fmt: skip
    meter = Meter.objects.filter(house=account.premise.house).first()
    appeal = Appeal.objects.filter(organization=account.organization).first()
    return [
        "/admin/",
        *admin_pages(User.objects.get(username=role)),
        f"/admin/housing/personalaccount/{account.pk}/change/",
        f"/staff/appeals/{appeal.pk}/",
        f"/staff/jobs/{job.pk}/",
        "/staff/gisgkh/",
        "/staff/readings/",
        *(["/staff/readings/import/"] if role == "operator" else []),
        "/staff/readings/account/",
        f"/staff/readings/account/{account.pk}/",
        "/staff/house-meters/",
        f"/staff/house-meters/{meter.pk}/",
        "/staff/payments/registries/",
        f"/staff/payments/registries/{registry.pk}/",
        "/staff/payments/reconciliation/",
        "/staff/billing/",
        f"/staff/billing/jobs/{job.pk}/",
        "/staff/billing/accounts/",
        f"/staff/billing/accounts/{account.pk}/penalties/",
        "/staff/billing/recalculations/",
        "/staff/billing/documents/undelivered/",
        "/staff/billing/documents/accounts/",
        f"/staff/billing/documents/accounts/{account.pk}/",
        "/staff/billing/common-correction/",
        "/staff/billing/heating-correction/",
    ]


@pytest.mark.parametrize("role", ["operator", "accountant"])
def test_staff_pages_pass_axe(page, site, role):
    load_demo()
    paths = staff_pages(role)
    page.set_viewport_size({"width": DESKTOP, "height": 800})
    sign_in(page, site, role, f"{role}12345")
    expect(page.get_by_role("button", name="Войти")).to_have_count(0)
    problems = []
    for path in paths:  # one browser session per role
        response = page.goto(f"{site}{path}")
        assert response.ok, path
        # the page itself, not a sign-in or setup; an admin change form may hand over to its
        # staff page (an appeal's is /staff/appeals/N/)
        handed_over = path.startswith("/admin/") and page.url.startswith(f"{site}/staff/")
        assert page.url == f"{site}{path}" or handed_over, page.url
        problems += [f"{path}: {line}" for line in axe_violations(page)]
    assert not problems, "\n".join(problems)
