"""HTTP guards on every response: the request body limit, the Content-Security-Policy and
``Cache-Control: no-store`` on personal pages."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


class UnreadableBody:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def post_declaring(client, url, length):
    return client.post(
        url, CONTENT_LENGTH=str(length), CONTENT_TYPE="application/x-www-form-urlencoded",
        **{"wsgi.input": UnreadableBody()},
    )  # fmt: skip


def test_a_huge_body_to_the_login_page_is_refused_unread(client):
    response = post_declaring(client, reverse("account_login"), 200 * MB)
    assert response.status_code == 413
    assert "Слишком большой запрос" in response.content.decode()


def test_a_visitor_who_is_not_signed_in_sends_only_a_small_body(client, settings):
    response = post_declaring(client, reverse("account_signup"), 2 * MB)
    assert response.status_code == 413


def test_a_signed_in_person_may_send_up_to_the_limit_but_not_more(client, settings):
    client.force_login(UserFactory())
    assert post_declaring(client, reverse("portal:home"), 200 * MB).status_code == 413
    settings.MAX_REQUEST_BODY = 10 * MB
    assert post_declaring(client, reverse("portal:home"), 11 * MB).status_code == 413


def test_the_limit_stays_above_the_largest_legitimate_upload(settings):
    from kabinet.appeals.attachments import MAX_ATTACHMENT_SIZE, MAX_ATTACHMENTS
    from kabinet.backoffice.billing_forms import MAX_IMPORT_SIZE as CHARGES
    from kabinet.backoffice.meters_forms import MAX_IMPORT_SIZE as READINGS
    from kabinet.backoffice.payments_forms import MAX_REGISTRY_SIZE

    largest = max(CHARGES, READINGS, MAX_REGISTRY_SIZE, MAX_ATTACHMENTS * MAX_ATTACHMENT_SIZE)
    assert largest + MB <= settings.MAX_REQUEST_BODY  # the form's other fields and boundaries


def test_pages_carry_a_content_security_policy_without_inline_code(client):
    policy = client.get(reverse("account_login")).headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy


def test_every_page_of_a_signed_in_person_is_not_stored(client):
    client.force_login(UserFactory())
    response = client.get(reverse("portal:profile"))
    assert "no-store" in response.headers["Cache-Control"]


def test_a_personal_data_export_is_not_stored(client):
    client.force_login(UserFactory())
    response = client.get(reverse("portal:export_personal_data"))
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


def test_public_pages_of_a_visitor_keep_their_caching(client):
    response = client.get(reverse("portal:privacy"))
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_no_template_has_inline_scripts_styles_or_event_handlers():
    import re
    from pathlib import Path

    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=\"|\son[a-z]+=\"")
    root = Path(__file__).resolve().parent.parent / "kabinet"
    offenders = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in root.rglob("*.html")
        for match in inline.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
