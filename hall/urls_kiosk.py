"""The hall's kiosk pages (included by hall/urls.py under the "hall" namespace)."""

urlpatterns: list = []
