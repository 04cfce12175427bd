"""The errors services raise; views and the API turn them into form errors and 400/409 answers."""

from __future__ import annotations

from commons.models import Interview


class ServiceError(ValueError):
    """A request that cannot be carried out; `field` names the offending input."""

    def __init__(self, message: str, field: str = "non_field_errors") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class DuplicateInterview(ServiceError):
    def __init__(self, existing: Interview) -> None:
        # The message never names the existing interview: the uploader may not be allowed to see it.
        super().__init__("This transcript is already in the commons.", "transcript")
        self.existing = existing


class MissingTargetModel(ServiceError):
    """No target model was chosen or described, and the transcript names none."""

    def __init__(self) -> None:
        super().__init__("The transcript does not name its model; give `target_model`.", "target_model")
