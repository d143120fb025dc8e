import { Token } from 'cdktf';
import { IConstruct } from 'constructs';
import { ConfValueError, quoteArg } from '../conf/quote';
import { ValidationError } from '../errors';

/** The error that names the construct, the prop, the value received and what was expected. */
export function propError(scope: IConstruct | string, prop: string, value: unknown, expected: string): ValidationError {
  return new ValidationError(typeof scope === 'string' ? scope : scope.node.path, prop, describeValue(value), expected);
}

/**
 * An optional prop typed as an enum-like class: the value when it is one of the
 * class's instances, the default when left out. JavaScript callers can pass
 * anything (such as the string the class replaced), so the type is checked.
 */
export function checkInstanceOf<T extends object>(scope: IConstruct, prop: string, value: T | undefined, type: { readonly prototype: T },
  fallback: T, expected: string): T {
  return value === undefined ? fallback : checkRequiredInstanceOf(scope, prop, value, type, expected);
}

/** A required prop of an enum-like class: undefined, null or a plain string from JavaScript fails like any other wrong value. */
export function checkRequiredInstanceOf<T extends object>(scope: IConstruct, prop: string, value: T | undefined, type: { readonly prototype: T },
  expected: string): T {
  // Enum-like classes have private constructors: the class as a plain constructor type for instanceof.
  if (!(value instanceof (type as unknown as abstract new () => T))) {
    throw propError(scope, prop, value, expected);
  }
  return value;
}

/** A value as an error message shows it: strings JSON-quoted, so whitespace and control characters are visible. */
export function describeValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * JavaScript callers (and jsii languages passing null) can hand over any type;
 * a RegExp test would coerce null to "null" and accept it, string methods
 * would throw a TypeError. Checked first, so every error names the prop.
 */
export function checkType(scope: IConstruct, prop: string, value: unknown, type: 'string' | 'number' | 'boolean', expected = `a ${type}`): void {
  if (typeof value !== type) {
    throw propError(scope, prop, value, expected);
  }
}

/**
 * Config values are written into files at synth time, where Terraform tokens
 * have no value yet: they must be literals.
 */
export function checkLiteral(scope: IConstruct, prop: string, value: unknown): void {
  if (Token.isUnresolved(value)) {
    throw propError(scope, prop, value, 'a literal value: Terraform tokens cannot be written into the Apache config');
  }
}

/** A value that goes into the Apache config: literal and safe to quote. */
export function checkConfString(scope: IConstruct, prop: string, value: string): string {
  checkType(scope, prop, value, 'string');
  checkLiteral(scope, prop, value);
  try {
    quoteArg(value);
  } catch (e) {
    if (e instanceof ConfValueError) {
      throw propError(scope, prop, value, `a value without control characters or "\${" (${e.reason})`);
    }
    throw e;
  }
  return value;
}

export function checkInt(scope: IConstruct, prop: string, value: number, min: number, max: number): number {
  checkType(scope, prop, value, 'number', `an integer from ${min} to ${max}`);
  checkLiteral(scope, prop, value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw propError(scope, prop, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

export function checkPattern(scope: IConstruct, prop: string, value: string, pattern: RegExp, expected: string): string {
  checkType(scope, prop, value, 'string', expected);
  checkLiteral(scope, prop, value);
  if (!pattern.test(value)) {
    throw propError(scope, prop, value, expected);
  }
  return value;
}

/** Lower-case, hyphenated name derived from a construct id, e.g. 'ApiApp' -> 'api-app'. */
export function nameFromId(id: string): string {
  return id
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40) || 'x';
}

/** Names of groups, venvs and sites: safe in paths, process names and user names. */
export const NAME_PATTERN = /^[a-z][a-z0-9-]{0,39}$/;
export const NAME_EXPECTED = 'lower-case letters, digits and "-", starting with a letter, at most 40 characters';
