"""The record of each import: who, when, which kind, the file kept with its SHA-256, and what it
did (or why it was refused)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


def _import_path(record: ImportRecord, filename: str) -> str:
    # A random name under the private files: nothing of the uploaded name reaches the disk.
    return f"imports/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}.{record.file_format}"


class ImportRecord(models.Model):
    class State(models.TextChoices):
        CHECKED = "checked", _("Checked, awaiting confirmation")
        REFUSED = "refused", _("Refused: rows with errors")
        COMMITTED = "committed", _("Written")

    class Format(models.TextChoices):
        XLSX = "xlsx", "XLSX"
        CSV = "csv", "CSV"

    kind = models.CharField(_("kind"), max_length=30)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    file = models.FileField(_("file"), upload_to=_import_path)
    file_format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    original_name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded at"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when loaded from the command line."),
    )
    checked_at = models.DateTimeField(_("checked at"))
    committed_at = models.DateTimeField(_("written at"), null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    # The rows to write, as shown before the confirmation: [{"row", "key", "new", "columns"}],
    # the first CHANGES_KEPT of them (column keys of the kind).
    changes = models.JSONField(_("rows to write"), default=list, blank=True)
    # What the check would write (rows, fields), so a confirmation writes only what was shown.
    plan_digest = models.CharField(_("plan digest"), max_length=64, blank=True)
    problem_count = models.PositiveIntegerField(_("errors"), default=0)
    # [{"sheet", "row", "column": {language: text}, "reason": {language: text}}], the first
    # PROBLEMS_KEPT of them: written in every language at the check, so the page speaks the
    # reader's.
    problems = models.JSONField(_("errors"), default=list, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.original_name}"

    def get_absolute_url(self) -> str:
        return reverse("loading:import", args=[self.pk])

    @property
    def kind_label(self) -> str:
        from .kinds import KINDS

        kind = KINDS.get(self.kind)
        return str(kind.label) if kind else self.kind

    def changes_shown(self) -> list[dict]:
        """The rows to write with the names of their changed columns in the reader's language."""
        from .kinds import KINDS

        kind = KINDS.get(self.kind)
        labels = {c.key: c.label() for c in kind.columns} if kind else {}
        separator = "、" if (get_language() or "").startswith("zh") else ", "
        return [
            {**change, "columns": separator.join(labels.get(key, key) for key in change["columns"])}
            for change in self.changes
        ]

    def problems_shown(self) -> list[dict]:
        """The problems with their column and reason in the reader's language."""
        language = get_language() or settings.LANGUAGE_CODE
        shown = []
        for problem in self.problems:
            shown.append(
                {
                    "sheet": problem["sheet"],
                    "row": problem["row"],
                    "column": _in(problem["column"], language),
                    "reason": _in(problem["reason"], language),
                }
            )
        return shown


def _in(texts: dict[str, str], language: str) -> str:
    return (
        texts.get(language) or texts.get(settings.LANGUAGE_CODE) or next(iter(texts.values()), "")
    )
