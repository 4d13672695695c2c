import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_missing_page_is_explained_in_russian(client):
    client.force_login(UserFactory())
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Страница не найдена" in response.text
    assert "Traceback" not in response.text


def test_server_error_page_needs_no_request_context():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Временная ошибка" in response.content.decode()


def test_stale_form_is_explained_instead_of_the_csrf_page():
    response = Client(enforce_csrf_checks=True).post(
        reverse("account_login"), {"login": "x", "password": "y"}
    )
    assert response.status_code == 403
    assert "Форма устарела" in response.text
