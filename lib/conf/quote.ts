/**
 * Thrown for a value that cannot be written into an Apache config safely.
 * Constructs catch it and rethrow with their construct path.
 */
export class ConfValueError extends Error {
  constructor(readonly value: string, readonly reason: string) {
    super(`${JSON.stringify(value)} ${reason}`);
    this.name = 'ConfValueError';
  }
}

// A bare word Apache reads back unchanged: no whitespace, quotes, backslash,
// '#', '<', '>' or '$'. Everything else is double-quoted.
const BARE_WORD = /^[A-Za-z0-9_.\/:%{}=,@+*~!^?\[\]|-]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * The one function that turns a value into an Apache config argument.
 *
 * Apache splits arguments with ap_getword_conf: inside double quotes it
 * un-escapes only `\"` and `\\`, so escaping those two is enough to keep any
 * printable value inside one argument. What cannot be made safe is rejected:
 * control characters (a newline would start a new directive), and `${` which
 * Apache expands as a Define variable at read time with no escape.
 */
export function quoteArg(value: string | number): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new ConfValueError(String(value), 'is not a finite number');
    }
    return String(value);
  }
  if (value.length === 0) {
    return '""';
  }
  if (CONTROL_CHARS.test(value)) {
    throw new ConfValueError(value, 'contains a control character (newline, tab, NUL...), which would break the Apache config');
  }
  if (value.includes('${')) {
    throw new ConfValueError(value, 'contains "${", which Apache expands as a variable');
  }
  if (BARE_WORD.test(value)) {
    return value;
  }
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Directive and section names are fixed by the library; checked all the same. */
export function checkName(name: string): string {
  if (!NAME.test(name)) {
    throw new ConfValueError(name, 'is not a valid Apache directive or section name');
  }
  return name;
}
