"""News that travels up from the review floor: reliability and the explorer listen; services send.

Services send these inside their own transaction, so a receiver can record durable work (a pending
recompute row) atomically with the change; anything that leaves the process (a task, a cache
refresh) a receiver defers with `transaction.on_commit`. The ground floor's news is the Interview
`post_save` signal (status or visibility changes from any path, the admin included).
"""

from django.dispatch import Signal

# A review was submitted or revised. kwargs: review (reviews.models.Review).
review_submitted = Signal()

# A judge import created reviews. kwargs: metric_version_ids (set[int]) whose scores changed.
judge_scores_imported = Signal()
