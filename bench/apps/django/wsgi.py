"""Django benchmark app: one view that runs one sqlite query and renders a template."""
import os
import sys

# The project package sits beside this script; servers differ in what they put on sys.path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'benchsite.settings')

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
