"""Residents on the portal, for Locust (bench/loadtest.py starts it: ``python -m bench locust``).

Each simulated resident signs in (``KABINET_LOAD_SIGN_IN_SHARE`` of them type the password, the
others come back with a remembered session), then, with 1–4 seconds of think time between steps,
opens the account card, the charges, a receipt PDF, submits a meter reading and pays through the
sandbox gateway (the gateway's page, «Оплатить», the notification back to the portal, the
return page). The users and their accounts come from the JSON file bench/loadtest.py writes
(``KABINET_LOAD_WORLD``). Only 127.0.0.1 is ever loaded.
"""

import itertools
import json
import os
import random
import re
from decimal import Decimal
from urllib.parse import urlsplit

from locust import HttpUser, between, events, task

WORLD = json.loads(open(os.environ["KABINET_LOAD_WORLD"], encoding="utf-8").read())  # noqa: SIM115
NEXT_RESIDENT = itertools.count()
SIGN_IN_SHARE = float(os.environ.get("KABINET_LOAD_SIGN_IN_SHARE", "0.1"))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PROBLEM = re.compile(
    r'class="[^"]*(?:invalid-feedback|alert-danger|errorlist)[^"]*"[^>]*>\s*([^<]{1,160})'
)
RECEIPT_PDF = re.compile(r'href="(/ls/\d+/receipt/\d{4}-\d{1,2}\.pdf)"')


@events.init.add_listener
def only_this_machine(environment, **kwargs):
    host = urlsplit(environment.host or "").hostname
    if host != "127.0.0.1":
        raise SystemExit(f"The load test runs only against 127.0.0.1, not {host!r}.")


def problem(response) -> str:
    """What went wrong, for the error report: the status, the page and its first error text."""
    found = PROBLEM.search(response.text or "")
    where = urlsplit(response.url or "").path
    return f"{response.status_code} {where}: {found.group(1).strip() if found else '-'}"


def csrf_of(response) -> str:
    match = CSRF.search(response.text)
    if not match:
        response.failure("no CSRF token on the page")
        return ""
    return match.group(1)


class Resident(HttpUser):
    wait_time = between(1, 4)  # think time between two pages

    def on_start(self):
        me = WORLD["residents"][next(NEXT_RESIDENT) % len(WORLD["residents"])]
        self.account = me["account"]
        self.meters = {pk: Decimal(value) for pk, value in me["meters"].items()}
        self.receipts = []
        if random.random() >= SIGN_IN_SHARE:  # a load mix, not a secret
            self.client.cookies.set("sessionid", me["session"])
            return
        with self.client.get("/accounts/login/", name="вход (форма)", catch_response=True) as page:
            token = csrf_of(page)
        with self.client.post(
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "login": me["username"], "password": WORLD["password"]},
            name="вход",
            catch_response=True,
        ) as answer:
            if urlsplit(answer.url).path != "/":
                answer.failure(f"not signed in: {problem(answer)}")

    @task(3)
    def card(self):
        self.client.get(f"/ls/{self.account}/", name="карточка ЛС")

    @task(3)
    def charges(self):
        page = self.client.get(f"/ls/{self.account}/charges/", name="начисления")
        self.receipts = RECEIPT_PDF.findall(page.text) or self.receipts

    @task(2)
    def receipt_pdf(self):
        if not self.receipts:
            return self.charges()
        with self.client.get(self.receipts[0], name="квитанция PDF", catch_response=True) as pdf:
            if not pdf.content.startswith(b"%PDF"):
                pdf.failure("not a PDF")

    @task(1)
    def reading(self):
        url = f"/ls/{self.account}/meters/"
        with self.client.get(url, name="счётчики", catch_response=True) as page:
            token = csrf_of(page)
        data = {"csrfmiddlewaretoken": token}
        for pk in self.meters:
            self.meters[pk] += Decimal("0.5")
            data[f"meter_{pk}"] = str(self.meters[pk]).replace(".", ",")
        with self.client.post(url, data, name="передать показания", catch_response=True) as sent:
            if "приняты" not in sent.text:
                sent.failure(f"readings not accepted: {problem(sent)}")

    @task(1)
    def pay(self):
        url = f"/ls/{self.account}/pay/"
        with self.client.get(url, name="оплата (форма)", catch_response=True) as page:
            token = csrf_of(page)
        with self.client.post(
            url,
            {"csrfmiddlewaretoken": token, "amount": "100,00"},
            name="оплата",
            catch_response=True,
        ) as gateway:
            if "/sandbox-gateway/pay/" not in gateway.url:
                gateway.failure(f"no gateway page: {problem(gateway)}")
                return
            token = csrf_of(gateway)
        with self.client.post(
            urlsplit(gateway.url).path,
            {"csrfmiddlewaretoken": token, "action": "pay"},
            name="шлюз: оплатить",
            catch_response=True,
        ) as result:
            if "Оплата прошла" not in result.text:
                result.failure(f"the payment did not go through: {problem(result)}")
