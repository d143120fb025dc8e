/** One argument of a directive or section: rendered through `quoteArg`. */
export type ConfArg = string | number;

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

export function comment(text: string): ConfComment {
  return { kind: 'comment', text };
}

export function blank(): ConfBlank {
  return { kind: 'blank' };
}
