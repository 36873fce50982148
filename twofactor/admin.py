"""Django-otp's own admin pages are taken away: they show a device's key and QR code (anyone with
the admin could copy another person's authenticator) and change devices without a record. The
second factor is managed on the pages of this app, each reset recorded (`SecondFactor`)."""

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
