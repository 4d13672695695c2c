"""«Новая картинка» of the picture code is limited per client address."""

import pytest

pytestmark = pytest.mark.django_db

REFRESH = "/captcha/refresh/"
AJAX = {"X-Requested-With": "XMLHttpRequest"}


def refresh(client, address):
    return client.get(REFRESH, headers=AJAX, REMOTE_ADDR=address)


def test_refreshing_the_picture_works(client):
    response = refresh(client, "203.0.113.1")
    assert response.status_code == 200
    assert response.json()["image_url"].startswith("/captcha/image/")


def test_more_than_thirty_refreshes_a_minute_from_one_address_are_refused(client):
    for _ in range(30):
        assert refresh(client, "203.0.113.1").status_code == 200
    assert refresh(client, "203.0.113.1").status_code == 429
    assert refresh(client, "203.0.113.2").status_code == 200  # another client is not affected


def test_the_limit_is_per_minute(client, monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr("kabinet.quotas.clock", lambda: now[0])
    for _ in range(31):
        refresh(client, "203.0.113.1")
    assert refresh(client, "203.0.113.1").status_code == 429
    now[0] += 60
    assert refresh(client, "203.0.113.1").status_code == 200
