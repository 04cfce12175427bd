from django.db import migrations, models


def backfill(apps, schema_editor):
    """Existing reviews get the moment the live rule would have recorded (`reviews.services.unblinding`):
    their own first submission or the first other submitted review of the interview, whichever came later."""
    Review = apps.get_model("reviews", "Review")
    submitted = (Review.objects.filter(status="submitted").order_by()
                 .values_list("pk", "interview_id", "kind", "submitted_at", "created_at"))
    by_interview: dict = {}
    for pk, interview_id, kind, submitted_at, created_at in submitted.iterator():
        by_interview.setdefault(interview_id, []).append((pk, kind, submitted_at or created_at))
    for reviews in by_interview.values():
        for pk, kind, own in reviews:
            others = [moment for other, _, moment in reviews if other != pk]
            if kind != "human" or not others:
                continue
            Review.objects.filter(pk=pk).update(unblinded_at=max(own, min(others)))


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0005_ending_response_and_adequacy_metrics'),
    ]

    operations = [
        migrations.AddField(
            model_name='review',
            name='unblinded_at',
            field=models.DateTimeField(blank=True, help_text='When another review of this interview first became visible to this reviewer. Set once, never moved; empty while blind (and for judges).', null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
