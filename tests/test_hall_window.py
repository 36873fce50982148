"""The window's panel (hall:panel and its steps): who may open it, each step through the
services, and each refusal changing nothing (another person's ticket, parking a visitor, a
no-show too early, a transfer nowhere sensible). Also the ticket carried into the intake pages
and linked to the application created or handed over there."""

import datetime as dt

import pytest
from django.contrib.messages import constants
from django.urls import reverse

from applications.models import Application
from hall import services
from hall.counter_link import SESSION_KEY
from hall.models import Ticket
from hall.window_views import TransferForm
from windows.models import Absence, Post, Window
from windows.roles import Role

from .applicant_helpers import decide_all
from .conftest import NOW, make_staff

pytestmark = pytest.mark.django_db
NOON = NOW + dt.timedelta(hours=2)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOON, tick=False)


def take(business, **kw) -> Ticket:
    return services.ticket_take(business=business, now=NOON - dt.timedelta(minutes=20), **kw)


def levels(response) -> list[int]:
    return [m.level for m in response.context["messages"]]


def post(client, name, *args, data=None):
    return client.post(reverse(name, args=args), data or {}, follow=True)


def test_only_people_who_call_visitors_open_the_panel(client, center, hall, clock):
    url = reverse("hall:panel")
    assert client.get(url).status_code == 302  # to the sign-in page
    for person in (center.dave, center.alice, center.bob, center.carol):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 200, person
        assert 'data-testid="nav-hall-panel"' in response.content.decode()
    for person in (center.erin, center.frank, center.gwen, center.admin):
        client.force_login(person)
        assert client.get(url).status_code == 403, person
        assert client.post(reverse("hall:panel_call_next")).status_code == 403
        page = client.get(reverse("windows:catalog")).content.decode()
        assert "nav-hall-panel" not in page


def test_the_panel_shows_who_waits_and_costs_few_queries(
    client, center, hall, clock, django_assert_max_num_queries
):
    for _ in range(3):
        take(hall.intake)
    take(hall.pickup)
    take(hall.construction)  # not dave's
    client.force_login(center.dave)
    client.get(reverse("hall:panel"))  # the session and the like, once
    with django_assert_max_num_queries(14):
        response = client.get(reverse("hall:panel"))
    assert response.context["waiting_count"] == 4
    assert [t.number for t in response.context["next_tickets"]] == ["A001", "A002", "A003", "B001"]
    assert 'data-testid="call-next"' in response.content.decode()


def test_the_waiting_list_refreshes_itself_as_a_fragment(client, center, hall, clock):
    client.force_login(center.dave)
    page = client.get(reverse("hall:panel")).content.decode()
    assert 'data-refresh="/hall/window/?part=waiting"' in page
    take(hall.intake)
    part = client.get(reverse("hall:panel") + "?part=waiting", HTTP_X_AUTO_REFRESH="1")
    assert part.context["waiting_count"] == 1
    assert b"A001" in part.content and b"<html" not in part.content


def test_call_start_and_finish_through_the_panel(client, center, hall, clock):
    take(hall.intake)
    client.force_login(center.dave)
    response = post(client, "hall:panel_call_next")
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.staff, ticket.calls) == ("called", center.dave, 1)
    assert levels(response) == [constants.SUCCESS]
    assert response.context["ticket"] == ticket
    page = response.content.decode()
    assert reverse("hall:panel_start", args=[ticket.pk]) in page
    assert reverse("hall:panel_finish", args=[ticket.pk]) not in page
    response = post(client, "hall:panel_call_again", ticket.pk)
    ticket.refresh_from_db()
    assert ticket.calls == 2
    post(client, "hall:panel_start", ticket.pk)
    ticket.refresh_from_db()
    assert ticket.status == "serving" and ticket.started_at == NOON
    response = post(client, "hall:panel_finish", ticket.pk)
    ticket.refresh_from_db()
    assert ticket.status == "done"
    assert response.context["ticket"] is None and response.context["served_count"] == 1


def test_calling_with_nobody_waiting_says_so(client, center, hall, clock):
    client.force_login(center.dave)
    response = post(client, "hall:panel_call_next")
    assert levels(response) == [constants.SUCCESS] and not Ticket.objects.exists()


def test_a_visitor_is_not_parked_to_call_the_next(client, center, hall, clock):
    take(hall.intake), take(hall.intake)
    client.force_login(center.dave)
    post(client, "hall:panel_call_next")
    response = post(client, "hall:panel_call_next")
    assert levels(response) == [constants.ERROR]
    assert Ticket.objects.get(number="A002").status == "waiting"
    assert Ticket.objects.get(number="A001").status == "called"


def test_a_no_show_only_after_the_set_calls_and_the_panel_says_why(
    client, center, hall, clock, settings
):
    settings.HALL_NO_SHOW_CALLS = 2
    take(hall.intake)
    client.force_login(center.dave)
    response = post(client, "hall:panel_call_next")
    ticket = Ticket.objects.get()
    page = response.content.decode()
    assert 'aria-describedby="no-show-why"' in page and "disabled" in page
    response = post(client, "hall:panel_no_show", ticket.pk)
    ticket.refresh_from_db()
    assert levels(response) == [constants.ERROR] and ticket.status == "called"
    post(client, "hall:panel_call_again", ticket.pk)
    response = post(client, "hall:panel_no_show", ticket.pk)
    ticket.refresh_from_db()
    assert levels(response) == [constants.SUCCESS] and ticket.status == "no_show"


@pytest.mark.parametrize(
    "step", ["panel_call_again", "panel_start", "panel_no_show", "panel_finish", "panel_intake"]
)
def test_someone_elses_ticket_changes_nothing(client, center, hall, clock, step):
    take(hall.construction)
    ticket = services.call_next(staff=center.alice, now=NOON)
    before = Ticket.history.filter(id=ticket.pk).count()
    client.force_login(center.dave)  # calls visitors, but not this one
    response = post(client, f"hall:{step}", ticket.pk)
    assert response.status_code == 200 and levels(response) == [constants.ERROR]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.calls, ticket.staff) == ("called", 1, center.alice)
    assert Ticket.history.filter(id=ticket.pk).count() == before
    assert SESSION_KEY not in client.session


def test_a_transfer_by_another_person_changes_nothing(client, center, hall, clock):
    take(hall.construction)
    ticket = services.call_next(staff=center.alice, now=NOON)
    client.force_login(center.bob)  # same window, not who called it
    response = post(client, "hall:panel_transfer", ticket.pk, data={"to": f"b{hall.planning.pk}"})
    ticket.refresh_from_db()
    assert levels(response) == [constants.ERROR]
    assert (ticket.status, ticket.business) == ("called", hall.construction)


def test_an_unknown_ticket_is_not_found(client, center, hall, clock):
    client.force_login(center.dave)
    assert client.post(reverse("hall:panel_start", args=[999999])).status_code == 404


def test_transfers_to_a_business_or_another_open_window(client, center, hall, clock):
    take(hall.construction)
    ticket = services.call_next(staff=center.alice, now=NOON)
    client.force_login(center.alice)
    response = post(client, "hall:panel_transfer", ticket.pk, data={"to": f"b{hall.planning.pk}"})
    ticket.refresh_from_db()
    assert levels(response) == [constants.SUCCESS]
    assert (ticket.status, ticket.business, ticket.number) == ("waiting", hall.planning, "C001")
    assert ticket.transfers == 1
    # carol calls it at A02 and sends it on to the comprehensive window A01
    assert services.call_next(staff=center.carol, now=NOON) == ticket
    client.force_login(center.carol)
    post(client, "hall:panel_transfer", ticket.pk, data={"to": f"w{center.intake_window.pk}"})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.for_window) == ("waiting", center.intake_window)


def test_a_transfer_nowhere_sensible_is_refused(client, center, hall, clock):
    take(hall.construction)
    ticket = services.call_next(staff=center.alice, now=NOON)
    client.force_login(center.alice)
    for to in (f"w{center.construction_window.pk}", f"b{hall.construction.pk}", "", "x1"):
        response = post(client, "hall:panel_transfer", ticket.pk, data={"to": to})
        assert levels(response) == [constants.ERROR], to
    ticket.refresh_from_db()
    assert (ticket.status, ticket.transfers) == ("called", 0)


def test_the_transfer_choices_are_the_sensible_ones(center, hall, clock):
    take(hall.construction)
    ticket = services.call_next(staff=center.alice, now=NOON)
    Window.objects.create(number="A09", name="空窗口", kind="comprehensive")  # serves nothing
    closed = Window.objects.create(number="A08", name="关闭", kind="comprehensive", is_active=False)
    hall.pickup.windows.add(closed)
    hall.planning.is_active = False
    hall.planning.save()
    form = TransferForm(ticket=ticket, staff=center.alice)
    values = {value for _group, options in form.fields["to"].choices[1:] for value, _l in options}
    assert values == {
        f"b{hall.intake.pk}",
        f"b{hall.pickup.pk}",
        f"w{center.intake_window.pk}",
    }


def test_the_panel_names_the_windows_covered_today(client, center, hall, clock):
    Post.objects.create(
        window=center.construction_window, name="受理", holder_a=center.alice, holder_b=center.carol
    )
    client.force_login(center.carol)
    assert b'data-testid="cover"' not in client.get(reverse("hall:panel")).content
    Absence.objects.create(
        staff=center.alice, starts_on=NOON.date(), ends_on=NOON.date(), reason="leave"
    )
    take(hall.construction)
    response = client.get(reverse("hall:panel"))
    assert list(response.context["also_windows"]) == [center.construction_window]
    assert response.context["waiting_count"] == 1
    assert 'data-testid="cover"' in response.content.decode()


# --- the ticket carried into intake -----------------------------------------------------------


def serve(person, business) -> Ticket:
    take(business)
    ticket = services.call_next(staff=person, now=NOON)
    return services.start_service(ticket=ticket, staff=person, now=NOON)


def apply(client, applicant, project, center):
    return client.post(
        reverse("applications:apply", args=[applicant.pk]),
        {"project": project.pk, "items": [center.permit.pk]},
        follow=True,
    )


def test_the_application_created_while_serving_is_linked_to_the_ticket(
    client, center, hall, calendar, materials, applicant, project, clock
):
    ticket = serve(center.dave, hall.intake)
    client.force_login(center.dave)
    page = client.get(reverse("hall:panel")).content.decode()
    assert reverse("hall:panel_intake", args=[ticket.pk]) in page
    response = client.post(reverse("hall:panel_intake", args=[ticket.pk]))
    assert response["Location"] == reverse("applications:intake")
    assert client.session[SESSION_KEY] == ticket.pk
    apply(client, applicant, project, center)
    application = Application.objects.get()
    ticket.refresh_from_db()
    assert ticket.application == application
    assert Ticket.history.filter(id=ticket.pk).first().history_user == center.dave
    response = client.get(reverse("hall:panel"))
    assert 'data-testid="panel-application"' in response.content.decode()
    # finished: the session forgets it, and the next application is nobody's
    post(client, "hall:panel_finish", ticket.pk)
    assert SESSION_KEY not in client.session
    apply(client, applicant, project, center)
    assert Ticket.objects.filter(application__isnull=False).count() == 1


def test_without_a_ticket_the_intake_is_as_before(
    client, center, hall, calendar, materials, applicant, project, clock
):
    client.force_login(center.dave)
    response = apply(client, applicant, project, center)
    assert Application.objects.count() == 1
    assert levels(response) == []
    # a ticket called but not yet served is not carried either
    take(hall.intake)
    ticket = services.call_next(staff=center.dave, now=NOON)
    response = post(client, "hall:panel_intake", ticket.pk)
    assert levels(response) == [constants.ERROR] and SESSION_KEY not in client.session


def test_another_clerks_ticket_is_never_linked(
    client, center, hall, calendar, materials, applicant, project, clock
):
    ivy = make_staff("ivy", Role.INTAKE_CLERK, window=center.intake_window)
    theirs = serve(ivy, hall.intake)
    other = client.__class__()
    other.force_login(ivy)
    other.post(reverse("hall:panel_intake", args=[theirs.pk]))
    client.force_login(center.dave)
    # even a session naming ivy's ticket links nothing for dave
    session = client.session
    session[SESSION_KEY] = theirs.pk
    session.save()
    apply(client, applicant, project, center)
    theirs.refresh_from_db()
    assert theirs.application is None
    assert SESSION_KEY not in client.session


def test_an_officer_has_no_intake_to_start(client, center, hall, clock):
    ticket = serve(center.alice, hall.construction)
    client.force_login(center.alice)
    assert (
        reverse("hall:panel_intake", args=[ticket.pk])
        not in client.get(reverse("hall:panel")).content.decode()
    )
    assert client.post(reverse("hall:panel_intake", args=[ticket.pk])).status_code == 403


def test_results_handed_over_while_serving_a_pickup_ticket_are_linked(
    client, center, hall, accepted, clock
):
    from applications import services as cases

    decide_all(accepted, center, NOW)
    for review in accepted.reviews.all():
        cases.review_return(review=review, by=center.alice, now=NOW)
        cases.review_receive(review=review, by=center.dave, now=NOW)
    ticket = serve(center.dave, hall.pickup)
    client.force_login(center.dave)
    page = client.get(reverse("hall:panel")).content.decode()
    assert reverse("hall:panel_intake", args=[ticket.pk]) in page
    client.post(reverse("hall:panel_intake", args=[ticket.pk]))
    client.post(reverse("applications:act", args=[accepted.pk, "deliver"]))
    accepted.refresh_from_db()
    ticket.refresh_from_db()
    assert accepted.state == "delivered" and ticket.application == accepted
