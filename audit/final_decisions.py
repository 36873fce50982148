"""On PostgreSQL, a department review's decision is final once made: a trigger refuses an UPDATE
that changes what was decided, who signed, under which letter or posting, with which seal, or
when (and the leader's countersign once given), and a DELETE of a decided review, whoever asks
(the application's role, the admin, a console). The review's later states (returned to the
comprehensive window, received back, withdrawn) change other columns and go on as ever.
"""

from __future__ import annotations

TABLE = "applications_departmentreview"
TRIGGER = "audit_final_decision"
# The columns that are the decision; fixed from the moment decided_at is set.
DECISION_COLUMNS = (
    "decision_number",
    "outcome",
    "reasons",
    "signed_by_id",
    "signed_under_letter_id",
    "signed_under_posting_id",
    "seal_id",
    "decided_at",
)
COUNTERSIGN_COLUMNS = ("countersigned_by_id", "countersigned_at")


def _changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)


FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_refuse_decision_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.decided_at IS NOT NULL THEN
            RAISE EXCEPTION 'review % was decided at %: it is never deleted (final decision)',
                OLD.id, OLD.decided_at USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.decided_at IS NOT NULL AND ({_changed(DECISION_COLUMNS)}) THEN
        RAISE EXCEPTION 'review % was decided at %: its decision is never changed (final decision)',
            OLD.id, OLD.decided_at USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.countersigned_at IS NOT NULL AND ({_changed(COUNTERSIGN_COLUMNS)}) THEN
        RAISE EXCEPTION 'review % countersigned at %: never changed (final decision)',
            OLD.id, OLD.countersigned_at USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def install(connection) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(FUNCTION)
        cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}")
        cursor.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_decision_change()"
        )


def uninstall(connection) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TABLE}")
        cursor.execute("DROP FUNCTION IF EXISTS audit_refuse_decision_change()")
