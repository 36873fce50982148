"""The hall's appointments pages (included by hall/urls.py under the "hall" namespace)."""

urlpatterns: list = []
