from django.core.management.base import BaseCommand

from windows.demo import DEMO_PASSWORD
from windows.models import Staff
from windows.roles import Role


class Command(BaseCommand):
    help = "Prints one demo login for each role."

    def handle(self, *args, **options):
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for role in Role:
            person = (
                Staff.objects.filter(groups__name=role.value, is_active=True)
                .select_related("window", "department")
                .order_by("username")
                .first()
            )
            if person is None:
                continue
            where = person.window or person.department or ""
            self.stdout.write(f"  {role.label:<24} {person.username:<18} {person}  {where}")
