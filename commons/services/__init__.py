"""Writes: every function that changes state lives here, each in one transaction.

Views, API views, tasks and management commands call these; they never write models directly.
`from commons.services import X` is the way in; the modules below are how the code is filed.
"""

from commons.services.accounts import (
    ROLES,
    TOKEN_PREFIX,
    create_api_token,
    hash_token,
    revoke_api_token,
    set_public_name,
    set_role,
    touch_token,
)
from commons.services.audit import record_audit
from commons.services.errors import DuplicateInterview, MissingTargetModel, ServiceError
from commons.services.imports import (
    ImportDefaults,
    fail_import,
    import_items,
    import_limits,
    import_one,
    run_import,
    start_import,
)
from commons.services.interviews import (
    check_transcript,
    content_hash,
    create_interview,
    create_target_model,
    get_or_create_interviewer,
    get_or_create_target_model,
    submit_interview,
    transcript_limits,
    turn_plain_text,
    validate_conditions,
    withdraw_interview,
)
from commons.services.redactions import lift_redaction, redact_turn
from commons.services.studies import may_manage_study, set_judge_scores_public
from commons.services.uploads import NewInterviewer, NewTargetModel, submit_transcript

__all__ = [
    "ROLES", "TOKEN_PREFIX", "DuplicateInterview", "ImportDefaults", "MissingTargetModel", "NewInterviewer",
    "NewTargetModel", "ServiceError", "check_transcript", "content_hash", "create_api_token", "create_interview",
    "create_target_model", "fail_import", "get_or_create_interviewer", "get_or_create_target_model", "hash_token",
    "import_items", "import_limits", "import_one", "lift_redaction", "redact_turn", "may_manage_study", "record_audit", "revoke_api_token", "run_import",
    "set_judge_scores_public", "set_public_name", "set_role",
    "start_import", "submit_interview", "submit_transcript", "touch_token", "transcript_limits", "turn_plain_text",
    "validate_conditions", "withdraw_interview",
]
