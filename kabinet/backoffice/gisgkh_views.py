"""The «ГИС ЖКХ» staff page: the identifiers' coverage per organisation, the import of the
identifiers ГИС ЖКХ assigned to accounts (kabinet.gisgkh.identifiers), the exchange's settings
and «Подготовить и отправить» (kabinet.gisgkh.sending)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from kabinet.backoffice.views import staff_render, staff_required
from kabinet.fields import MonthField
from kabinet.gisgkh.exchange import PostingError
from kabinet.gisgkh.identifiers import IdentifierImportError
from kabinet.gisgkh.models import Posting
from kabinet.gisgkh.selectors import identifier_coverage
from kabinet.gisgkh.sending import OPERATIONS, exchange_settings, preview, start_posting
from kabinet.gisgkh.services import SettingsError, import_identifiers_file, set_org_ppa_guid
from kabinet.http import client_ip
from kabinet.jobs.models import Job
from kabinet.jobs.services import job_percent
from kabinet.orgs.models import Organization
from kabinet.orgs.selectors import can_change, organizations_to_change

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


class SendForm(forms.Form):
    organization = forms.ModelChoiceField(
        Organization.objects.none(), label="Организация", empty_label=None
    )
    operation = forms.ChoiceField(
        label="Что отправить",
        choices=[(key, operation.label) for key, operation in OPERATIONS.items()],
    )
    month = MonthField(
        label="Расчётный период",
        required=False,
        help_text="Для показаний и платёжных документов: ММ.ГГГГ.",
    )
    houses = forms.CharField(
        label="ФИАС-идентификаторы домов",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Для запроса приборов учёта: глобальный уникальный идентификатор дома по ФИАС "
        "(FIASHouseGuid), как его показывает ГИС ЖКХ; по одному на строку.",
    )
    resend = forms.BooleanField(
        label="Отправить повторно",
        required=False,
        help_text="Только если данные этого периода уже отправлялись и их нужно отправить снова.",
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations

    def clean_houses(self):
        return self.cleaned_data["houses"].replace(",", " ").split()


def sending_organizations(user):
    """The organisations where ``user`` may post at least one operation."""
    duties = {operation.duty for operation in OPERATIONS.values()}
    condition = Q(pk__in=[])
    for duty in duties:
        condition |= Q(pk__in=organizations_to_change(user, duty).values("pk"))
    return Organization.objects.filter(condition)


def recent_postings(organizations, limit=5):
    """The last postings of ``organizations`` with their latest job, its progress and what
    their results imported (the exports of accounts and meters)."""
    rows = []
    postings = (
        Posting.objects.for_organizations(organizations)
        .select_related("organization")
        .prefetch_related("exchanges")
    )
    for posting in postings[:limit]:
        job = Job.objects.about(posting).order_by("-pk").first()
        outcomes = [exchange.outcome for exchange in posting.exchanges.all() if exchange.outcome]
        rows.append((posting, OPERATIONS.get(posting.operation), job,
                     job_percent(job) if job else 0, outcomes))  # fmt: skip
    return rows


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
            "exchange_settings": exchange_settings(),
            "send_form": SendForm(organizations=sending_organizations(request.user)),
            "can_send": sending_organizations(request.user).exists(),
            "postings": recent_postings(request.organizations),
        },
    )


@staff_required
@require_POST
def send(request):
    """«Подготовить и отправить»: first what would be sent (counts, what cannot go), then,
    confirmed, the posting's job started and its progress page shown."""
    writable = sending_organizations(request.user)
    if not writable.exists():
        raise PermissionDenied("Отправлять данные в ГИС ЖКХ ваша роль не может.")
    form = SendForm(request.POST, organizations=writable)
    state = exchange_settings()
    context = {"title": "Подготовить и отправить в ГИС ЖКХ", "form": form,
               "exchange_settings": state}  # fmt: skip
    if not form.is_valid():
        return staff_render(request, "backoffice/gisgkh/send.html", context)
    organization = form.cleaned_data["organization"]
    operation = form.cleaned_data["operation"]
    if not can_change(request.user, OPERATIONS[operation].duty, organization):
        raise PermissionDenied("Ваша роль в этой организации не даёт права отправлять эти данные.")
    resend = form.cleaned_data["resend"]
    if request.POST.get("confirm") and state.ready:
        try:
            job = start_posting(organization, operation, form.cleaned_data["month"],
                                houses=form.cleaned_data["houses"], resend=resend,
                                user=request.user, ip=client_ip(request))  # fmt: skip
        except PostingError as error:
            messages.error(request, str(error))
        else:
            return redirect("backoffice:job", job.pk)
    checked = preview(organization, operation, form.cleaned_data["month"],
                      form.cleaned_data["houses"])  # fmt: skip
    context["preview"] = checked
    context["blocked"] = state.problems or checked.errors or (checked.sent_before and not resend)
    return staff_render(request, "backoffice/gisgkh/send.html", context)


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
