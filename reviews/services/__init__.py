"""Writes for peer review. Each public function is one transaction with keyword-only arguments."""

from reviews.services.common import (
    NotAllowed,
    is_verified,
    require_curator,
    require_reviewer,
)
from reviews.services.judges import (
    ImportReport,
    create_judge_review,
    import_score_files,
)
from reviews.services.metrics import (
    DerivedSpec,
    ScaleSpec,
    adopt_version,
    check_scale,
    comment_on_version,
    configure_study_review,
    create_rubric,
    propose_derived_metric,
    propose_derived_version,
    propose_metric,
    propose_version,
    retire_version,
    set_rubric_versions,
)
from reviews.services.people import (
    apply_to_review,
    decide_application,
    ensure_profile,
    parse_conflicts,
    update_reviewer_profile,
)
from reviews.services.queue import (
    assign_reviewer,
    claim_next,
    current_claim,
    release_assignment,
)
from reviews.services.writing import (
    CANNOT_JUDGE,
    METHOD_FLAGS,
    ReviewContent,
    check_value,
    discard_draft,
    save_draft,
    submit_review,
)

__all__ = [
    "CANNOT_JUDGE", "METHOD_FLAGS", "ImportReport", "NotAllowed", "ReviewContent", "ScaleSpec", "adopt_version",
    "apply_to_review", "assign_reviewer", "check_scale", "check_value", "claim_next", "comment_on_version",
    "configure_study_review", "create_judge_review", "create_rubric", "current_claim", "decide_application",
    "discard_draft", "ensure_profile", "import_score_files", "is_verified", "parse_conflicts", "propose_metric", "propose_derived_metric", "propose_derived_version", "DerivedSpec",
    "propose_version", "release_assignment", "require_curator", "require_reviewer", "retire_version",
    "save_draft", "set_rubric_versions", "submit_review", "update_reviewer_profile",
]
