"""Kabinet settings, read from environment variables.

The defaults are for development: SQLite and e-mail files under ``var/``, background tasks run
in-process. Production sets ``DEBUG=0``, ``SECRET_KEY``, ``ALLOWED_HOSTS``, ``DATABASE_URL`` and
``EMAIL_HOST`` (see README and docs/security.md). The settings fail closed: development is the
default only on a local host, and a value that cannot be read stops the start.
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from kabinet.storage import default_storage_from_env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KABINET_VAR_DIR", BASE_DIR / "var"))


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1", "testserver"}


def env_bool(name, default):
    """A yes/no variable; anything but 1/0, true/false, yes/no, on/off stops the start, so that
    a typo (``DEBUG=fasle``) never silently picks one side."""
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: expected 1/0, true/false, yes/no or on/off.")


def env_int(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a whole number.") from None


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
# Development (the default) serves only this machine: on a public host a forgotten DEBUG=0 would
# otherwise mean the development key, the sandbox gateway (no money moves) and insecure cookies.
if DEBUG and set(ALLOWED_HOSTS) - LOCAL_HOSTS:
    raise ImproperlyConfigured(
        "DEBUG is on (the default) but ALLOWED_HOSTS names a public host: set DEBUG=0 in "
        f"production ({', '.join(sorted(set(ALLOWED_HOSTS) - LOCAL_HOSTS))})."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The portal's address for links in e-mails sent without a request (background tasks).
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/") or (
    f"https://{ALLOWED_HOSTS[0]}" if not DEBUG and ALLOWED_HOSTS else "http://127.0.0.1:8000"
)

INSTALLED_APPS = [
    "kabinet.portal",
    "kabinet.backoffice",
    "kabinet.orgs",
    "kabinet.housing",
    "kabinet.users",
    "kabinet.appeals",
    "kabinet.metering",
    "kabinet.payments",
    "kabinet.payments.sandbox",
    "kabinet.billing",
    "kabinet.jobs",
    "kabinet.receipts",
    "kabinet.audit",
    "kabinet.api",
    "kabinet.webhooks",
    "kabinet.gisgkh",
    "kabinet.demo",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks_db",
    "captcha",
    "bootstrap",
    "ninja",  # the API's documentation page and its static files
]

MIDDLEWARE = [
    "kabinet.observability.health.ProbeMiddleware",  # /healthz, /readyz, /metrics: not for people
    "kabinet.observability.logs.RequestIdMiddleware",
    "kabinet.observability.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "kabinet.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kabinet.middleware.RequestBodyLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "kabinet.users.sessions.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "kabinet.users.mfa.StaffTwoFactorMiddleware",
]

if not DEBUG:  # in development runserver serves static files; in production whitenoise does
    MIDDLEWARE.insert(4, "whitenoise.middleware.WhiteNoiseMiddleware")

# Content-Security-Policy: scripts and styles only from our own static files (no inline code, no
# event-handler attributes), images also as data: URIs (Bootstrap's icons), no plugins, no framing.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Request bodies. Django keeps at most DATA_UPLOAD_MAX_MEMORY_SIZE of form fields (not files) in
# memory and writes uploaded files above FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file.
# MAX_REQUEST_BODY caps the whole body of a signed-in person's request before anything reads it:
# the largest legitimate upload is staff's charges import (100 MB, backoffice/billing_forms.py;
# a registry is at most 50 MB, an appeal 5 files × 10 MB). A visitor who is not signed in (login,
# sign-up, gateway notifications) sends at most MAX_ANONYMOUS_REQUEST_BODY. The reverse proxy's
# own limit (nginx: client_max_body_size 110m) must match MAX_REQUEST_BODY.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MB
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
MAX_REQUEST_BODY = env_int("MAX_REQUEST_BODY", 110 * 1024 * 1024)
MAX_ANONYMOUS_REQUEST_BODY = env_int("MAX_ANONYMOUS_REQUEST_BODY", 1024 * 1024)

ROOT_URLCONF = "kabinet.urls"
WSGI_APPLICATION = "kabinet.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kabinet" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kabinet.portal.context_processors.portal_frame",
            ],
        },
    },
]

if "DATABASE_URL" not in os.environ:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded SQLite database lives here
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'kabinet.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0" if DEBUG else "60")),
    )
}
# A read replica for reads where a stale answer is harmless (exports; kabinet/dbrouting.py).
# Off by default. In tests the alias mirrors the default database.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
        test_options={"MIRROR": "default"},
    )
    DATABASE_ROUTERS = ["kabinet.dbrouting.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {  # ASVS 6.2.1: at least 12 characters for everyone (demo users are made in code)
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"

# Reverse proxies of our own in front of the web processes (nginx: 1). Client addresses for rate
# limits and records are read from X-Forwarded-For that many entries from the right
# (kabinet.http.client_ip, allauth's limits); 0 takes REMOTE_ADDR and ignores the header.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT cannot be negative.")
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# The portal's name as people see it: page titles, the greeting of account e-mails.
PORTAL_NAME = os.environ.get("PORTAL_NAME", "Личный кабинет потребителя")

# django-allauth: login by username or e-mail, mandatory e-mail confirmation, rate limits.
ACCOUNT_ADAPTER = "kabinet.users.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_FORMS = {
    "signup": "kabinet.users.forms.SignupForm",
    "login": "kabinet.users.forms.LoginForm",
    "add_email": "kabinet.users.forms.AddEmailForm",
}
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_USERNAME_VALIDATORS = "kabinet.users.validators.username_validators"
ACCOUNT_SESSION_REMEMBER = None  # the «Запомнить?» checkbox decides
# Sign-up with a registered e-mail looks like any sign-up (the address's owner gets an e-mail
# saying they already have an account); a taken login must be shown, as it cannot be hidden.
ACCOUNT_PREVENT_ENUMERATION = True
# Adding, removing or switching an e-mail address asks for the password again (ASVS 6.4: the
# e-mail is where password resets go).
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Личный кабинет] "
ACCOUNT_RATE_LIMITS = {
    "login_failed": "20/m/ip,5/15m/key",
    "signup": "10/h/ip",
    "reset_password": "20/h/ip,3/h/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
}
# «Мой профиль»: a new e-mail replaces the old one once confirmed; the old address is told.
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_EMAIL_CONFIRMATION_AUTHENTICATED_REDIRECT_URL = "portal:profile"
# Sessions in the database every web node reads (a node can be replaced or removed between two
# requests of one session); the messages ride in the session or the cookie, CSRF in the cookie.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 14 * 24 * 3600  # «Запомнить меня» keeps the session for two weeks
# Session limits in seconds (kabinet.users.sessions): a resident without «Запомнить?» is signed
# out after 2 hours idle; every resident session ends 14 days after signing in. Staff: 30 minutes
# idle, 12 hours in all.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 2 * 3600)
SESSION_ABSOLUTE_TIMEOUT = env_int("SESSION_ABSOLUTE_TIMEOUT", SESSION_COOKIE_AGE)
STAFF_SESSION_IDLE_TIMEOUT = env_int("STAFF_SESSION_IDLE_TIMEOUT", 30 * 60)
STAFF_SESSION_ABSOLUTE_TIMEOUT = env_int("STAFF_SESSION_ABSOLUTE_TIMEOUT", 12 * 3600)

# Two-factor sign-in (allauth.mfa): an authenticator app (TOTP) with recovery codes. With
# STAFF_MFA_REQUIRED (production's default) accountants, managers and superusers must set it up
# before the back office opens; development leaves it to them, so the demo needs no phone.
MFA_ADAPTER = "kabinet.users.mfa.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = os.environ.get("MFA_TOTP_ISSUER", "Личный кабинет ЖКХ")
STAFF_MFA_REQUIRED = env_bool("STAFF_MFA_REQUIRED", not DEBUG)

# The picture code on «Добавить лицевой счёт». Automated tests may switch on a mode in which
# the answer «PASSED» is accepted; it is refused outside development.
CAPTCHA_TEST_MODE = env_bool("KABINET_CAPTCHA_TEST_MODE", False)
if CAPTCHA_TEST_MODE and not DEBUG:
    raise ImproperlyConfigured("KABINET_CAPTCHA_TEST_MODE is for tests only (DEBUG is off).")
CAPTCHA_LENGTH = 5
CAPTCHA_REFRESH_LIMIT = env_int("CAPTCHA_REFRESH_LIMIT", 30)  # new pictures a minute per client
CAPTCHA_FONT_SIZE = 30
CAPTCHA_IMAGE_SIZE = (150, 50)

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский")]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
# Russian for what Django's own translation leaves in English or in the wrong case (the admin's
# «Filter by…», «- Select an option -», the time-zone note, «Выберите управляющая организация»),
# and the genitive month after a day («27 ноября»).
LOCALE_PATHS = [BASE_DIR / "kabinet" / "locale"]
FORMAT_MODULE_PATH = ["kabinet.locale_formats"]
USE_TZ = True

STATIC_URL = "static/"
# collectstatic writes here and whitenoise serves from here (nginx too: its /static/ alias).
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"  # uploaded files are not public: views check access and stream them
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Uploaded files: MEDIA_ROOT on this disk, or S3-compatible storage every node sees when
# STORAGE_S3_BUCKET is set (kabinet/storage.py, deploy/README.md «Several machines»).
STORAGES = {
    "default": default_storage_from_env(os.environ),
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# E-mail: SMTP when EMAIL_HOST is set (or in production), else one file per message in var/mail.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Личный кабинет <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if os.environ.get("EMAIL_HOST") or not DEBUG:
    MAILERS = {
        "default": {
            "BACKEND": "kabinet.observability.mail.CountingSMTPBackend",
            "OPTIONS": {
                "host": os.environ.get("EMAIL_HOST", "localhost"),
                "port": int(os.environ.get("EMAIL_PORT", "25")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                "use_ssl": env_bool("EMAIL_USE_SSL", False),
                "timeout": 30,
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "kabinet.observability.mail.CountingFileBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }

# Uploaded tables (kabinet/tabular.py) are measured before they are parsed. An honest XLSX packs
# 7–8 times and takes ~265 bytes of sheet XML a row: 900 000 charge lines unpack to ~240 MB.
IMPORT_MAX_UNPACKED_MB = int(os.environ.get("IMPORT_MAX_UNPACKED_MB", "300"))
IMPORT_MAX_COMPRESSION_RATIO = int(os.environ.get("IMPORT_MAX_COMPRESSION_RATIO", "100"))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "1100000"))

# Per-user quotas (kabinet/quotas.py): "amount/period" (s, m, h, d; "5/15m"), "M" for megabytes.
QUOTAS = {
    "appeals": os.environ.get("QUOTA_APPEALS", "10/h"),
    "appeal_messages": os.environ.get("QUOTA_APPEAL_MESSAGES", "30/h"),
    "link_requests": os.environ.get("QUOTA_LINK_REQUESTS", "5/d"),
    "link_attempts": os.environ.get("QUOTA_LINK_ATTEMPTS", "20/h"),
    "password_confirmations": os.environ.get("QUOTA_PASSWORD_CONFIRMATIONS", "5/15m"),
    "upload_bytes": os.environ.get("QUOTA_UPLOADS", "100M/d"),
    "api_requests": os.environ.get("QUOTA_API_REQUESTS", "120/m"),  # per API token
}

# Cache: Redis when REDIS_URL is set (needed for rate limits shared by several web processes).
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background tasks: in-process by default; TASKS_BACKEND=database queues them for `db_worker`.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend"
        if os.environ.get("TASKS_BACKEND") == "database"
        else "django.tasks.backends.immediate.ImmediateBackend"
    }
}

# Webhooks of organisations (kabinet/webhooks): plain http:// addresses only in development.
# They go to servers on the internet only (kabinet/webhooks/addresses.py): an address that is
# loopback, private, link-local, multicast or otherwise special is refused when saved and at
# each delivery, unless it is in WEBHOOKS_ALLOW_PRIVATE_NETWORKS (comma-separated networks,
# e.g. "127.0.0.0/8,::1" for a local receiver in development, or a УК's server inside the
# hosting's own network). Empty by default, in development too: nothing private is reached.
WEBHOOKS_ALLOW_HTTP = env_bool("WEBHOOKS_ALLOW_HTTP", DEBUG)
WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env_list("WEBHOOKS_ALLOW_PRIVATE_NETWORKS")
try:
    for _network in WEBHOOKS_ALLOW_PRIVATE_NETWORKS:
        ipaddress.ip_network(_network, strict=False)
except ValueError as error:
    raise ImproperlyConfigured(f"WEBHOOKS_ALLOW_PRIVATE_NETWORKS: {error}") from None

# ГИС ЖКХ (docs/gis-gkh.md): the integration service's address (the production one,
# https://api.dom.gosuslugi.ru/, or the test stand's; empty — nothing is sent) and the signer:
# "none" or "openssl-gost" with the key and certificate files (PEM, ГОСТ Р 34.10-2012).
GISGKH_URL = os.environ.get("GISGKH_URL", "")
# soap: to GISGKH_URL; folder: signed requests to GISGKH_FOLDER/out, results from …/in.
GISGKH_TRANSPORT = os.environ.get("GISGKH_TRANSPORT", "soap")
GISGKH_FOLDER = os.environ.get("GISGKH_FOLDER", "")
GISGKH_SIGNER = os.environ.get("GISGKH_SIGNER", "none")
GISGKH_KEY_FILE = os.environ.get("GISGKH_KEY_FILE", "")
GISGKH_CERT_FILE = os.environ.get("GISGKH_CERT_FILE", "")
# GISGKH_SIGNER=service: the signing service (CryptoPro DSS and the like), docs/gis-gkh.md.
GISGKH_SIGNING_URL = os.environ.get("GISGKH_SIGNING_URL", "")
GISGKH_SIGNING_TOKEN = os.environ.get("GISGKH_SIGNING_TOKEN", "")
GISGKH_SIGNING_CERTIFICATE_ID = os.environ.get("GISGKH_SIGNING_CERTIFICATE_ID", "0")

# Online payment (README: «Онлайн-оплата»). The sandbox gateway takes no money: development and
# tests only. Without a provider (production's default) residents see no «Оплатить».
PAYMENT_PROVIDER = os.environ.get("PAYMENT_PROVIDER", "sandbox" if DEBUG else "")
if PAYMENT_PROVIDER == "sandbox" and not DEBUG:
    raise ImproperlyConfigured("PAYMENT_PROVIDER=sandbox takes no money: development only.")
PAYMENTS_SANDBOX_SECRET = os.environ.get("PAYMENTS_SANDBOX_SECRET", f"sandbox:{SECRET_KEY}")
PAYMENTS_SANDBOX_REPEAT_NOTIFICATIONS = env_bool("PAYMENTS_SANDBOX_REPEAT_NOTIFICATIONS", True)
YOOKASSA_SHOP_ID = os.environ.get("YOOKASSA_SHOP_ID", "")
YOOKASSA_SECRET_KEY = os.environ.get("YOOKASSA_SECRET_KEY", "")
YOOKASSA_API_URL = os.environ.get("YOOKASSA_API_URL", "https://api.yookassa.ru/v3")
YOOKASSA_CHECK_IP = env_bool("YOOKASSA_CHECK_IP", False)
# Seconds an online payment may stay pending before the periodic check (check_online_payments)
# closes it as «истёк срок» — once the gateway, asked first, still does not say it was paid.
# ЮKassa cancels an unconfirmed card payment after an hour (yoomoney/yookassa-github-docs#12),
# other methods may wait longer: a day is well after the gateway's own lifetime.
ONLINE_PAYMENT_LIFETIME = env_int("ONLINE_PAYMENT_LIFETIME", 24 * 3600)
if PAYMENT_PROVIDER == "yookassa" and not (YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY):
    raise ImproperlyConfigured("PAYMENT_PROVIDER=yookassa needs YOOKASSA_SHOP_ID and _SECRET_KEY.")
if PAYMENT_PROVIDER not in {"", "sandbox", "yookassa"}:
    raise ImproperlyConfigured(f"Unknown PAYMENT_PROVIDER {PAYMENT_PROVIDER!r}.")

# Production hardening (all on when DEBUG is off; each can be turned off behind a TLS proxy).
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

# Operations (kabinet/observability, deploy/README.md). /readyz fails when the oldest ready task
# has waited longer than READYZ_MAX_QUEUE_LAG seconds; /metrics answers only clients on
# METRICS_ALLOWED_NETWORKS (others get 404).
READYZ_MAX_QUEUE_LAG = env_int("READYZ_MAX_QUEUE_LAG", 300)
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1")
try:
    for _network in METRICS_ALLOWED_NETWORKS:
        ipaddress.ip_network(_network, strict=False)
except ValueError as error:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {error}") from None

# Logs: plain text for people (development), JSON lines for a collector (LOG_FORMAT=json), each
# record with the id of its request (kabinet.observability.logs).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: expected text or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "kabinet.observability.logs.RequestIdFilter"},
        "quiet_probes": {"()": "kabinet.observability.logs.QuietProbesFilter"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "kabinet.observability.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "quiet_probes"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # runserver logs each request itself (django.server); the access line is for production.
        "kabinet.access": {"level": "WARNING" if DEBUG else "INFO"},
        "django.server": {"handlers": ["console"], "propagate": False},
    },
}

# Errors to Sentry when SENTRY_DSN is set (sentry-sdk is imported only then).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "development" if DEBUG else "production"),
        release=os.environ.get("SENTRY_RELEASE") or None,
        send_default_pii=False,  # residents' names, addresses and sessions stay here
        traces_sample_rate=0.0,
    )
