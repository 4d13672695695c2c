import os

import pytest
from hypothesis import settings

# Browser tests drive a live server from the test thread; Django must allow ORM use there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Property tests check what is true, not how fast: a per-example deadline fails them when CI's
# two cores are busy (speed goals live in `make bench`, rule 7). Examples stay random.
settings.register_profile("kabinet", deadline=None)
settings.load_profile("kabinet")


def pytest_addoption(parser):
    parser.addoption(
        "--cluster",
        action="store_true",
        help="run the multi-host test (tests/cluster/: network namespaces, as root); "
        "`make cluster-test`",
    )


def pytest_collection_modifyitems(config, items):
    """The multi-host test starts a dozen servers in network namespaces: only when asked."""
    if config.getoption("--cluster"):
        return
    skip = pytest.mark.skip(reason="the multi-host test runs with --cluster (make cluster-test)")
    for item in items:
        if "cluster" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Tests make thousands of users: the production hasher (PBKDF2, about 0.3 s a password by
    design) would cost minutes. What passwords protect is tested through Django's own API, which
    works alike with any hasher; production's hashers are those of kabinet/settings.py."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits live in the cache: every test starts with none used."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True, scope="session")
def _media_outside_the_tree(tmp_path_factory):
    """Files the code keeps by itself — every payment document is stored when issued — go to
    a folder of the session's, never into var/media. A test that looks at its files asks for
    ``media`` (tests/conftest.py), a folder of its own."""
    from django.test import override_settings

    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield
