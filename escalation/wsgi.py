import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings")

application = get_wsgi_application()

# Under gunicorn --preload this runs once, before the workers fork: import the whole app (and
# with it WeasyPrint) and decode the PDF fonts now, so no worker pays for it on a request.
import escalation.urls  # noqa: E402, F401
from briefs.pdf_engine import warm_fonts  # noqa: E402

warm_fonts()
