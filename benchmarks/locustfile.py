"""The load test's users: a realistic mix of the center's working day (benchmarks/load.py).

Each simulated user is one member of staff with a session of their own (made by load.py, so
the test measures pages rather than password hashing), or an applicant looking up a status
when the status page exists. Between two requests a user thinks for `BENCH_THINK` seconds
(a range, "0.5-2.5" by default; "0" for a closed loop that measures capacity).
"""

from __future__ import annotations

import itertools
import json
import os
import random

from locust import FastHttpUser, between, constant, task

PLAN = json.loads(open(os.environ["BENCH_LOAD_PLAN"], encoding="utf-8").read())
THINK = os.environ.get("BENCH_THINK", "0.5-2.5")
_counter = itertools.count()
if THINK in ("0", ""):
    WAIT = constant(0)
else:
    low, high = (float(x) for x in THINK.split("-"))
    WAIT = between(low, high)


class Staff(FastHttpUser):
    abstract = True
    wait_time = WAIT
    role = ""

    def on_start(self) -> None:
        # A session of its own for each user, made beforehand by load.py.
        people = PLAN["people"][self.role]
        person = people[next(_counter) % len(people)]
        self.client.cookiejar.set_cookie(_cookie("sessionid", person["session"]))
        self.person = person

    def page(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
            elif "/accounts/login/" in (response.url or ""):
                response.failure("sent to the login page")


class Officer(Staff):
    """Window staff work their queue: the queue, a review, an application's timeline."""

    weight = 6
    role = "officer"

    @task(5)
    def queue(self) -> None:
        self.page("/reviews/", "/reviews/ (queue)")

    @task(3)
    def review(self) -> None:
        ids = self.person["reviews"]
        if ids:
            self.page(f"/reviews/{random.choice(ids)}/", "/reviews/<pk>/")

    @task(1)
    def timeline(self) -> None:
        ids = self.person["applications"]
        if ids:
            self.page(
                f"/applications/{random.choice(ids)}/timeline/", "/applications/<pk>/timeline/"
            )


class Clerk(Staff):
    """The comprehensive window: the desk, applicant search, an application."""

    weight = 3
    role = "clerk"

    @task(3)
    def desk(self) -> None:
        self.page("/intake/", "/intake/ (desk)")

    @task(3)
    def search(self) -> None:
        self.page(f"/search/?q={random.choice(PLAN['searches'])}", "/search/")

    @task(2)
    def application(self) -> None:
        pk = random.choice(PLAN["applications"])
        self.page(f"/applications/{pk}/", "/applications/<pk>/")


class Manager(Staff):
    """Center managers: the dashboard, and its live part refreshing every minute."""

    weight = 1
    role = "manager"

    @task(1)
    def dashboard(self) -> None:
        self.page("/supervision/", "/supervision/ (dashboard)")

    @task(3)
    def live(self) -> None:
        self.page("/supervision/live/", "/supervision/live/")

    @task(1)
    def timeline(self) -> None:
        pk = random.choice(PLAN["applications"])
        self.page(f"/applications/{pk}/timeline/", "/applications/<pk>/timeline/")


class Applicant(FastHttpUser):
    """Applicants look up their status with the receipt number and access code."""

    weight = 2 if PLAN.get("track") else 0
    wait_time = WAIT

    @task
    def track(self) -> None:
        # The slip's QR code: number and code in the address, answered by a redirect to the
        # status page. Each lookup comes from an address of its own (applicants are many; the
        # page limits lookups per address), given to gunicorn as a trusted proxy would.
        number, code = random.choice(PLAN["track"])
        address = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        with self.client.get(
            f"/track/?number={number}&code={code}",
            name="/track/",
            headers={"X-Forwarded-For": address},
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")


def _cookie(name: str, value: str):
    from http.cookiejar import Cookie

    return Cookie(
        version=0,
        name=name,
        value=value,
        port=None,
        port_specified=False,
        domain=PLAN["host"],
        domain_specified=False,
        domain_initial_dot=False,
        path="/",
        path_specified=True,
        secure=False,
        expires=None,
        discard=True,
        comment=None,
        comment_url=None,
        rest={},
    )
