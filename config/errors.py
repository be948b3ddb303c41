"""Configuration mistakes that stop the process with one clear line."""


class ConfigurationError(SystemExit):
    """Printed as one `error: …` line on stderr, exit status 1, no traceback to bury it."""

    def __init__(self, message: str) -> None:
        super().__init__(f"error: {message}")
