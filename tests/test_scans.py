"""Scans: PDF, JPEG or PNG by content, size-limited, stored privately under random names and
served only to staff who may see the application."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import Scan

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(client, application, name, content, **extra):
    return client.post(
        reverse("applications:scan_upload", args=[application.pk]),
        {"file": SimpleUploadedFile(name, content), **extra},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_a_pdf_is_stored_under_a_random_name(client, center, draft, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    client.force_login(center.dave)
    line = draft.materials.first()
    response = upload(client, draft, "营业执照<script>.pdf", PDF, line=line.pk)
    assert "Scan stored." in response.content.decode()
    scan = Scan.objects.get()
    assert scan.content_type == "application/pdf" and scan.line == line
    assert scan.original_name == "营业执照<script>.pdf"
    assert "营业执照" not in scan.file.name and scan.file.name.endswith(".pdf")
    assert "&lt;script&gt;" in response.content.decode()  # the name is escaped on the page


def test_a_png_named_pdf_is_refused(client, center, draft):
    client.force_login(center.dave)
    response = upload(client, draft, "licence.pdf", PNG)
    assert "is named “licence.pdf” but its content is PNG" in response.content.decode()
    assert not Scan.objects.exists()


def test_a_file_of_another_kind_is_refused(client, center, draft):
    client.force_login(center.dave)
    response = upload(client, draft, "notes.pdf", b"<html><script>alert(1)</script>")
    assert "Only PDF, JPEG or PNG scans are accepted" in response.content.decode()
    assert not Scan.objects.exists()


def test_an_oversized_file_is_refused(client, center, draft, settings):
    settings.SCAN_MAX_BYTES = 1024 * 1024
    client.force_login(center.dave)
    response = upload(client, draft, "big.pdf", PDF + b"0" * (1024 * 1024))
    assert "A scan may be at most 1 MB; this file is 1.0 MB." in response.content.decode()
    assert not Scan.objects.exists()


def test_only_staff_who_may_see_the_application_get_the_scan(
    client, center, accepted, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    client.force_login(center.dave)
    upload(client, accepted, "plan.png", PNG)
    scan = Scan.objects.get()
    url = reverse("applications:scan", args=[scan.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG
    client.force_login(center.alice)  # construction reviews this application
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302


def test_another_department_gets_404(client, center, draft, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    draft.items.set([center.permit])  # construction only
    client.force_login(center.dave)
    upload(client, draft, "plan.png", PNG)
    client.force_login(center.mallory)  # planning: no review in a draft, none of theirs
    assert client.get(reverse("applications:scan", args=[Scan.objects.get().pk])).status_code == 404


def test_an_officer_cannot_upload(client, center, draft):
    client.force_login(center.alice)
    assert upload(client, draft, "a.pdf", PDF).status_code == 403
