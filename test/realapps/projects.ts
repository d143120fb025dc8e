import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Django from the machine's package mirror, pinned as a user's requirements.txt would. */
export const DJANGO_REQUIREMENTS = 'django==5.2.17\npsycopg[binary]==3.3.6\n';

/** Python the local mod_wsgi links (Debian 12): the tool venv that runs django-admin. */
const PYTHON = '/usr/bin/python3.11';
const TOOL_VENV = path.join(os.tmpdir(), 'caw-django-admin-5.2.17');

/** Runs `django-admin startproject mysite <dir>` with Django from the mirror (tool venv cached). */
export function startproject(dir: string): void {
  if (!fs.existsSync(path.join(TOOL_VENV, '.done'))) {
    fs.rmSync(TOOL_VENV, { recursive: true, force: true });
    execFileSync(PYTHON, ['-m', 'venv', TOOL_VENV]);
    execFileSync(path.join(TOOL_VENV, 'bin', 'pip'), ['install', '-q', 'django==5.2.17'], { env: pipEnv() });
    fs.writeFileSync(path.join(TOOL_VENV, '.done'), '');
  }
  execFileSync(path.join(TOOL_VENV, 'bin', 'django-admin'), ['startproject', 'mysite', dir]);
}

/** pip reaches only the local mirror here: point it there so no request waits on the network. */
export function pipEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PIP_INDEX_URL: 'file:///opt/pypi/simple', PIP_EXTRA_INDEX_URL: 'file:///opt/pypi-more/simple' };
}

/**
 * The production settings a Django user adds beside the stock settings.py:
 * everything that differs per deployment comes from the environment.
 */
export const SETTINGS_PROD = `import os
from .settings import *  # noqa: F401,F403 - the stock settings, as startproject wrote them

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")
STATIC_ROOT = BASE_DIR / "staticfiles"  # noqa: F405
if os.environ.get("DJANGO_DB_HOST"):
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.environ["DJANGO_DB_HOST"],
        "PORT": os.environ["DJANGO_DB_PORT"],
        "NAME": os.environ["DJANGO_DB_NAME"],
        "USER": os.environ["DJANGO_DB_USER"],
        "PASSWORD": os.environ.get("DJANGO_DB_PASSWORD", ""),
    }}
else:
    DATABASES = {"default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(os.environ.get("DJANGO_DATA_DIR", str(BASE_DIR)), "db.sqlite3"),
    }}
LOGGING = {"version": 1, "handlers": {"console": {"class": "logging.StreamHandler"}}, "root": {"handlers": ["console"], "level": "WARNING"}}
`;

/** A stock Django project in a new directory, plus settings_prod.py and requirements.txt. */
export function djangoProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-django-'));
  fs.chmodSync(dir, 0o755);
  startproject(dir);
  fs.writeFileSync(path.join(dir, 'mysite', 'settings_prod.py'), SETTINGS_PROD);
  fs.writeFileSync(path.join(dir, 'requirements.txt'), DJANGO_REQUIREMENTS);
  return dir;
}

/** Creates the admin user once; idempotent, so it can run on every deploy. */
export const CREATE_SUPERUSER = [
  'python', 'manage.py', 'shell', '-c',
  'import os\nfrom django.contrib.auth import get_user_model\nU = get_user_model()\n'
  + 'U.objects.filter(username="admin").exists() or U.objects.create_superuser("admin", "admin@example.com", os.environ["DJANGO_SUPERUSER_PASSWORD"])',
];

/** A Flask app imported as `app:app`, reading its greeting from the environment at import time. */
export function flaskProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caw-flask-'));
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(path.join(dir, 'app.py'), [
    'import os',
    'from flask import Flask',
    '',
    'GREETING = os.environ["GREETING"]  # read at import: must be set before the app is imported',
    'app = Flask(__name__)',
    '',
    '@app.route("/")',
    'def index():',
    '    return {"greeting": GREETING, "module": __name__}',
    '',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'requirements.txt'), 'flask==3.1.3\n');
  return dir;
}
