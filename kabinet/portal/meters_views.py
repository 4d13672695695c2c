"""«Показания счетчиков»: the meters of an account, their history, and the readings form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils import timezone

from kabinet.formats import month_name
from kabinet.metering import services
from kabinet.metering.forms import MeterReadingsForm
from kabinet.metering.selectors import active_meters, meter_cards
from kabinet.metering.window import reading_window
from kabinet.portal.charts import consumption_chart
from kabinet.portal.views import account_or_404, render_account


@login_required
def account_meters(request, account_id):
    account = account_or_404(request, account_id)
    today = timezone.localdate()
    window = reading_window(account.organization, today)
    cards = meter_cards(active_meters(account), today)
    form = MeterReadingsForm([card.meter for card in cards], request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            readings = services.submit_resident_readings(
                account, form.values(), request.user, confirmed=form.confirmed(), today=today
            )
        except services.WindowClosed:
            messages.error(request, "Приём показаний закрыт: показания не переданы.")
        except services.ReadingsRefused as refused:
            form.refuse(refused.checks)
        else:
            messages.success(request, _accepted_message(request.user, readings))
            return redirect("portal:account_meters", account.pk)
    panels = [(panel, consumption_chart(panel.card)) for panel in form.panels(cards)]
    return render_account(
        request,
        account,
        "portal/meters/account_meters.html",
        "meters",
        panels=panels,
        form=form,
        window=window,
    )


def _accepted_message(user, readings) -> str:
    message = f"Показания за {month_name(readings[0].period)} приняты: счётчиков — {len(readings)}."
    if user.email:
        message += f" Подтверждение отправлено на {user.email}."
    return message
