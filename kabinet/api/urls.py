"""``/api/v1/``: the API, its OpenAPI schema (``openapi.json``) and its documentation page
(``docs/``, Swagger UI from the files django-ninja ships, served by whitenoise: no CDN)."""

from ninja import NinjaAPI

from kabinet.api.accounts import router as accounts
from kabinet.api.auth import BearerToken
from kabinet.api.problems import install_handlers

api = NinjaAPI(
    title="Кабинет: API",
    version="1",
    description=(
        "API личного кабинета. Токен создаётся в «Мой профиль» → «Доступ к API» и передаётся "
        "в заголовке `Authorization: Bearer <токен>`. Ошибки — в формате RFC 9457 "
        "(application/problem+json) с сообщениями по-русски."
    ),
    auth=BearerToken(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs/",
)
install_handlers(api)
api.add_router("", accounts)
