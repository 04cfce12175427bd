"""The pseudonym preference moves from the reviewer profile to the person (commons.User.use_pseudonym), so
one rule (commons.names.public_name) names everyone everywhere. A reviewer who chose a pseudonym keeps it."""

from django.db import migrations


def copy_preference(apps, schema_editor):
    ReviewerProfile = apps.get_model("reviews", "ReviewerProfile")
    User = apps.get_model("commons", "User")
    chosen = ReviewerProfile.objects.filter(use_pseudonym=True).values("user_id")
    User.objects.filter(pk__in=chosen).update(use_pseudonym=True)


def copy_back(apps, schema_editor):
    ReviewerProfile = apps.get_model("reviews", "ReviewerProfile")
    User = apps.get_model("commons", "User")
    ReviewerProfile.objects.filter(user__in=User.objects.filter(use_pseudonym=True)).update(use_pseudonym=True)


class Migration(migrations.Migration):

    dependencies = [
        ("reviews", "0002_starter_rubric"),
        ("commons", "0002_user_use_pseudonym"),
    ]

    operations = [
        migrations.RunPython(copy_preference, copy_back),
        migrations.RemoveField(model_name="reviewerprofile", name="pseudonym"),
        migrations.RemoveField(model_name="reviewerprofile", name="use_pseudonym"),
    ]
