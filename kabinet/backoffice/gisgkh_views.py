"""The «ГИС ЖКХ» staff page: the identifiers' coverage per organisation and the import of
the identifiers ГИС ЖКХ assigned to accounts (kabinet.gisgkh.identifiers)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from kabinet.backoffice.views import staff_render, staff_required
from kabinet.gisgkh.identifiers import IdentifierImportError, import_identifiers_file
from kabinet.gisgkh.selectors import identifier_coverage
from kabinet.orgs.models import Organization
from kabinet.orgs.selectors import organizations_to_change

DUTY = "housing"  # identifiers belong to the accounts: the operator and the manager import them
MAX_FILE_SIZE = 20 * 1024 * 1024


class IdentifiersImportForm(forms.Form):
    organization = forms.ModelChoiceField(
        Organization.objects.none(), label="Организация", empty_label=None
    )
    file = forms.FileField(
        label="Файл",
        help_text="Результат exportAccountData (XML) или реестр лицевых счетов, выгруженный "
        "из ГИС ЖКХ (XLSX или CSV со столбцами «Номер ЛС», «Единый лицевой счёт» и, если есть, "
        "«Идентификатор ЖКУ», «Идентификатор ЛС»).",
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_FILE_SIZE:
            raise forms.ValidationError("Файл больше 20 МБ: разделите его на части.")
        return file


@staff_required
def identifiers(request):
    """«ГИС ЖКХ»: what is still missing, and the import of the accounts' identifiers."""
    writable = organizations_to_change(request.user, DUTY)
    form = IdentifiersImportForm(
        request.POST or None, request.FILES or None, organizations=writable
    )
    errors = []
    if request.method == "POST":
        if not writable.exists():
            raise PermissionDenied("Загружать идентификаторы могут оператор и руководитель.")
        if form.is_valid():
            try:
                outcome = import_identifiers_file(
                    form.cleaned_data["organization"], form.cleaned_data["file"].read()
                )
            except IdentifierImportError as error:
                errors = error.errors
            else:
                messages.success(
                    request,
                    f"Строк в файле: {outcome.rows}, изменено лицевых счетов: {outcome.changed}.",
                )
                return redirect("backoffice:gisgkh")
    return staff_render(
        request,
        "backoffice/gisgkh/identifiers.html",
        {
            "title": "ГИС ЖКХ",
            "form": form,
            "can_import": writable.exists(),
            "errors": errors,
            "coverage": identifier_coverage(request.organizations),
        },
    )
