"""Pages and files with personal data carry `Cache-Control: no-store` (DESIGN.md section 11):
every answer to a signed-in person (staff pages, documents, scans, exports) and every file sent,
so neither the browser's cache nor a proxy keeps them. Static files and the anonymous sign-in
page are not concerned."""

from django.urls import reverse

from .test_access import private_media as private_media
from .test_access import samples as samples


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_staff_pages_and_files_are_never_stored(client, center, samples):
    client.force_login(center.admin)
    urls = [
        reverse("applications:intake"),
        reverse("applications:detail", args=[samples["application"].pk]),
        reverse("applications:document", args=[samples["document"].pk]),  # a PDF
        reverse("applications:scan", args=[samples["scan"].pk]),  # an uploaded scan
        reverse("supervision:assessment_csv"),  # an export
        reverse("supervision:assessment_pdf"),
        reverse("supervision:urge_pdf", args=[samples["urge"].pk]),
        reverse("windows:seal_image", args=["A05"]),
        reverse("audit:trail"),
        reverse("admin:index"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert no_store(response), url
        assert "private" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_the_status_page_is_never_stored_either(client, db):
    assert no_store(client.get(reverse("applications:track")))


def test_an_error_page_of_a_signed_in_person_is_not_stored(client, center):
    client.force_login(center.alice)
    response = client.get(reverse("supervision:dashboard"))
    assert response.status_code == 403 and no_store(response)
