"""schemathesis against the live schema (docs/api.md): every operation with cases made from
the schema (valid and invalid), then the stateful run along the schema's links (a rating
received, read back by its id). No answer may be a 500 or outside the schema. The WSGI app is
called in the test's process, on the test's database; the number of cases is printed."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from .api_fixtures import make_client

# Every check of schemathesis but one: "schema-valid data accepted" cannot hold for a cursor
# (any string to the schema; only those the API gave are good, the others get a documented 400).
EXCLUDED = [positive_data_acceptance]
# Bounded: the run stays under half a minute on a busy machine.
EXAMPLES = 25
STATEFUL_STEPS = 10
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # the same cases every run: CI is not the place to explore
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(autouse=True)
def no_flood_limit(settings):  # pytest-django's settings (the module's `settings` is hypothesis')
    # The run sends hundreds of calls with a wrong or no token from one address, each expected
    # to answer 401 or 403; the limit on such calls (429 past it) is tested in tests/test_api.py.
    settings.API_ANONYMOUS_RATE_LIMIT = 1_000_000


@pytest.fixture
def schema(api_data):
    # As Django's test client does: the WSGI handler's signals would close the test's
    # connection (and its transaction) after each request.
    hooks = (signals.request_started, signals.request_finished)
    for signal in hooks:
        signal.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    for signal in hooks:
        signal.connect(close_old_connections)


def test_every_operation_answers_within_its_schema(api_data, schema, capsys):
    _, token = make_client(api_data.center, rate_limit=100_000)
    headers = {"Authorization": f"Bearer {token}"}
    counted: dict[str, int] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 6
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @SETTINGS
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                label = case.operation.label
                counted[label] = counted.get(label, 0) + 1
                case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

            run()

    machine = schema.as_state_machine()

    class Machine(machine):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response, excluded_checks=EXCLUDED, headers=headers, transport_kwargs=kwargs
            )

    steps = []

    class Counting(Machine):
        def step(self, input):
            steps.append(input.case.operation.label)
            return super().step(input)

    Counting.run(
        settings=settings(
            max_examples=STATEFUL_STEPS,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            stateful_step_count=5,
        )
    )
    total = sum(counted.values())
    with capsys.disabled():
        print(
            f"\nschemathesis: {total} cases over {len(operations)} operations "
            f"({', '.join(f'{label}: {n}' for label, n in sorted(counted.items()))}); "
            f"stateful: {len(steps)} calls"
        )
    assert total >= len(operations) * 2
