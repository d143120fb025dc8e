import { IConstruct } from 'constructs';
import type { DaemonOptionSpecValue } from '../conf/site-spec';
import type { DaemonProcessOptions } from '../daemon-process-options';
import { checkConfString, checkInt, checkLiteral, checkPattern, checkType, propError } from './validate';
import { DAEMON_OPTIONS, DaemonOptionProp, DaemonOptionSpec, PRIVILEGED_GROUPS } from '../platform/daemon-options';
import type { Platform } from '../platform/platform';

export const GROUP_NAME_PATTERN = /^[a-z_][a-z0-9_-]{0,31}$/;
export const GROUP_NAME_EXPECTED = 'a Linux group name (lower-case, at most 32 characters)';
const UMASK_PATTERN = /^0?[0-7]{3}$/;

/** Fails on a group that gives a process system-wide rights (see PRIVILEGED_GROUPS). */
export function checkUnprivilegedGroup(scope: IConstruct, prop: string, group: string): string {
  if (PRIVILEGED_GROUPS.has(group)) {
    throw propError(scope, prop, group,
      `an unprivileged group: ${group} gives its members system-wide rights (password hashes, raw disks, logs, sudo or a root daemon), which a web app's processes must never have`);
  }
  return group;
}

/**
 * Resolves the WSGIDaemonProcess option props of a DaemonGroup against the
 * option table and the platform's mod_wsgi: the typed values (defaults
 * applied, 0 meaning "left out" where the range starts at 1) and the
 * option=value list in table order.
 */
export function resolveDaemonOptions(
  scope: IConstruct, props: DaemonProcessOptions, platform: Platform,
): { values: DaemonProcessOptions; args: DaemonOptionSpecValue[] } {
  const given = props as unknown as Record<string, unknown>;
  const values: Record<string, unknown> = {};
  const args: DaemonOptionSpecValue[] = [];
  for (const key of Object.keys(DAEMON_OPTIONS) as DaemonOptionProp[]) {
    const spec: DaemonOptionSpec = DAEMON_OPTIONS[key];
    const value = given[key];
    if (spec.kind === 'owned' || spec.kind === 'refused') {
      // Owned options with a prop of their own (user, threads...) are the construct's; the rest may not be given.
      if (value !== undefined && !spec.ownProp) {
        throw propError(scope, key, value, `${spec.reason} (${spec.option}= is ${spec.kind === 'owned' ? 'set by the library' : 'refused'})`);
      }
      continue;
    }
    const resolved = resolveOne(scope, key, spec, value);
    if (resolved === undefined) {
      continue;
    }
    if (!platform.modWsgiAtLeast(spec.since)) {
      // A production default the platform's mod_wsgi predates is simply left out.
      if (value === undefined) {
        continue;
      }
      throw propError(scope, key, value, `no value: ${spec.option} needs mod_wsgi ${spec.since} or later and ${platform.id} has ${platform.modWsgiVersion}`);
    }
    values[key] = resolved.typed;
    args.push({ option: spec.option, value: resolved.rendered, account: spec.kind === 'list' });
  }
  return { values: values as DaemonProcessOptions, args };
}

/** undefined: the option is left out. */
function resolveOne(
  scope: IConstruct, key: string, spec: DaemonOptionSpec, value: unknown,
): { typed: unknown; rendered: string | number } | undefined {
  switch (spec.kind) {
    case 'integer': {
      const v = value ?? spec.default;
      if (v === undefined) {
        return undefined;
      }
      const [min, max] = [spec.min!, spec.max!];
      // 0 switches an option off (with a production default, its only way off) where 0 is no valid value.
      if (v === 0 && min > 0) {
        return undefined;
      }
      const n = checkInt(scope, key, v as number, min, max);
      return { typed: n, rendered: n };
    }
    case 'decimal': {
      if (value === undefined) {
        return undefined;
      }
      const expected = `a number from ${spec.min} to ${spec.max}`;
      checkType(scope, key, value, 'number', expected);
      checkLiteral(scope, key, value);
      const n = value as number;
      if (!Number.isFinite(n) || n < spec.min! || n > spec.max!) {
        throw propError(scope, key, value, expected);
      }
      return { typed: n, rendered: n };
    }
    case 'bool': {
      if (value === undefined) {
        return undefined;
      }
      checkType(scope, key, value, 'boolean', 'true or false');
      // false is mod_wsgi's default (Off): left out, so it needs no version.
      return value ? { typed: true, rendered: 'On' } : undefined;
    }
    case 'string': {
      if (value === undefined) {
        return undefined;
      }
      const umask = checkPattern(scope, key, value as string, UMASK_PATTERN, 'an octal umask such as "0027"');
      if ((parseInt(umask, 8) & 0o002) === 0) {
        throw propError(scope, key, value, 'a umask that masks write for other users (e.g. "0022" or "0027"): files the app creates must never be world-writable');
      }
      return { typed: umask, rendered: checkConfString(scope, key, umask) };
    }
    case 'list': {
      if (value === undefined) {
        return undefined;
      }
      if (!Array.isArray(value)) {
        throw propError(scope, key, value, `a list of group names (${GROUP_NAME_EXPECTED})`);
      }
      checkLiteral(scope, key, value);
      const groups = value.map((g, i) => checkUnprivilegedGroup(scope, `${key}[${i}]`, checkPattern(scope, `${key}[${i}]`, g, GROUP_NAME_PATTERN, GROUP_NAME_EXPECTED)));
      if (groups.length === 0) {
        return undefined;
      }
      return { typed: groups, rendered: checkConfString(scope, key, groups.join(',')) };
    }
    default:
      throw new Error(`unhandled option kind ${spec.kind}`);
  }
}
