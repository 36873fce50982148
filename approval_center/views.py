from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from windows.roles import Role

# Where each role's work starts.
ROLE_HOMES = {
    Role.ADMINISTRATOR: "windows:admin_home",
    Role.CENTER_MANAGER: "supervision:dashboard",
    Role.GOVERNMENT_HEAD: "applications:extensions",
    Role.DEPARTMENT_LEADER: "windows:my_department",
    Role.STATIONED_DEPUTY: "applications:queue",
    Role.WINDOW_HEAD: "applications:queue",
    Role.WINDOW_OFFICER: "applications:queue",
    Role.INTAKE_CLERK: "applications:intake",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    role = request.user.primary_role
    if role is None:
        return render(request, "no_role.html", status=403)
    return redirect(ROLE_HOMES[role])
