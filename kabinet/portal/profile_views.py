"""«Мой профиль»: personal data, e-mail, password, subscriptions, linked accounts, access tokens
of the API, the personal data download and deleting the profile."""

from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from kabinet import quotas
from kabinet.http import client_ip
from kabinet.portal.profile_forms import (
    AccessTokenForm,
    PasswordConfirmForm,
    ProfileForm,
    SubscriptionsForm,
)
from kabinet.portal.views import account_or_404
from kabinet.users import profile as profiles
from kabinet.users import tokens
from kabinet.users.models import User
from kabinet.users.selectors import accounts_for, links_of


@login_required
def profile(request):
    links = links_of(request.user)
    return render(
        request,
        "portal/profile/profile.html",
        {
            "links": links,
            "subscriptions": SubscriptionsForm(user=request.user, links=links),
            "new_email": EmailAddress.objects.get_new(request.user),
            "can_delete": profiles.can_delete_profile(request.user),
        },
    )


@login_required
def edit_profile(request):
    # The form validates a copy: the page's header keeps the saved name while errors are shown.
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=request.user.pk))
    if request.method == "POST" and form.is_valid():
        profiles.update_profile(request.user, **form.cleaned_data)
        messages.success(request, "Личные данные сохранены.")
        return redirect("portal:profile")
    return render(request, "portal/profile/edit.html", {"form": form})


@login_required
@require_POST
def subscriptions(request):
    form = SubscriptionsForm(request.POST, user=request.user, links=links_of(request.user))
    form.is_valid()  # checkboxes only: an absent box is «off»
    profiles.set_subscriptions(
        request.user,
        reading_reminders=form.cleaned_data["reading_reminders"],
        news_by_email=form.cleaned_data["news_by_email"],
        receipts_for=form.receipts_for(),
    )
    messages.success(request, "Подписки сохранены.")
    return redirect("portal:profile")


@login_required
def unlink_account(request, account_id):
    """«Удалить» a linked account, after a confirmation page."""
    account = account_or_404(request, account_id)
    if request.method == "POST":
        profiles.unlink_account(request.user, account)
        messages.success(request, f"Лицевой счёт № {account.number} удалён из вашего профиля.")
        return redirect("portal:profile")
    return render(request, "portal/profile/unlink.html", {"account": account})


@login_required
def export_personal_data(request):
    """Everything the portal holds about the user, as a JSON file (152-ФЗ, ст. 14)."""
    data = profiles.export_personal_data(request.user)
    response = JsonResponse(
        data, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    filename = f"personal-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def delete_profile(request):
    """Delete the profile after the password is entered again; then the person is signed out."""
    user = request.user
    if not profiles.can_delete_profile(user):
        return render(request, "portal/profile/delete.html", {"can_delete": False})
    form = PasswordConfirmForm(request.POST or None, user=user)
    if request.method == "POST":
        try:
            quotas.consume(user, password_confirmations=1)
        except quotas.QuotaExceeded as error:
            form.add_error(None, str(error))
            return render(
                request,
                "portal/profile/delete.html",
                {"form": form, "can_delete": True},
                status=429,
            )
        if form.is_valid():
            email = user.email
            profiles.delete_profile(user)
            logout(request)
            messages.success(
                request,
                "Ваш профиль и персональные данные удалены."
                + (f" Подтверждение отправлено на {email}." if email else ""),
            )
            return redirect("account_login")
    return render(request, "portal/profile/delete.html", {"form": form, "can_delete": True})


@login_required
def api_tokens(request):
    """«Доступ к API»: the user's tokens with their last use, and a new one, shown once."""
    form = AccessTokenForm(request.POST or None, accounts=accounts_for(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            created = tokens.create_token(
                request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                account=form.cleaned_data["account"],
                expires_at=form.expires_at(),
                ip=client_ip(request),
            )
        except tokens.TokenRefused as error:
            form.add_error(None, str(error))
        else:
            return render(
                request,
                "portal/profile/token_created.html",
                {
                    "token": created.token,
                    "secret": created.secret,
                    "api_root": request.build_absolute_uri(reverse("api:openapi-view")),
                },
            )
    return render(
        request,
        "portal/profile/api_tokens.html",
        {"form": form, "tokens": tokens.tokens_of(request.user), "now": timezone.now()},
    )


@login_required
@require_POST
def revoke_api_token(request, token_id):
    try:
        token = tokens.revoke_token(request.user, token_id, ip=client_ip(request))
    except tokens.AccessToken.DoesNotExist:
        raise Http404 from None
    messages.success(request, f"Токен «{token.name}» отозван.")
    return redirect("portal:api_tokens")
