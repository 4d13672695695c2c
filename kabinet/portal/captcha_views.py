"""The picture code's «new picture» (django-simple-captcha's refresh), limited per client: every
call stores a new challenge and draws an image, so unthrottled it is a cheap way to load the
server and the database."""

from captcha.views import captcha_refresh
from django.conf import settings
from django.http import HttpResponse

from kabinet.http import client_ip
from kabinet.quotas import within_limit


def refresh_captcha(request):
    if not within_limit(
        f"captcha-refresh:{client_ip(request)}", limit=settings.CAPTCHA_REFRESH_LIMIT, period=60
    ):
        return HttpResponse("Слишком много запросов. Подождите минуту.", status=429)
    return captcha_refresh(request)
