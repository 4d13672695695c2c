"""Files residents and staff attach to appeals: images or PDF, recognised by their content.

The uploaded name and the browser's content type are not trusted; the bytes decide what a file
is, and the file is stored and served under the type found here."""

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader

logger = logging.getLogger(__name__)

MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_SIZE = 10 * 1024 * 1024
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PDF_TYPE = "application/pdf"
ACCEPT = ",".join([*IMAGE_TYPES.values(), PDF_TYPE])  # for <input type="file" accept=…>

NOT_SUPPORTED = "«{name}»: можно приложить только изображение (JPEG, PNG, WebP) или PDF."
DAMAGED = "«{name}»: файл повреждён или не является изображением или PDF."


@dataclass(frozen=True)
class CheckedFile:
    file: object  # an UploadedFile, read from the start
    name: str
    content_type: str
    size: int


def check_attachments(files) -> list[CheckedFile]:
    """Check every file of one message; raise ``ValidationError`` naming each bad one."""
    files = list(files)
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError(f"Можно приложить не больше {MAX_ATTACHMENTS} файлов.")
    checked, errors = [], []
    for upload in files:
        try:
            checked.append(check_attachment(upload))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return checked


def check_attachment(upload) -> CheckedFile:
    name = _display_name(upload.name)
    if upload.size > MAX_ATTACHMENT_SIZE:
        raise ValidationError(f"«{name}»: файл больше {MAX_ATTACHMENT_SIZE // (1024 * 1024)} МБ.")
    if upload.size == 0:
        raise ValidationError(f"«{name}»: файл пуст.")
    content_type = _content_type(upload, name)
    upload.seek(0)
    return CheckedFile(file=upload, name=name, content_type=content_type, size=upload.size)


def _content_type(upload, name) -> str:
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    if b"%PDF-" in head:
        _check_pdf(upload, name)
        return PDF_TYPE
    try:
        with Image.open(upload) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise ValidationError(NOT_SUPPORTED.format(name=name)) from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(DAMAGED.format(name=name)) from None
    if image_format not in IMAGE_TYPES:
        raise ValidationError(NOT_SUPPORTED.format(name=name))
    return IMAGE_TYPES[image_format]


def _check_pdf(upload, name):
    """A PDF whose structure pypdf can read, with at least one page and no password."""
    upload.seek(0)
    try:
        reader = PdfReader(upload, strict=False)
        if reader.is_encrypted:
            raise ValidationError(f"«{name}»: PDF защищён паролем, приложите файл без пароля.")
        if len(reader.pages) == 0:
            raise ValidationError(DAMAGED.format(name=name))
    except ValidationError:
        raise
    except Exception:  # pypdf raises assorted errors on malformed files: all mean «damaged»
        raise ValidationError(DAMAGED.format(name=name)) from None
    finally:
        upload.seek(0)


def _display_name(name: str) -> str:
    """The file's own name without any folder a browser may send, shortened to fit."""
    name = (name or "файл").replace("\\", "/").rsplit("/", 1)[-1].strip() or "файл"
    return name if len(name) <= 200 else name[:100] + "…" + name[-99:]


def attachment_response(attachment) -> FileResponse:
    """The file under the type found at upload: pictures shown in the page, PDF downloaded. The
    sandbox keeps anything inside a file from running as the portal. A file lost from the
    storage is a 404 for the reader and an error in the log for the administrator."""
    try:
        file = attachment.file.open("rb")
    except OSError:
        logger.error("Appeal attachment %s: %s is missing", attachment.pk, attachment.file.name)
        raise Http404("Файл не найден в хранилище.") from None
    response = FileResponse(
        file,
        content_type=attachment.content_type,
        as_attachment=not attachment.is_image,
        filename=attachment.name,
    )
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
