"""Domain operations: plain functions, no request or form objects."""


class DomainError(Exception):
    """A rule of the domain refused an operation. `field` names the form field it concerns."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
