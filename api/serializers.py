"""What the API gives of each kind of record (docs/api.md says why each field is there).

Personal data: an enterprise applicant is given with its name and unified social credit code
(the provincial platform's 办件数据 name the applicant); a person only with the name masked
as on the public check of a document (`applications.access.masked_name`: 张*三), never the ID
number, mobile, e-mail or address. No officer is named; a decision names its signer, as the
printed decision does.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from applications.access import masked_name
from applications.models import Applicant, Application, DepartmentReview
from licences.models import Licence


class ApplicantOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Applicant.Kind.choices)
    name = serializers.SerializerMethodField()
    credit_code = serializers.SerializerMethodField()

    def get_name(self, applicant: Applicant) -> str:
        if applicant.kind == Applicant.Kind.ENTERPRISE:
            return applicant.name
        return masked_name(applicant.name)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_credit_code(self, applicant: Applicant) -> str | None:
        if applicant.kind == Applicant.Kind.ENTERPRISE:
            return applicant.id_number
        return None


class ItemOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    department = serializers.CharField(source="department.code")


class ApplicationOut(serializers.Serializer):
    receipt_number = serializers.CharField()
    state = serializers.ChoiceField(choices=Application.State.choices)
    channel = serializers.ChoiceField(choices=Application.Channel.choices)
    applicant = ApplicantOut()
    items = serializers.SerializerMethodField()
    departments = serializers.SerializerMethodField()
    received_at = serializers.DateTimeField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)
    promised_date = serializers.DateField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    decided_at = serializers.DateTimeField(
        allow_null=True, help_text="The last decision on one of its items."
    )
    ready_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)

    def _items(self, application: Application) -> list:
        seen = self.context.get("department_ids")
        items = application.items.all()  # prefetched, with their departments
        return [item for item in items if not seen or item.department_id in seen]

    @extend_schema_field(ItemOut(many=True))
    def get_items(self, application: Application) -> list:
        return ItemOut(self._items(application), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_departments(self, application: Application) -> list[str]:
        return sorted({item.department.code for item in self._items(application)})


class ReviewOut(serializers.Serializer):
    id = serializers.IntegerField()
    receipt_number = serializers.CharField(source="application.receipt_number")
    item = ItemOut()
    window = serializers.CharField(source="window.number")
    state = serializers.ChoiceField(choices=DepartmentReview.State.choices)
    started_on = serializers.DateField(help_text="The clock runs from the next working day.")
    deadline = serializers.DateField()
    statutory_deadline = serializers.DateField()
    decided_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.ChoiceField(
        choices=DepartmentReview.Outcome.choices, allow_blank=True, help_text="Empty until decided."
    )
    decision_number = serializers.CharField(allow_null=True)


class DecisionOut(serializers.Serializer):
    number = serializers.CharField()
    receipt_number = serializers.CharField(source="application.receipt_number")
    item = ItemOut(source="review.item")
    outcome = serializers.SerializerMethodField()
    issued_at = serializers.DateTimeField()
    signer = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=DepartmentReview.Outcome.choices))
    def get_outcome(self, document) -> str:
        return "granted" if document.kind == "approval" else "refused"

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_signer(self, document) -> str | None:
        signer = document.review.signed_by if document.review_id else None
        return (signer.full_name or signer.username) if signer else None


class LicenceOut(serializers.Serializer):
    number = serializers.CharField()
    receipt_number = serializers.CharField(source="review.application.receipt_number")
    holder = ApplicantOut()
    item = ItemOut()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    status = serializers.SerializerMethodField()
    issued_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.ChoiceField(choices=Licence.Status.choices))
    def get_status(self, licence: Licence) -> str:
        return licence.status_on(self.context["today"])


class RatingIn(serializers.Serializer):
    rating_id = serializers.RegexField(
        r"^[A-Za-z0-9_.:-]{1,64}$",
        max_length=64,
        help_text="The provincial platform's own id of the rating: sending it again is harmless.",
    )
    receipt_number = serializers.CharField(max_length=12)
    level = serializers.IntegerField(
        min_value=1, max_value=5, help_text="5 very satisfied … 1 very dissatisfied."
    )
    comment = serializers.CharField(max_length=500, allow_blank=True, required=False, default="")


class RatingOut(serializers.Serializer):
    rating_id = serializers.CharField(source="platform_id")
    receipt_number = serializers.CharField(source="rating.application.receipt_number")
    level = serializers.IntegerField(source="rating.level")
    comment = serializers.CharField(source="rating.comment")
    rated_at = serializers.DateTimeField(source="rating.rated_at")
    received_at = serializers.DateTimeField()


class ErrorOut(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


# --- the rows of the lists, written out ----------------------------------------------------
# The serializers above are the schema (drf-spectacular reads them) and the shape; the lists'
# rows are built by these plain functions with the same output, at a fraction of DRF's cost per
# field (a page of 100 applications: ~70 ms through the serializers, a few ms here). The
# schemathesis test checks every answer against the schema, so the two cannot drift apart.


def _moment(value, tz) -> str | None:
    """As DRF's DateTimeField writes it: ISO 8601 in the current time zone (`tz`), UTC as Z."""
    if value is None:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _day(value) -> str | None:
    return value.isoformat() if value is not None else None


def _holder(kind: str, name: str, id_number: str) -> dict:
    enterprise = kind == Applicant.Kind.ENTERPRISE
    return {
        "kind": kind,
        "name": name if enterprise else masked_name(name),
        "credit_code": id_number if enterprise else None,
    }


def _item(row: dict, prefix: str) -> dict:
    return {
        "code": row[f"{prefix}code"],
        "name": row[f"{prefix}name"],
        "department": row[f"{prefix}department__code"],
    }


def application_row(row: dict, items: list[tuple], context: dict) -> dict:
    """An application from its values (views.APPLICATION_FIELDS) and its items as (code, name,
    department id, department code), those of the client's departments only."""
    tz = context["tz"]
    seen = context.get("department_ids")
    items = [item for item in items if not seen or item[2] in seen]
    return {
        "receipt_number": row["receipt_number"],
        "state": row["state"],
        "channel": row["channel"],
        "applicant": _holder(
            row["applicant__kind"], row["applicant__name"], row["applicant__id_number"]
        ),
        "items": [{"code": code, "name": name, "department": dep} for code, name, _, dep in items],
        "departments": sorted({item[3] for item in items}),
        "received_at": _moment(row["received_at"], tz),
        "accepted_at": _moment(row["accepted_at"], tz),
        "promised_date": _day(row["promised_date"]),
        "due_date": _day(row["due_date"]),
        "decided_at": _moment(row["decided_at"], tz),
        "ready_at": _moment(row["ready_at"], tz),
        "delivered_at": _moment(row["delivered_at"], tz),
        "withdrawn_at": _moment(row["withdrawn_at"], tz),
    }


REVIEW_FIELDS = (
    *("application__receipt_number", "item__code", "item__name", "item__department__code"),
    *("window__number", "state", "started_on", "deadline", "statutory_deadline"),
    *("decided_at", "outcome", "decision_number"),
)


def review_row(row: dict, context: dict) -> dict:
    tz = context["tz"]
    return {
        "id": row["id"],
        "receipt_number": row["application__receipt_number"],
        "item": _item(row, "item__"),
        "window": row["window__number"],
        "state": row["state"],
        "started_on": _day(row["started_on"]),
        "deadline": _day(row["deadline"]),
        "statutory_deadline": _day(row["statutory_deadline"]),
        "decided_at": _moment(row["decided_at"], tz),
        "outcome": row["outcome"],
        "decision_number": row["decision_number"],
    }


DECISION_FIELDS = (
    *("number", "kind", "issued_at", "application__receipt_number"),
    *("review__item__code", "review__item__name", "review__item__department__code"),
    *("review__signed_by__full_name", "review__signed_by__username"),
)


def decision_row(row: dict, context: dict) -> dict:
    return {
        "number": row["number"],
        "receipt_number": row["application__receipt_number"],
        "item": _item(row, "review__item__"),
        "outcome": "granted" if row["kind"] == "approval" else "refused",
        "issued_at": _moment(row["issued_at"], context["tz"]),
        "signer": row["review__signed_by__full_name"] or row["review__signed_by__username"],
    }


LICENCE_FIELDS = (
    *("number", "review__application__receipt_number", "holder__kind", "holder__name"),
    *("holder__id_number", "item__code", "item__name", "item__department__code"),
    *("valid_from", "valid_until", "status", "issued_at", "revoked_at"),
)


def licence_row(row: dict, context: dict) -> dict:
    tz = context["tz"]
    # Expiry read from the day as the licence reads it (Licence.status_on: its one definition).
    status = Licence(status=row["status"], valid_until=row["valid_until"]).status_on(
        context["today"]
    )
    return {
        "number": row["number"],
        "receipt_number": row["review__application__receipt_number"],
        "holder": _holder(row["holder__kind"], row["holder__name"], row["holder__id_number"]),
        "item": _item(row, "item__"),
        "valid_from": _day(row["valid_from"]),
        "valid_until": _day(row["valid_until"]),
        "status": status,
        "issued_at": _moment(row["issued_at"], tz),
        "revoked_at": _moment(row["revoked_at"], tz),
    }
