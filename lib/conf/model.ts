/**
 * A `key=value` option of a mod_wsgi directive (WSGIDaemonProcess,
 * WSGIScriptAlias). mod_wsgi reads the key up to '=' and then the value as
 * one Apache word, so only the value may be quoted: `display-name="my app"`
 * works, `"display-name=my app"` is "Invalid option".
 */
export interface ConfOption {
  readonly kind: 'option';
  readonly key: string;
  readonly value: string | number | ConfVariable;
}

/**
 * A `${NAME}` reference to a variable Apache defines at read time (`Define`):
 * how a value known only on the host (its CPU count) enters a config that stays
 * byte-for-byte the same on every host. Names are the library's own, never a user's.
 */
export interface ConfVariable {
  readonly kind: 'variable';
  readonly name: string;
}

/** One argument of a directive or section: rendered through `quoteArg` (an option: its value). */
export type ConfArg = string | number | ConfOption;

/** A single Apache directive line, e.g. `WSGIRestrictEmbedded On`. */
export interface ConfDirective {
  readonly kind: 'directive';
  readonly name: string;
  readonly args: readonly ConfArg[];
}

/** A container such as `<VirtualHost *:80>` ... `</VirtualHost>`. */
export interface ConfSection {
  readonly kind: 'section';
  readonly name: string;
  readonly args: readonly ConfArg[];
  readonly children: readonly ConfNode[];
}

/** A `# comment` line. */
export interface ConfComment {
  readonly kind: 'comment';
  readonly text: string;
}

/** An empty line, for readability only. */
export interface ConfBlank {
  readonly kind: 'blank';
}

export type ConfNode = ConfDirective | ConfSection | ConfComment | ConfBlank;

export function directive(name: string, ...args: ConfArg[]): ConfDirective {
  return { kind: 'directive', name, args };
}

export function section(name: string, args: ConfArg | readonly ConfArg[], children: readonly ConfNode[]): ConfSection {
  return { kind: 'section', name, args: Array.isArray(args) ? args : [args as ConfArg], children };
}

export function option(key: string, value: string | number | ConfVariable): ConfOption {
  return { kind: 'option', key, value };
}

export function variable(name: string): ConfVariable {
  return { kind: 'variable', name };
}

export function comment(text: string): ConfComment {
  return { kind: 'comment', text };
}

export function blank(): ConfBlank {
  return { kind: 'blank' };
}
