"""The hall's figures pages (included by hall/urls.py under the "hall" namespace)."""

urlpatterns: list = []
