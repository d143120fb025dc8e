import { IConstruct } from 'constructs';
import { AppSecret } from '../app-secret';
import { checkLiteral, propError } from './validate';
import { SecretSpec } from '../conf/site-spec';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const ENV_NAME_EXPECTED = 'an environment variable name: letters, digits and "_", not starting with a digit';

/** Environment variables as given: names checked, values literal strings without NUL. */
export function checkEnvironment(scope: IConstruct, prop: string, env: Record<string, string> | undefined): Record<string, string> {
  if (env === undefined) {
    return {};
  }
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    throw propError(scope, prop, env, 'an object of variable name to string value');
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    checkEnvName(scope, `${prop} name`, name);
    if (typeof value !== 'string' || value.includes('\0')) {
      throw propError(scope, `${prop}.${name}`, value, 'a string without NUL');
    }
    checkLiteral(scope, `${prop}.${name}`, value);
    out[name] = value;
  }
  return out;
}

export function checkEnvName(scope: IConstruct, prop: string, name: string): string {
  if (typeof name !== 'string' || !ENV_NAME.test(name)) {
    throw propError(scope, prop, name, ENV_NAME_EXPECTED);
  }
  return name;
}

/** Secrets by environment variable name. */
export function checkSecrets(scope: IConstruct, prop: string, secrets: Record<string, AppSecret> | undefined): SecretSpec[] {
  if (secrets === undefined) {
    return [];
  }
  if (typeof secrets !== 'object' || secrets === null || Array.isArray(secrets)) {
    throw propError(scope, prop, secrets, 'an object of variable name to AppSecret');
  }
  return Object.entries(secrets).map(([name, secret]) => {
    checkEnvName(scope, `${prop} name`, name);
    if (!(secret instanceof AppSecret)) {
      throw propError(scope, `${prop}.${name}`, secret, 'an AppSecret, e.g. AppSecret.fromSsmParameter(arn)');
    }
    return { envVar: name, store: secret.store, arn: secret.arn, ...(secret.jsonKey !== undefined ? { jsonKey: secret.jsonKey } : {}) };
  });
}

/** Commands as argv arrays: run without a shell, so no word is ever interpreted. */
export function checkCommands(scope: IConstruct, prop: string, commands: string[][] | undefined): string[][] {
  if (commands === undefined) {
    return [];
  }
  if (!Array.isArray(commands)) {
    throw propError(scope, prop, commands, 'an array of commands, each an argv array such as ["python", "manage.py", "migrate", "--noinput"]');
  }
  return commands.map((argv, i) => {
    if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== 'string' || a.includes('\0')) || argv[0] === '') {
      throw propError(scope, `${prop}[${i}]`, Array.isArray(argv) ? JSON.stringify(argv) : argv, 'a non-empty argv array of strings without NUL, such as ["python", "manage.py", "migrate", "--noinput"]');
    }
    argv.forEach((a, j) => checkLiteral(scope, `${prop}[${i}][${j}]`, a));
    return [...argv];
  });
}
