from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from kabinet.users.selectors import accounts_for


@login_required
def home(request):
    """Главная: the user's linked personal accounts."""
    return render(request, "portal/home.html", {"accounts": accounts_for(request.user)})


@login_required
def profile(request):
    return render(request, "portal/profile.html")


def privacy(request):
    return render(request, "portal/privacy.html")
