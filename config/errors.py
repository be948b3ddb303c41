"""Configuration mistakes that stop the process with one clear line."""


class ConfigurationError(SystemExit):
    """Printed as one `error: …` line on stderr, exit status 1, no traceback to bury it."""

    def __init__(self, message: str) -> None:
        super().__init__(f"error: {message}")


class RuleViolation(Exception):
    """A business rule refused the request: shown as a form error in the admin, as a 4xx JSON body
    in the API, as a CommandError on the command line. `code` is stable per rule (the same names
    the SQL functions use); `message` says it in words a front-desk worker understands."""

    def __init__(self, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}
