from django.core.management.base import BaseCommand, CommandError

from commons import services
from commons.models import User


class Command(BaseCommand):
    help = "Grant (or with --revoke, take away) the reviewer or curator role."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("role", choices=services.ROLES)
        parser.add_argument("--revoke", action="store_true")

    def handle(self, *args, email: str, role: str, revoke: bool, **options) -> None:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No user with e-mail {email}.")
        services.set_role(user=user, role=role, granted=not revoke, actor=None)
        self.stdout.write(self.style.SUCCESS(f"{email}: {role} {'revoked' if revoke else 'granted'}."))
