"""Residents on the portal, for Locust (bench/loadtest.py starts it: ``python -m bench locust``).

Each simulated resident signs in (``KABINET_LOAD_SIGN_IN_SHARE`` of them type the password, the
others come back with a remembered session), then, with 1–4 seconds of think time between steps,
opens the account card, the charges, a receipt PDF, submits a meter reading and pays through the
sandbox gateway (the gateway's page, «Оплатить», the notification back to the portal, the
return page). The users and their accounts come from the JSON file bench/loadtest.py writes
(``KABINET_LOAD_WORLD``). Only 127.0.0.1 is ever loaded.

A request fails (and counts as an error) when its status is not 2xx/3xx, when it did not end
on the page it asked for (a sign-in page instead of the card, say) or when the page does not
say what it should («приняты», «Оплата прошла», a PDF).

With ``KABINET_LOAD_STEP_USERS`` (``python -m bench locust --find-knee``) the load rises by
steps instead (``StepLoad``): that many residents more every ``KABINET_LOAD_STEP_SECONDS``, up
to ``KABINET_LOAD_MAX_USERS``, stopping after the first step whose p95 is above
``KABINET_LOAD_P95_LIMIT`` ms (300); each step's figures (bench/load_steps.py) go to
``KABINET_LOAD_STEPS_OUT``.
"""

import itertools
import json
import os
import random
import re
from decimal import Decimal
from urllib.parse import urlsplit

from locust import HttpUser, LoadTestShape, between, events, task

from bench.load_steps import P95_LIMIT_MS, percentile, step_figures

WORLD = json.loads(open(os.environ["KABINET_LOAD_WORLD"], encoding="utf-8").read())  # noqa: SIM115
NEXT_RESIDENT = itertools.count()
SIGN_IN_SHARE = float(os.environ.get("KABINET_LOAD_SIGN_IN_SHARE", "0.1"))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PROBLEM = re.compile(
    r'class="[^"]*(?:invalid-feedback|alert-danger|errorlist)[^"]*"[^>]*>\s*([^<]{1,160})'
)
RECEIPT_PDF = re.compile(r'href="(/ls/\d+/receipt/\d{4}-\d{1,2}\.pdf)"')
STEP_USERS = int(os.environ.get("KABINET_LOAD_STEP_USERS", "0"))
STEP_SECONDS = float(os.environ.get("KABINET_LOAD_STEP_SECONDS", "30"))
MAX_USERS = int(os.environ.get("KABINET_LOAD_MAX_USERS", "0"))
P95_LIMIT = float(os.environ.get("KABINET_LOAD_P95_LIMIT", P95_LIMIT_MS))
WARM_UP = min(5.0, STEP_SECONDS / 4)  # the step's new residents arrive and sign in
STEPS: dict[int, list[tuple[float, bool]]] = {}  # step → (response time ms, failed)
SHAPE = []  # the step load, once Locust made it
RUNNING = {"step": -1, "stopped": False}  # the step the shape holds; after it, nothing counts


@events.init.add_listener
def only_this_machine(environment, **kwargs):
    host = urlsplit(environment.host or "").hostname
    if host != "127.0.0.1":
        raise SystemExit(f"The load test runs only against 127.0.0.1, not {host!r}.")


@events.request.add_listener
def count_in_step(response_time, exception, **kwargs):
    if not SHAPE:
        return
    elapsed = SHAPE[0].get_run_time()
    step = int(elapsed // STEP_SECONDS)
    if RUNNING["stopped"] or step > RUNNING["step"]:
        return  # the requests that end while the residents stop
    if elapsed - step * STEP_SECONDS >= WARM_UP:
        STEPS.setdefault(step, []).append((response_time, exception is not None))


@events.quitting.add_listener
def write_figures(environment, **kwargs):
    """The run's figures per page and in all, and its failures, for bench/loadtest.py."""
    pages = sorted(environment.stats.entries.values(), key=lambda entry: entry.name)
    summary = {
        "pages": [
            {
                "name": entry.name,
                "requests": entry.num_requests,
                "errors": entry.num_failures,
                "rps": entry.total_rps,
                **{f"p{p}": entry.get_response_time_percentile(p / 100) for p in (50, 95, 99)},
            }
            for entry in [*pages, environment.stats.total]
        ],
        "failures": [
            {"name": error.name, "error": str(error.error), "count": error.occurrences}
            for error in environment.stats.errors.values()
        ],
    }
    with open(os.environ["KABINET_LOAD_SUMMARY"], "w", encoding="utf-8") as file:
        json.dump(summary, file)
    if not SHAPE:
        return
    steps = [
        step_figures(STEP_USERS * (step + 1), STEP_SECONDS - WARM_UP, STEPS[step])
        for step in sorted(STEPS)
    ]
    with open(os.environ["KABINET_LOAD_STEPS_OUT"], "w", encoding="utf-8") as file:
        json.dump(steps, file)


if STEP_USERS:

    class StepLoad(LoadTestShape):
        """``STEP_USERS`` residents more each step until p95 crosses the limit or ``MAX_USERS``."""

        def tick(self):
            if not SHAPE:
                SHAPE.append(self)
            step = int(self.get_run_time() // STEP_SECONDS)
            finished = STEPS.get(step - 1, [])
            crossed = percentile([elapsed for elapsed, _ in finished], 0.95) > P95_LIMIT
            if STEP_USERS * (step + 1) > MAX_USERS or crossed or RUNNING["stopped"]:
                RUNNING["stopped"] = True
                return None
            RUNNING["step"] = step
            return STEP_USERS * (step + 1), max(1.0, STEP_USERS / WARM_UP)


def problem(response) -> str:
    """What went wrong, for the error report: the status, the page and its first error text."""
    found = PROBLEM.search(response.text or "")
    where = urlsplit(response.url or "").path
    return f"{response.status_code} {where}: {found.group(1).strip() if found else '-'}"


def on_page(response, path: str) -> bool:
    """Whether the request ended on ``path`` with a success (else it is marked failed)."""
    where = urlsplit(response.url or "").path
    if response.status_code >= 400 or where != path:
        response.failure(f"not the page {path}: {problem(response)}")
        return False
    return True


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
        url = f"/ls/{self.account}/"
        with self.client.get(url, name="карточка ЛС", catch_response=True) as page:
            on_page(page, url)

    @task(3)
    def charges(self):
        url = f"/ls/{self.account}/charges/"
        with self.client.get(url, name="начисления", catch_response=True) as page:
            if on_page(page, url):
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
            token = on_page(page, url) and csrf_of(page)
        if not token:
            return
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
            token = on_page(page, url) and csrf_of(page)
        if not token:
            return
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
