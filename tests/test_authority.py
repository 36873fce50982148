import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse

from windows import authority
from windows.models import AuthorizationLetter, ItemUserObjectPermission
from windows.tasks import sync_signing_authority

from .conftest import aware

NOON = aware(2026, 6, 15)


def test_it_grants_what_the_letter_and_posting_carry(center):
    drift = authority.sync_signing_authority(at=NOON)
    assert drift.missing == {
        (center.bob.pk, center.permit.pk),
        (center.bob.pk, center.design_review.pk),
        (center.carol.pk, center.planning_item.pk),
    }
    assert center.bob.has_perm("windows.sign_item", center.permit)
    assert not center.bob.has_perm("windows.sign_item", center.planning_item)
    assert not center.alice.has_perm("windows.sign_item", center.permit)


def test_a_window_head_signs_under_the_letter(center):
    authority.sync_signing_authority(at=NOON)
    basis = authority.signing_basis(center.bob, center.permit, at=NOON)
    assert basis is not None and basis.letter == center.letter and basis.posting is None
    assert basis.department == center.construction
    assert str(basis) == "临建委〔2026〕1号"


def test_a_deputy_signs_under_the_posting(center):
    authority.sync_signing_authority(at=NOON)
    basis = authority.signing_basis(center.carol, center.planning_item, at=NOON)
    assert basis is not None and basis.posting == center.posting


def test_an_officer_without_authority_signs_nothing(center):
    authority.sync_signing_authority(at=NOON)
    assert authority.signing_basis(center.alice, center.permit, at=NOON) is None
    assert authority.signing_basis(center.mallory, center.permit, at=NOON) is None


def test_a_valid_basis_without_the_permission_signs_nothing(center):
    # Withdrawn by hand (or not yet granted by the sync): the letter and posting alone are not
    # enough, for the letter's holder and the deputy alike.
    from guardian.shortcuts import remove_perm

    authority.sync_signing_authority(at=NOON)
    remove_perm("windows.sign_item", center.bob, center.permit)
    remove_perm("windows.sign_item", center.carol, center.planning_item)
    assert authority.signing_basis(center.bob, center.permit, at=NOON) is None
    assert authority.signing_basis(center.carol, center.planning_item, at=NOON) is None
    assert authority.signing_basis(center.bob, center.design_review, at=NOON) is not None


def test_a_revoked_letter_signs_nothing_from_that_moment(center):
    authority.sync_signing_authority(at=NOON)
    authority.letter_revoke(letter=center.letter, by=center.admin, reason="窗口负责人调离", at=NOON)
    center.bob = type(center.bob).objects.get(pk=center.bob.pk)  # fresh permission cache
    assert authority.signing_basis(center.bob, center.permit, at=NOON) is None
    assert not center.bob.has_perm("windows.sign_item", center.permit)
    letter = AuthorizationLetter.objects.get(pk=center.letter.pk)
    assert letter.revoked_by == center.admin and letter.revoke_reason == "窗口负责人调离"
    assert letter.history.first().history_change_reason == "窗口负责人调离"


def test_revoking_twice_keeps_the_first_revocation(center):
    authority.letter_revoke(letter=center.letter, by=center.admin, reason="first", at=NOON)
    later = NOON + dt.timedelta(hours=1)
    letter = authority.letter_revoke(letter=center.letter, by=center.erin, reason="again", at=later)
    assert letter.revoked_at == NOON and letter.revoke_reason == "first"


def test_an_expired_letter_signs_nothing_even_before_the_nightly_sync(center):
    authority.sync_signing_authority(at=NOON)
    after_expiry = aware(2027, 1, 1, 9)
    # The permission row is still there until the sync runs, but the letter is no longer valid.
    assert ItemUserObjectPermission.objects.filter(user=center.bob).exists()
    assert authority.signing_basis(center.bob, center.permit, at=after_expiry) is None
    drift = authority.sync_signing_authority(at=after_expiry)
    assert (center.bob.pk, center.permit.pk) in drift.extra
    assert not ItemUserObjectPermission.objects.filter(user=center.bob).exists()


def test_a_letter_not_yet_in_force_grants_nothing(center):
    center.letter.valid_from = dt.date(2026, 7, 1)
    center.letter.save(update_fields=["valid_from"])
    assert (center.bob.pk, center.permit.pk) not in authority.desired_grants(NOON)
    assert (center.bob.pk, center.permit.pk) in authority.desired_grants(aware(2026, 7, 1, 8))


def test_a_posting_ends_with_its_term(center):
    authority.sync_signing_authority(at=NOON)
    drift = authority.sync_signing_authority(at=aware(2027, 3, 1))
    assert (center.carol.pk, center.planning_item.pk) in drift.extra
    assert authority.signing_basis(center.carol, center.planning_item, at=aware(2027, 3, 1)) is None


def test_a_posting_ended_early_signs_nothing_after(center):
    center.posting.ended_on = dt.date(2026, 6, 14)
    center.posting.save(update_fields=["ended_on"])
    authority.sync_signing_authority(at=NOON)
    assert authority.signing_basis(center.carol, center.planning_item, at=NOON) is None


def test_the_sync_is_idempotent(center):
    authority.sync_signing_authority(at=NOON)
    assert not authority.sync_signing_authority(at=NOON)
    assert ItemUserObjectPermission.objects.count() == 3


def test_the_beat_task_syncs(center, time_machine):
    time_machine.move_to(NOON, tick=False)
    assert sync_signing_authority() == {"granted": 3, "withdrawn": 0}
    assert sync_signing_authority() == {"granted": 0, "withdrawn": 0}


def test_the_drift_command_reports_and_fixes(center, capsys, time_machine):
    time_machine.move_to(NOON, tick=False)
    with pytest.raises(SystemExit) as exit_info:
        call_command("authority_drift")
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "missing\tbob" in out and "XK-JSJ-001" in out and "3 missing, 0 extra" in out
    call_command("authority_drift", "--fix")
    call_command("authority_drift")
    assert "No drift" in capsys.readouterr().out


def test_the_drift_command_finds_a_permission_granted_by_hand(center, capsys, time_machine):
    time_machine.move_to(NOON, tick=False)
    authority.sync_signing_authority(at=NOON)
    from guardian.shortcuts import assign_perm

    assign_perm("windows.sign_item", center.alice, center.permit)
    with pytest.raises(SystemExit):
        call_command("authority_drift")
    assert "extra\talice" in capsys.readouterr().out


def test_saving_a_letter_in_the_admin_grants_at_once(center, client, time_machine):
    time_machine.move_to(NOON, tick=False)
    client.force_login(center.admin)
    url = reverse("admin:windows_authorizationletter_change", args=[center.letter.pk])
    response = client.post(
        url,
        {
            "number": center.letter.number,
            "department": center.construction.pk,
            "delegating_official": "王建国（局长）",
            "window_head": center.bob.pk,
            "items": [center.permit.pk],
            "valid_from": "2026-01-01",
            "valid_until": "2026-12-31",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert authority.current_grants() == {
        (center.bob.pk, center.permit.pk),
        (center.carol.pk, center.planning_item.pk),
    }


def test_the_admin_revoke_action_asks_for_a_reason_then_revokes(center, client, time_machine):
    time_machine.move_to(NOON, tick=False)
    authority.sync_signing_authority(at=NOON)
    client.force_login(center.admin)
    url = reverse("admin:windows_authorizationletter_changelist")
    form = {"action": "revoke", "_selected_action": [center.letter.pk]}
    response = client.post(url, form)
    assert response.status_code == 200
    assert "临建委〔2026〕1号" in response.content.decode()
    assert AuthorizationLetter.objects.get(pk=center.letter.pk).revoked_at is None
    response = client.post(url, {**form, "reason": "委托事项调整"})
    assert response.status_code == 302
    letter = AuthorizationLetter.objects.get(pk=center.letter.pk)
    assert letter.revoked_at == NOON and letter.revoked_by == center.admin
    assert (center.bob.pk, center.permit.pk) not in authority.current_grants()


def test_signable_items_lists_only_what_may_be_signed_now(center):
    authority.sync_signing_authority(at=NOON)
    assert set(authority.signable_items(center.bob, at=NOON)) == {
        center.permit,
        center.design_review,
    }
    assert list(authority.signable_items(center.bob, at=aware(2027, 1, 2))) == []
