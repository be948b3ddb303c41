#!/usr/bin/env python
"""Django's command-line utility for administrative tasks; failures end in one line (config/commands.py)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from config.commands import main as run_command_line

    run_command_line(sys.argv)


if __name__ == "__main__":
    main()
