from django.contrib import admin
from django.urls import include, path, reverse_lazy
from django.views.generic import RedirectView

from kabinet.api.urls import api
from kabinet.observability.health import healthz, readyz
from kabinet.observability.metrics import metrics
from kabinet.portal.captcha_views import refresh_captcha

urlpatterns = [
    # For load balancers, monitors and Prometheus; answered first by ProbeMiddleware.
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    # The back office signs in through the portal's login, which limits password guessing.
    path(
        "admin/login/",
        RedirectView.as_view(url=reverse_lazy("account_login"), query_string=True),
    ),
    path("admin/", admin.site.urls),
    path("staff/", include("kabinet.backoffice.urls")),
    path("accounts/", include("allauth.urls")),
    path("captcha/refresh/", refresh_captcha, name="captcha-refresh"),  # limited per client
    path("captcha/", include("captcha.urls")),
    path("api/v1/", api.urls),
    path("sandbox-gateway/", include("kabinet.payments.sandbox.urls")),
    path("", include("kabinet.portal.urls")),
]
