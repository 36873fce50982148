"""Contributions from the apps that build on another, without the lower app importing them.

An app's AppConfig may define a method named after a hook; `collect` calls it on every app
that has it and joins the lists. The hooks in use:

- `timeline_events(application)`: events (applications.timeline.Event) for an application's
  timeline;
- `application_actions(application, user)`: (label, url) links the user may follow from an
  application's timeline;
- `project_meetings(project, user)`: the coordination meetings on a project the user may see,
  as dicts with `number`, `url`, `held_at`, `place`, `agenda`, `pre_filing` (the project page);
- `project_actions(project, user)`: (label, url) links offered on a project's page;
- `queue_notices(user)`: things a window's staff must see on their queue until dealt with,
  as dicts with `text`, `url`, `due` and `late`;
- `department_notices(department, user)`: what waits for the user on the department's page
  (the leader's home), shown first, as dicts with `text`, `url`, `due`, `light` (red, yellow,
  green: the queue's lights) and `days_late`;
- `guide_item_actions(item, request)`: (label, url) links offered to a visitor on an item's
  page of the public service guide (windows/guide_views.py): the portal's "File online";
- `guide_package_actions(package, request)`: the same on a package's page;
- `served_application(request, application, now)`: an application was just created, or its
  results handed over, at the counter in this request (the hall links it to the queue ticket
  the clerk is serving); contributes nothing to the list.
- `decision_final(review, by, now, document, application)`: a decision became final (decided,
  or countersigned; `document` the decision when the caller holds it, else None), in the
  decision's transaction (licences/ issues the licence of an approval);
- `checklist_lines_added(application, material_ids, by, now)`: checklist lines were added, in
  the change's transaction (licences/ fills those a valid licence provides);
- `document_verification(document, now)`: at a document's first print, the public
  verification it carries (a dict with `url`, `code`, `page`: licences/verification.py), one
  contribution at most;
- `document_signed(pdf, reason, location)`: the printed PDF signed (licences/signing.py), one
  contribution at most; without one the PDF is issued as rendered;
- `case_event(application_id, kind, at, review_id, details)`: an event of a case, in the
  step's transaction: `kind` one of received (created at the counter or submitted online),
  accepted, notice (the one-time notice), stopped, extended (an extension approved; a joint one
  has no review), returned, delivered, rated; `details` a dict of what only the step knows (no
  personal data). "decided" comes through `decision_final`. outbox/ writes it for the
  provincial platform in one statement (docs/outbox.md).
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


def last_app_migrated(app_config) -> bool:
    """Whether post_migrate is being sent for the last app. Django sends it once for each app
    with models, in the order of INSTALLED_APPS, after migrate and after every flush (each
    transactional test ends with one): work that needs the models of every app is done once,
    on the last."""
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    return bool(with_models) and app_config is with_models[-1]
