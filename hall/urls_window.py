"""The hall's window pages (included by hall/urls.py under the "hall" namespace)."""

urlpatterns: list = []
