"""Make the development signing key (an RSA 2048 key and a self-signed certificate in the center's
name, as a PKCS#12 file under VAR_DIR/signing/). Production uses SIGNING_PKCS12_PATH instead."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from licences import signing


class Command(BaseCommand):
    help = "Make the development key that signs issued documents (once; --replace for anew)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Make a new key even if one exists (documents signed before stop validating).",
        )

    def handle(self, *args, replace: bool = False, **options):
        if settings.SIGNING_PKCS12_PATH:
            raise CommandError(
                f"SIGNING_PKCS12_PATH is set ({settings.SIGNING_PKCS12_PATH}): that key signs."
            )
        path = signing.development_key_path()
        existed = path.exists()
        signing.make_development_key(path, replace=replace)
        signing.forget_signer()
        subject = signing.certificate().subject.human_friendly
        if existed and not replace:
            self.stdout.write(f"The development key exists: {path} ({subject})")
        else:
            self.stdout.write(self.style.SUCCESS(f"Made the development key {path} ({subject})"))
