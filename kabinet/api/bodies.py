"""A body sent as JSON or, with files, as ``multipart/form-data``: the operations that write an
appeal's message take both, the fields the same either way and the files in a form, as the
site's own form sends them. ninja parses one media type per operation, so these operations
read their body here, with the same answers as ninja's own parsing: 400 for a body that
cannot be read, 422 with the fields named (``problems``) for one that does not validate."""

import copy
import json

import pydantic
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http.multipartparser import MultiPartParserError
from ninja import Schema
from ninja.errors import ValidationError

from kabinet.api.problems import Problem

MULTIPART = "multipart/form-data"
UNREADABLE = "Тело запроса не разобрать: нужен JSON или multipart/form-data."


def is_multipart(request) -> bool:
    return request.content_type == MULTIPART


def json_or_form(request, schema: type[Schema], files_field: str) -> tuple[Schema, list]:
    """(the validated fields, the uploaded files of ``files_field``) of the request's body:
    JSON (no files) or a multipart form."""
    try:
        if is_multipart(request):
            fields = request.POST
            data = {name: fields[name] for name in schema.model_fields if name in fields}
            files = request.FILES.getlist(files_field)
        else:
            data = json.loads(request.body) if request.body else {}
            files = []
    except (
        ValueError,  # not JSON, not UTF-8
        MultiPartParserError,
        RequestDataTooBig,
        TooManyFieldsSent,
        TooManyFilesSent,
    ):
        raise Problem(400, UNREADABLE, kind="malformed-body") from None
    try:
        return schema.model_validate(data), files
    except pydantic.ValidationError as error:
        raise ValidationError(
            [
                {"type": item["type"], "loc": ("body", *item["loc"]), "msg": item["msg"]}
                for item in error.errors(include_url=False)
            ]
        ) from None


def json_or_form_schema(schema: type[Schema], files_field: str, files: dict) -> dict:
    """The operation's ``requestBody`` for ``openapi_extra``: the schema's fields as JSON, or
    the same fields and the files (``files``: the array's schema keywords) as a form."""
    fields = schema.model_json_schema()
    form = copy.deepcopy(fields)
    form["properties"][files_field] = {
        "type": "array",
        "items": {"type": "string", "format": "binary"},
        **files,
    }
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": fields}, MULTIPART: {"schema": form}},
        }
    }
