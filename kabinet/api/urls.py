"""``/api/v1/``: the API, its OpenAPI schema (``openapi.json``) and its documentation page
(``docs/``, Swagger UI from the files django-ninja ships, served by whitenoise: no CDN)."""

from ninja import NinjaAPI

from kabinet.api.accounts import router as accounts
from kabinet.api.appeals import router as appeals
from kabinet.api.auth import BearerToken
from kabinet.api.money import router as money
from kabinet.api.news import router as news
from kabinet.api.organization import router as organization
from kabinet.api.problems import CONTENT_TYPE, install_handlers, no_store


class KabinetApi(NinjaAPI):
    """Every answer holds personal data: no cache may keep it (the pages do the same)."""

    def create_response(self, request, data, *args, **kwargs):
        return no_store(super().create_response(request, data, *args, **kwargs))

    def get_openapi_schema(self, **kwargs):
        """The schema as ninja builds it, with problems under their own media type."""
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                if "requestBody" in operation:  # a body that cannot be parsed at all
                    operation["responses"].setdefault("400", _problem("Тело запроса — не JSON"))
                for answer in operation["responses"].values():
                    media = answer.get("content", {}).get("application/json")
                    if media and media["schema"].get("$ref", "").endswith("/ProblemOut"):
                        answer["content"] = {CONTENT_TYPE: media}
        return schema


def _problem(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ProblemOut"}}},
    }


api = KabinetApi(
    title="Кабинет: API",
    version="1",
    description=(
        "API личного кабинета. Токен создаётся в «Мой профиль» → «Доступ к API» и передаётся "
        "в заголовке `Authorization: Bearer <токен>`. Системы управляющей организации "
        "(операции /org/) передают так же ключ API организации, выданный руководителем в "
        "бэк-офисе («Ключи API»). Ошибки — в формате RFC 9457 "
        "(application/problem+json) с сообщениями по-русски."
    ),
    auth=BearerToken(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs/",
)
install_handlers(api)
api.add_router("", accounts)
api.add_router("", money)
api.add_router("", appeals)
api.add_router("", news)
api.add_router("", organization)
