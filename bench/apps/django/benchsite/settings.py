"""Minimal production-like settings: DEBUG off, no sessions/auth, one sqlite database per process."""
import atexit
import os
import sqlite3
import tempfile

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = 'benchmark-only-not-a-secret'
DEBUG = False
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
ROOT_URLCONF = 'benchsite.urls'
INSTALLED_APPS = []
MIDDLEWARE = ['django.middleware.common.CommonMiddleware']
TEMPLATES = [{
    'BACKEND': 'django.template.backends.django.DjangoTemplates',
    'DIRS': [os.path.join(BASE_DIR, 'templates')],
    'OPTIONS': {'context_processors': []},
}]
USE_TZ = True


# On tmpfs for every server alike: in /tmp (ext4 here) opening the file per request
# waited on the disk (gunicorn -w2 at 2 clients: 592 req/s in /tmp, 895 in /dev/shm).
DB_DIR = '/dev/shm' if os.path.isdir('/dev/shm') and os.access('/dev/shm', os.W_OK) else tempfile.gettempdir()


def _make_db():
    """A file database of 200 rows, private to this process (read-only after start, so any user can run it)."""
    path = os.path.join(DB_DIR, 'bench-django-%d.sqlite3' % os.getpid())
    con = sqlite3.connect(path)
    con.execute('CREATE TABLE IF NOT EXISTS item (id INTEGER PRIMARY KEY, name TEXT, price REAL)')
    if con.execute('SELECT COUNT(*) FROM item').fetchone()[0] == 0:
        con.executemany('INSERT INTO item (id, name, price) VALUES (?, ?, ?)', [(i, 'item %d' % i, i * 1.25) for i in range(200)])
    con.commit()
    con.close()
    atexit.register(lambda: os.path.exists(path) and os.remove(path))
    return path


DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': _make_db()}}
