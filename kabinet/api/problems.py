"""Errors of the API in one shape: RFC 9457 problem details (``application/problem+json``),
with the message and the field's name in Russian.

A view raises ``Problem``; the handlers below turn Django's 404, ninja's refusals and
validation errors and the quota's refusal into the same shape.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import Field

from kabinet import quotas

CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: "Неверный запрос",
    401: "Нужна аутентификация",
    403: "Недостаточно прав",
    404: "Не найдено",
    405: "Метод не поддерживается",
    409: "Конфликт",
    413: "Слишком большой запрос",
    422: "Неверные данные",
    429: "Слишком много запросов",
    503: "Недоступно",
}

# The request's fields as people call them, for the messages of validation errors.
FIELD_LABELS = {
    "readings": "показания",
    "meter_id": "счётчик",
    "value": "показание",
    "confirm_unusual": "подтверждение необычного расхода",
    "account_id": "лицевой счёт",
    "Idempotency-Key": "ключ идемпотентности",
    "body": "тело запроса",
    "amount": "сумма",
    "month": "месяц",
    "method": "способ оплаты",
    "capital_repair": "взнос на капитальный ремонт",
    "first": "с месяца",
    "last": "по месяц",
    "months": "последние месяцы",
    "topic_id": "тема",
    "text": "текст",
    "files": "файлы",
    "paid_from": "с даты",
    "paid_to": "по дату",
}

# Pydantic's error types, in Russian.
MESSAGES = {
    "missing": "обязательное поле",
    "string_type": "нужна строка",
    "bool_type": "нужно true или false",
    "bool_parsing": "нужно true или false",
    "int_type": "нужно целое число",
    "int_parsing": "нужно целое число",
    "list_type": "нужен список",
    "model_attributes_type": "нужен объект",
    "dict_type": "нужен объект",
    "json_invalid": "тело запроса — не JSON",
    "string_too_long": "слишком длинная строка",
    "too_long": "слишком много элементов",
    "extra_forbidden": "лишнее поле",
}


class FieldError(Schema):
    field: str = Field(description="Путь к полю в запросе, например readings.0.value")
    label: str = Field(description="Название поля по-русски")
    message: str = Field(description="Что не так, по-русски")
    code: str = Field(description="invalid, unusual (подтвердите необычный расход) и т. п.")


class ProblemOut(Schema):
    """RFC 9457 problem details."""

    type: str = Field(description="URI вида проблемы")
    title: str
    status: int
    detail: str
    instance: str = Field(description="Адрес запроса")
    errors: list[FieldError] = Field(default=[], description="Ошибки по полям")


class Problem(Exception):
    """An answer other than success: ``status``, a Russian ``detail`` and, for invalid data,
    ``errors`` per field (``FieldError`` dicts); ``extra`` adds members (e.g. the window)."""

    def __init__(self, status: int, detail: str, *, kind: str = "", errors=(), **extra):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or {404: "not-found", 403: "forbidden", 401: "unauthorized"}.get(
            status, "about"
        )
        self.errors = list(errors)
        self.extra = extra


def field_error(path: list, message: str, code: str = "invalid") -> dict:
    names = [str(part) for part in path if part not in ("body", "payload", "header")]
    named = [part for part in names if not part.isdigit()]
    label = FIELD_LABELS.get(named[-1], named[-1]) if named else FIELD_LABELS["body"]
    return {"field": ".".join(names), "label": label, "message": message, "code": code}


def form_problem(form, names: dict[str, str] | None = None) -> Problem:
    """A Django form's errors as a 422 problem; ``names`` maps the form's field names to the
    request's. An error of the whole form is about the fields its form lists for its code
    (``form.error_fields``: a period's start after its end names both ends), else about the
    whole body."""
    names = names or {}
    errors = []
    for name, field_errors in form.errors.as_data().items():
        for error in field_errors:
            if name == NON_FIELD_ERRORS:
                fields = getattr(form, "error_fields", {}).get(error.code, ())
                paths = [[names.get(field, field)] for field in fields] or [[]]
            else:
                paths = [[names.get(name, name)]]
            errors.extend(
                field_error(path, message) for message in error.messages for path in paths
            )
    return Problem(422, errors[0]["message"], kind="validation", errors=errors)


def range_problem(start: str, end: str) -> Problem:
    """422 for a range whose start (the request's field ``start``) is after its end."""
    message = "Начало периода позже его конца."
    errors = [field_error([start], message), field_error([end], message)]
    return Problem(422, message, kind="validation", errors=errors)


def problem_response(request, problem: Problem) -> JsonResponse:
    body = {
        "type": f"urn:kabinet:problem:{problem.kind}",
        "title": TITLES.get(problem.status, "Ошибка"),
        "status": problem.status,
        "detail": problem.detail,
        "instance": request.path,
        **({"errors": problem.errors} if problem.errors else {}),
        **problem.extra,
    }
    response = JsonResponse(
        body,
        status=problem.status,
        content_type=CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )
    if problem.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return no_store(response)


def no_store(response):
    response["Cache-Control"] = "no-store"
    return response


def _validation_problem(error: ValidationError) -> Problem:
    errors = []
    for item in error.errors:
        loc = list(item.get("loc", ()))
        text = MESSAGES.get(item.get("type", ""), "неверное значение")
        errors.append(field_error(loc, text, item.get("type", "invalid")))
    detail = "; ".join(f"{e['label'].capitalize()}: {e['message']}" for e in errors)
    return Problem(422, detail or "Неверные данные.", kind="validation", errors=errors)


def _http_problem(error: HttpError) -> Problem:
    if error.status_code == 400:  # ninja's only one: a body it cannot parse
        return Problem(400, "Тело запроса не разобрать: нужен JSON.", kind="malformed-body")
    return Problem(error.status_code, TITLES.get(error.status_code, "Ошибка"))


def install_handlers(api: NinjaAPI) -> None:
    """Answer every refusal of ``api`` as a problem."""

    def handle(exception_class, to_problem):
        api.add_exception_handler(
            exception_class, lambda request, exc: problem_response(request, to_problem(exc))
        )

    handle(Problem, lambda exc: exc)
    handle(Http404, lambda exc: Problem(404, "Не найдено."))
    handle(AuthenticationError, lambda exc: Problem(401, "Нужен токен: Authorization: Bearer …"))
    handle(ValidationError, _validation_problem)
    handle(quotas.QuotaExceeded, lambda exc: Problem(429, str(exc), kind="rate-limit"))
    handle(HttpError, _http_problem)


# What every operation may answer besides success, for the schema.
REFUSALS = {
    401: ProblemOut,
    403: ProblemOut,
    404: ProblemOut,
    422: ProblemOut,  # a path or query parameter of the wrong type
    429: ProblemOut,
}
