"""Django benchmark app: one view that runs one sqlite query and renders a template."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# The project package sits beside this script; servers differ in what they put on sys.path.
sys.path.insert(0, HERE)
# Embedded mode has no venv of its own (python-home is per daemon group): the
# benchmark writes the site-packages directory of its venv here for that case.
_EMBEDDED = os.path.join(HERE, 'embedded-site-packages.txt')
if os.path.exists(_EMBEDDED):
    import site
    with open(_EMBEDDED) as f:
        site.addsitedir(f.read().strip())
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'benchsite.settings')

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
