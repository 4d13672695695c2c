"""Files of appeals are recognised by their content, never by their name."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from kabinet.appeals.attachments import MAX_ATTACHMENT_SIZE, check_attachment, check_attachments
from tests.factories import image_upload, pdf_upload


def upload(name, content):
    return SimpleUploadedFile(name, content, content_type="image/png")


@pytest.mark.parametrize(
    ("image_format", "content_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")],
)
def test_pictures_are_accepted_as_what_they_are(image_format, content_type):
    checked = check_attachment(image_upload("photo.pdf", image_format))  # a misleading name
    assert checked.content_type == content_type
    assert checked.name == "photo.pdf"


def test_a_real_pdf_is_accepted():
    checked = check_attachment(pdf_upload("акт.pdf"))
    assert checked.content_type == "application/pdf"
    assert checked.file.read(5) == b"%PDF-"  # handed on from the start


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00 an executable",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"GIF89a" + b"\x00" * 40,
    ],
)
def test_other_files_named_as_pictures_are_refused(content):
    with pytest.raises(ValidationError, match="только изображение"):
        check_attachment(upload("photo.png", content))


def test_a_file_that_only_starts_like_a_pdf_is_refused():
    with pytest.raises(ValidationError, match="повреждён"):
        check_attachment(upload("scan.pdf", b"%PDF-1.7\nnot really a pdf at all"))


def test_a_truncated_picture_is_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), "red").save(buffer, "PNG")
    with pytest.raises(ValidationError):
        check_attachment(upload("photo.png", buffer.getvalue()[:60]))


def test_size_is_limited(monkeypatch):
    big = image_upload()
    monkeypatch.setattr(big, "size", MAX_ATTACHMENT_SIZE + 1)
    with pytest.raises(ValidationError, match="больше 10 МБ"):
        check_attachment(big)


def test_empty_file_is_refused():
    with pytest.raises(ValidationError, match="пуст"):
        check_attachment(upload("empty.png", b""))


def test_at_most_five_files():
    assert len(check_attachments([image_upload() for _ in range(5)])) == 5
    with pytest.raises(ValidationError, match="не больше 5"):
        check_attachments([image_upload() for _ in range(6)])


def test_every_bad_file_is_named():
    with pytest.raises(ValidationError) as error:
        check_attachments([upload("a.png", b"junk"), image_upload(), upload("b.pdf", b"%PDF-x")])
    assert len(error.value.messages) == 2
    assert "«a.png»" in error.value.messages[0]
    assert "«b.pdf»" in error.value.messages[1]


def test_a_path_in_the_name_is_dropped():
    assert check_attachment(image_upload("C:\\Users\\ivan\\кран.png")).name == "кран.png"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048), st.sampled_from([b"", b"%PDF-1.4\n", b"\x89PNG\r\n\x1a\n"]))
def test_any_bytes_are_accepted_or_refused_with_a_message(content, prefix):
    try:
        checked = check_attachment(upload("file", prefix + content))
    except ValidationError as error:
        messages = error.messages
    else:
        messages = []
        assert checked.content_type in {"image/png", "application/pdf"}
    assert messages or checked
