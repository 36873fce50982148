"""The API's endpoints (/api/v1/, docs/api.md). Each list is read through `visible(client)`:
the client's departments, when it has some, bound every answer."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from applications.models import Application, DepartmentReview, Document
from licences.models import Licence, in_force
from windows.models import Department

from . import rest  # noqa: F401  (the token scheme of the schema)
from . import serializers as out
from .models import Client, ProvincialRating, Scope
from .ratings import RatingRefused, provincial_rating_receive

ERRORS = {
    400: OpenApiResponse(out.ErrorOut, description="Bad query or body: `detail` says what."),
    401: OpenApiResponse(out.ErrorOut, description="No token, or a token not valid."),
    403: OpenApiResponse(out.ErrorOut, description="The client does not have the scope."),
    429: OpenApiResponse(out.ErrorOut, description="Past the client's calls per minute."),
}
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


def _parameter(name: str, kind, description: str, **extra) -> OpenApiParameter:
    return OpenApiParameter(name, kind, OpenApiParameter.QUERY, description=description, **extra)


def _period_parameters(field: str) -> list[OpenApiParameter]:
    return [
        _parameter("from", OpenApiTypes.DATE, f"From this day ({field}, center time), included."),
        _parameter("to", OpenApiTypes.DATE, f"To this day ({field}, center time), included."),
        _parameter("department", OpenApiTypes.STR, "A department's code (e.g. jsj)."),
        _parameter("page_size", OpenApiTypes.INT, "Rows a page: 100 unless asked, at most 500."),
    ]


def _day(request: Request, name: str) -> dt.date | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or len(raw) != 10 or not EARLIEST <= day <= LATEST:
        raise exceptions.ValidationError(
            {
                name: _("A day as YYYY-MM-DD, from %(earliest)s to %(latest)s.")
                % {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()}
            }
        )
    return day


def _period(request: Request) -> tuple[dt.date | None, dt.date | None]:
    start, end = _day(request, "from"), _day(request, "to")
    if start and end and start > end:
        raise exceptions.ValidationError({"to": _("The period ends before it starts.")})
    return start, end


def _moments(request: Request, field: str) -> Q:
    """The period as a filter on a moment: from the start of the first day to the start of the
    day after the last, center time (an index on the column serves it)."""
    start, end = _period(request)
    q = Q()
    if start:
        q &= Q(**{f"{field}__gte": _midnight(start)})
    if end:
        q &= Q(**{f"{field}__lt": _midnight(end + dt.timedelta(days=1))})
    return q


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _departments(request: Request) -> frozenset[int] | None:
    """The departments to read: the one asked for (within the client's), the client's, or
    None for all."""
    client: Client = request.auth
    own = client.department_ids
    code = request.query_params.get("department")
    if code is None:
        return own or None
    department = Department.objects.filter(code=code[:30]).values_list("pk", flat=True).first()
    if department is None:
        raise exceptions.ValidationError({"department": _("No department with this code.")})
    if own and department not in own:
        raise exceptions.PermissionDenied(_("This client may not read that department."))
    return frozenset({department})


def _known_query(request: Request, names: frozenset[str]) -> None:
    unknown = sorted(set(request.query_params) - names)
    if unknown:
        raise exceptions.ValidationError(
            {unknown[0][:40]: _("Not a parameter of this address: see /api/v1/docs/.")}
        )


PERIOD = frozenset({"from", "to", "department", "cursor", "page_size"})


class ListBase(generics.ListAPIView):
    scope: str
    query_names = PERIOD

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)  # the token, the scope, the rate
        _known_query(request, self.query_names)

    def list(self, request, *args, **kwargs) -> Response:
        """The page, its rows written by `rows` (serializers.py: the serializer's output)."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.rows(page, self.get_serializer_context()))

    def rows(self, page: list, context: dict) -> list[dict]:
        return [type(self).row(obj, context) for obj in page]

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        context["department_ids"] = self.request.auth.department_ids if self.request.auth else None
        context["today"] = timezone.localdate()
        context["tz"] = timezone.get_current_timezone()
        return context


def visible_applications(client: Client) -> QuerySet[Application]:
    """The applications a client may see: received ones (with a receipt number), of its
    departments if it has some."""
    applications = Application.objects.exclude(receipt_number=None)
    if client.department_ids:
        applications = applications.filter(_of_departments(client.department_ids))
    return applications


def _of_departments(department_ids) -> Exists:
    return Exists(
        Application.items.through.objects.filter(
            application_id=OuterRef("pk"), item__department_id__in=department_ids
        )
    )


# What a row of the applications reads (serializers.application_row).
APPLICATION_FIELDS = (
    *("receipt_number", "state", "channel", "received_at", "accepted_at", "promised_date"),
    *("due_date", "ready_at", "delivered_at", "withdrawn_at"),
    *("applicant__kind", "applicant__name", "applicant__id_number"),
)


@extend_schema(
    summary="Applications",
    description=(
        "Received applications (with a receipt number) with their items, departments, state "
        "and dates. Scope read:applications. The period is on `received_at`."
    ),
    parameters=[
        *_period_parameters("received_at"),
        _parameter("state", OpenApiTypes.STR, "Only in this state.", enum=Application.State.values),
        _parameter("receipt_number", OpenApiTypes.STR, "Only this application."),
    ],
    responses={200: out.ApplicationOut(many=True), **ERRORS},
)
class ApplicationList(ListBase):
    scope = Scope.READ_APPLICATIONS
    query_names = PERIOD | {"state", "receipt_number"}
    serializer_class = out.ApplicationOut

    def get_queryset(self) -> QuerySet[Application]:
        applications = visible_applications(self.request.auth).filter(
            _moments(self.request, "received_at")
        )
        departments = _departments(self.request)
        if departments:
            applications = applications.filter(_of_departments(departments))
        state = self.request.query_params.get("state")
        if state is not None:
            if state not in Application.State.values:
                raise exceptions.ValidationError({"state": _("Not a state of an application.")})
            applications = applications.filter(state=state)
        number = self.request.query_params.get("receipt_number")
        if number is not None:
            applications = applications.filter(receipt_number=number[:12])
        # The last decision of the client's departments (of all, if it reads every one), as
        # its items are: another department's moments are not its to read.
        decisions = DepartmentReview.objects.filter(
            application=OuterRef("pk"), decided_at__isnull=False
        )
        if self.request.auth.department_ids:
            decisions = decisions.filter(department_id__in=self.request.auth.department_ids)
        last_decision = decisions.order_by("-decided_at").values("decided_at")[:1]
        # Rows as dicts, not models: a page of 100 is then a few ms of Python (the cursor
        # reads `id` from a dict as well).
        return applications.annotate(decided_at=Subquery(last_decision)).values(
            "id", *APPLICATION_FIELDS, "decided_at"
        )

    def rows(self, page: list[dict], context: dict) -> list[dict]:
        """The page's rows, with the items of all its applications read in one statement."""
        items: dict[int, list[tuple]] = {row["id"]: [] for row in page}
        through = Application.items.through.objects.filter(application_id__in=items)
        for application_id, *item in through.order_by("item__code").values_list(
            "application_id",
            "item__code",
            "item__name",
            "item__department_id",
            "item__department__code",
        ):
            items[application_id].append(item)
        return [out.application_row(row, items[row["id"]], context) for row in page]


@extend_schema(
    summary="Department reviews",
    description=(
        "One review per item of an accepted application, at its department's window: state, "
        "deadlines, outcome. Scope read:reviews. The period is on `started_on`."
    ),
    parameters=_period_parameters("started_on"),
    responses={200: out.ReviewOut(many=True), **ERRORS},
)
class ReviewList(ListBase):
    scope = Scope.READ_REVIEWS
    serializer_class = out.ReviewOut
    row = out.review_row

    def get_queryset(self) -> QuerySet[DepartmentReview]:
        start, end = _period(self.request)
        reviews = DepartmentReview.objects.all()
        if start:
            reviews = reviews.filter(started_on__gte=start)
        if end:
            reviews = reviews.filter(started_on__lte=end)
        departments = _departments(self.request)
        if departments:
            reviews = reviews.filter(department_id__in=departments)
        return reviews.values("id", *out.REVIEW_FIELDS)


@extend_schema(
    summary="Decisions",
    description=(
        "Approval and refusal decisions: number, outcome, date, signer. Scope read:decisions. "
        "The period is on `issued_at`."
    ),
    parameters=_period_parameters("issued_at"),
    responses={200: out.DecisionOut(many=True), **ERRORS},
)
class DecisionList(ListBase):
    scope = Scope.READ_DECISIONS
    serializer_class = out.DecisionOut
    row = out.decision_row

    def get_queryset(self) -> QuerySet[Document]:
        decisions = Document.objects.filter(
            kind__in=[Document.Kind.APPROVAL, Document.Kind.REFUSAL], review__isnull=False
        ).filter(_moments(self.request, "issued_at"))
        departments = _departments(self.request)
        if departments:
            decisions = decisions.filter(review__department_id__in=departments)
        return decisions.values("id", *out.DECISION_FIELDS)


@extend_schema(
    summary="Licences",
    description=(
        "Licences issued by approval decisions: number, holder, validity, status (expired is "
        "read from the day). Scope read:licences. The period is on `issued_at`."
    ),
    parameters=[
        *_period_parameters("issued_at"),
        _parameter("in_force", OpenApiTypes.BOOL, "true: only those in force today."),
    ],
    responses={200: out.LicenceOut(many=True), **ERRORS},
)
class LicenceList(ListBase):
    scope = Scope.READ_LICENCES
    query_names = PERIOD | {"in_force"}
    serializer_class = out.LicenceOut
    row = out.licence_row

    def get_queryset(self) -> QuerySet[Licence]:
        licences = Licence.objects.filter(_moments(self.request, "issued_at"))
        departments = _departments(self.request)
        if departments:
            licences = licences.filter(item__department_id__in=departments)
        flag = self.request.query_params.get("in_force")
        if flag not in (None, "true", "false"):
            raise exceptions.ValidationError({"in_force": _("true or false.")})
        if flag == "true":
            licences = licences.filter(in_force(timezone.localdate()))
        return licences.values("id", *out.LICENCE_FIELDS)


class RatingCreate(APIView):
    scope = Scope.WRITE_RATINGS

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        _known_query(request, frozenset())

    @extend_schema(
        summary="Receive a rating from the provincial platform",
        description=(
            "The applicant's rating given on the provincial 好差评 system. Scope write:ratings. "
            "Once per application, once delivered; the same `rating_id` again gives the same "
            "answer and no second rating; another id for a rated application: 409."
        ),
        request=out.RatingIn,
        responses={
            201: out.RatingOut,
            404: OpenApiResponse(out.ErrorOut, description="No such application for this client."),
            409: OpenApiResponse(out.ErrorOut, description="Rated already, or not delivered."),
            **ERRORS,
        },
        operation_id="ratings_create",
    )
    def post(self, request: Request) -> Response:
        given = out.RatingIn(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            received, created = provincial_rating_receive(
                client=request.auth,
                applications=visible_applications(request.auth),
                platform_id=data["rating_id"],
                receipt_number=data["receipt_number"],
                level=data["level"],
                comment=data["comment"],
                now=timezone.now(),
            )
        except RatingRefused as refused:
            return Response({"detail": str(refused)}, status=refused.status)
        response = Response(out.RatingOut(received).data, status=status.HTTP_201_CREATED)
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response


class RatingDetail(APIView):
    scope = Scope.WRITE_RATINGS

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        _known_query(request, frozenset())

    @extend_schema(
        summary="A rating received from the provincial platform",
        description="What was recorded under the platform's `rating_id`. Scope write:ratings.",
        responses={
            200: out.RatingOut,
            404: OpenApiResponse(out.ErrorOut, description="No rating under this id."),
            **ERRORS,
        },
        operation_id="ratings_retrieve",
    )
    def get(self, request: Request, rating_id: str) -> Response:
        found = (
            visible_ratings(request.auth)
            .select_related("rating__application")
            .filter(platform_id=rating_id[:64])
            .first()
        )
        if found is None:
            raise exceptions.NotFound(_("No rating under this id."))
        return Response(out.RatingOut(found).data)


def visible_ratings(client: Client) -> QuerySet[ProvincialRating]:
    return ProvincialRating.objects.filter(rating__application__in=visible_applications(client))


class Schema(SpectacularAPIView):
    """The OpenAPI 3 schema, open to anyone (it holds no data)."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = []


class Docs(SpectacularSwaggerSplitView):
    """The browsable documentation (Swagger UI served from the project: drf-spectacular-sidecar,
    no CDN); its script is a file of the same address, as the page's CSP asks. The page around
    it is ours (templates/api/docs.html): in the reader's language, no inline style."""

    template_name = "api/docs.html"
    authentication_classes = []
    permission_classes = []
    throttle_classes = []
