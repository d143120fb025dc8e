import * as path from 'path';
import { TerraformStack, Testing } from 'cdktf';
import { ApacheSite, AppSecret, DaemonGroup, Platform, VirtualEnv, WsgiApp } from '../../lib';
import { CREATE_SUPERUSER } from './projects';

export const SECRET_KEY_ARN = 'arn:aws:ssm:eu-west-1:123456789012:parameter/mysite/secret-key';
export const ADMIN_PASSWORD_ARN = 'arn:aws:ssm:eu-west-1:123456789012:parameter/mysite/admin-password';
export const DB_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:mysite/db-AbCdEf';

export interface DjangoSiteOptions {
  /** PostgreSQL on 127.0.0.1:port instead of sqlite in a data directory. */
  readonly postgresPort?: number;
  /** Import the stock project through its module instead of its wsgi.py script. */
  readonly entryPoint?: boolean;
}

/**
 * A stock `django-admin startproject` site as a user would declare it: settings
 * module and secret key from the environment and secrets, collectstatic at build,
 * migrate and the admin user at release, sqlite in a data directory (or PostgreSQL).
 */
export function djangoSite(source: string, options: DjangoSiteOptions = {}): ApacheSite {
  const stack = new TerraformStack(Testing.app(), 'mysite');
  const site = new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'localhost' });
  const venv = new VirtualEnv(stack, 'Env', { requirementsFile: path.join(source, 'requirements.txt') });
  const db: { environment: Record<string, string>; secrets: Record<string, AppSecret> } = options.postgresPort !== undefined
    ? {
      environment: { DJANGO_DB_HOST: '127.0.0.1', DJANGO_DB_PORT: String(options.postgresPort), DJANGO_DB_NAME: 'mysite', DJANGO_DB_USER: 'mysite' },
      secrets: { DJANGO_DB_PASSWORD: AppSecret.fromSecretsManager(DB_SECRET_ARN, 'password') },
    }
    : { environment: {}, secrets: {} };
  const web = new DaemonGroup(site, 'Web', {
    virtualEnv: venv,
    processes: 2,
    threads: 5,
    environment: { DJANGO_SETTINGS_MODULE: 'mysite.settings_prod', DJANGO_ALLOWED_HOSTS: 'localhost,127.0.0.1', ...db.environment },
    secrets: {
      DJANGO_SECRET_KEY: AppSecret.fromSsmParameter(SECRET_KEY_ARN),
      DJANGO_SUPERUSER_PASSWORD: AppSecret.fromSsmParameter(ADMIN_PASSWORD_ARN),
      ...db.secrets,
    },
    dataDirectories: { DJANGO_DATA_DIR: 'db' },
  });
  new WsgiApp(site, 'Mysite', {
    mountPath: '/',
    source,
    ...(options.entryPoint ? { entryPoint: 'mysite.wsgi:application' } : { scriptFile: 'mysite/wsgi.py' }),
    daemonGroup: web,
    healthCheckPath: '/admin/',
    staticFiles: [{ urlPath: '/static', directory: 'staticfiles', createdByBuild: true }],
    buildCommands: [['python', 'manage.py', 'collectstatic', '--noinput']],
    releaseCommands: [['python', 'manage.py', 'migrate', '--noinput'], CREATE_SUPERUSER],
  });
  return site;
}
