"""Forms of the appeal thread, shared by the resident's pages and the staff pages."""

from django import forms

from kabinet.appeals.attachments import (
    ACCEPT,
    MAX_ATTACHMENT_SIZE,
    MAX_ATTACHMENTS,
    check_attachments,
)
from kabinet.appeals.models import AppealStatus
from kabinet.appeals.selectors import topics_for

MAX_TEXT = 5000


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; ``clean`` returns the list of uploads."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class MessageForm(forms.Form):
    """A message of the thread: text and up to five images or PDF files."""

    text = forms.CharField(
        label="Сообщение",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5, "data-counter": MAX_TEXT}),
        error_messages={
            "required": "Напишите текст сообщения.",
            "max_length": "Сообщение длиннее %(limit_value)s символов (в нём %(show_value)s): "
            "сократите его или разбейте на два сообщения.",
        },
    )
    files = MultipleFileField(
        label="Файлы",
        required=False,
        help_text=f"До {MAX_ATTACHMENTS} файлов: фотографии (JPEG, PNG, WebP) или PDF, "
        f"каждый не больше {MAX_ATTACHMENT_SIZE // (1024 * 1024)} МБ.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No «maxlength»: the browser would cut a pasted text silently; portal/counter.js
        # counts instead, and the server refuses a longer text in words.
        self.fields["text"].widget.attrs.pop("maxlength", None)

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("Напишите текст сообщения.")
        return text

    def clean_files(self):
        """The checked files (``attachments.CheckedFile``), recognised by their content."""
        return check_attachments(self.cleaned_data["files"])


class AppealForm(MessageForm):
    """A new appeal to the УК of one account."""

    topic = forms.ModelChoiceField(
        queryset=None, label="Тема", empty_label="— выберите —",
        error_messages={"required": "Выберите тему обращения."},
    )  # fmt: skip
    field_order = ["topic", "text", "files"]

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = topics_for(organization)
        self.fields["text"].label = "Текст обращения"


class AnswerForm(MessageForm):
    """An answer of the УК; staff choose the state the appeal is left in."""

    status = forms.ChoiceField(
        label="Состояние после ответа", choices=AppealStatus.choices, initial=AppealStatus.ANSWERED
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = "Ответ жителю"


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="Состояние", choices=AppealStatus.choices)
