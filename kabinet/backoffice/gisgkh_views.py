"""The «ГИС ЖКХ» staff page: the identifiers' coverage per organisation and the import of
the identifiers ГИС ЖКХ assigned to accounts (kabinet.gisgkh.identifiers)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from kabinet.backoffice.views import staff_render, staff_required
from kabinet.fields import MonthField
from kabinet.gisgkh.identifiers import IdentifierImportError
from kabinet.gisgkh.selectors import identifier_coverage
from kabinet.gisgkh.services import SettingsError, import_identifiers_file, set_org_ppa_guid
from kabinet.http import client_ip
from kabinet.orgs.models import Organization
from kabinet.orgs.selectors import organizations_to_change

DUTY = "housing"  # identifiers belong to the accounts: the operator and the manager import them
SETTINGS_DUTY = "organization"  # the organisation's own identifier: its manager
MAX_FILE_SIZE = 20 * 1024 * 1024


class IdentifiersImportForm(forms.Form):
    organization = forms.ModelChoiceField(
        Organization.objects.none(), label="Организация", empty_label=None
    )
    file = forms.FileField(
        label="Файл",
        help_text="Результат exportAccountData, exportMeteringDeviceData или "
        "exportPaymentDocumentData (XML) или реестр, выгруженный из ГИС ЖКХ (XLSX или CSV): "
        "лицевых счетов — со столбцами «Номер ЛС», «Единый лицевой счёт» и, если есть, "
        "«Идентификатор ЖКУ», «Идентификатор ЛС»; платёжных документов — со столбцами "
        "«Идентификатор платёжного документа», «Номер ЛС» или «Идентификатор ЛС» и, если есть, "
        "«Расчётный период».",
    )
    month = MonthField(
        label="Расчётный период",
        required=False,
        help_text="Для платёжных документов, если файл не указывает период: ММ.ГГГГ.",
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_FILE_SIZE:
            raise forms.ValidationError("Файл больше 20 МБ: разделите его на части.")
        return file


class OrgPPAGuidForm(forms.Form):
    organization = forms.ModelChoiceField(
        Organization.objects.none(), label="Организация", empty_label=None
    )
    org_ppa_guid = forms.UUIDField(
        label="Идентификатор организации в ГИС ЖКХ (orgPPAGUID)",
        help_text="Присваивает ГИС ЖКХ: «Профиль организации» в личном кабинете системы.",
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations


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
                    form.cleaned_data["organization"],
                    form.cleaned_data["file"].read(),
                    month=form.cleaned_data["month"],
                    by=request.user,
                    ip=client_ip(request),
                )
            except IdentifierImportError as error:
                errors = error.errors
            else:
                messages.success(
                    request,
                    f"Строк в файле: {outcome.rows}, изменено {outcome.label}: {outcome.changed}.",
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
            "settings_form": OrgPPAGuidForm(
                organizations=organizations_to_change(request.user, SETTINGS_DUTY)
            ),
            "can_set_guid": organizations_to_change(request.user, SETTINGS_DUTY).exists(),
        },
    )


@staff_required
@require_POST
def organization_guid(request):
    """Set the orgPPAGUID of an organisation the user manages (as ГИС ЖКХ shows it)."""
    writable = organizations_to_change(request.user, SETTINGS_DUTY)
    if not writable.exists():
        raise PermissionDenied("Идентификатор организации указывает руководитель.")
    form = OrgPPAGuidForm(request.POST, organizations=writable)
    if form.is_valid():
        try:
            set_org_ppa_guid(
                form.cleaned_data["organization"],
                form.cleaned_data["org_ppa_guid"],
                by=request.user,
                ip=client_ip(request),
            )
        except SettingsError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Идентификатор организации в ГИС ЖКХ сохранён.")
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("backoffice:gisgkh")
