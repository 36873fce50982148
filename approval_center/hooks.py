"""Contributions from the apps that build on another, without the lower app importing them.

An app's AppConfig may define a method named after a hook; `collect` calls it on every app
that has it and joins the lists. The hooks in use:

- `timeline_events(application)`: events (applications.timeline.Event) for an application's
  timeline;
- `application_actions(application, user)`: (label, url) links the user may follow from an
  application's timeline;
- `queue_notices(user)`: things a window's staff must see on their queue until dealt with,
  as dicts with `text`, `url`, `due` and `late`;
- `department_notices(department, user)`: what waits for the user on the department's page
  (the leader's home), shown first, as dicts with `text`, `url`, `due`, `light` (red, yellow,
  green: the queue's lights) and `days_late`.
"""

from __future__ import annotations

from django.apps import apps


def collect(hook: str, *args) -> list:
    found: list = []
    for config in apps.get_app_configs():
        contribute = getattr(config, hook, None)
        if contribute is not None:
            found.extend(contribute(*args))
    return found
