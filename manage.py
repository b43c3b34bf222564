#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings")
    from django.core.management import execute_from_command_line

    from briefs.management.errors import setup_errors_in_one_line

    command = sys.argv[1] if len(sys.argv) > 1 else ""
    with setup_errors_in_one_line(command=command, traceback="--traceback" in sys.argv):
        execute_from_command_line(sys.argv)
