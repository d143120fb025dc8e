import { ConfArg, ConfNode } from './model';
import { checkName, ConfValueError, quoteArg } from './quote';

const INDENT = '    ';

export interface RenderOptions {
  /** Comment lines written at the top of the file. */
  readonly header?: readonly string[];
}

/**
 * Renders a config tree to text. Output depends only on the tree: same tree,
 * same bytes, so synthesized configs diff cleanly.
 */
export function renderConf(nodes: readonly ConfNode[], options: RenderOptions = {}): string {
  const lines: string[] = [];
  for (const text of options.header ?? []) {
    lines.push(renderComment(text));
  }
  if (lines.length > 0 && nodes.length > 0) {
    lines.push('');
  }
  renderNodes(nodes, 0, lines);
  return lines.join('\n') + '\n';
}

function renderNodes(nodes: readonly ConfNode[], depth: number, lines: string[]): void {
  const pad = INDENT.repeat(depth);
  for (const node of nodes) {
    switch (node.kind) {
      case 'blank':
        lines.push('');
        break;
      case 'comment':
        lines.push(pad + renderComment(node.text));
        break;
      case 'directive':
        lines.push(pad + [checkName(node.name), ...node.args.map(renderArg)].join(' '));
        break;
      case 'section':
        lines.push(`${pad}<${[checkName(node.name), ...node.args.map(quoteSectionArg)].join(' ')}>`);
        renderNodes(node.children, depth + 1, lines);
        lines.push(`${pad}</${node.name}>`);
        break;
    }
  }
}

const OPTION_KEY = /^[a-z][a-z-]*$/;

/** A plain argument through quoteArg; an option as key=, then its value through quoteArg. */
export function renderArg(arg: ConfArg): string {
  if (typeof arg === 'object') {
    if (!OPTION_KEY.test(arg.key)) {
      throw new ConfValueError(arg.key, 'is not a valid option name');
    }
    return `${arg.key}=${typeof arg.value === 'object' ? renderVariable(arg.value.name) : quoteArg(arg.value)}`;
  }
  return quoteArg(arg);
}

const VARIABLE_NAME = /^[A-Z][A-Z0-9_]*$/;

function renderVariable(name: string): string {
  if (!VARIABLE_NAME.test(name)) {
    throw new ConfValueError(name, 'is not a valid Apache variable name (upper-case letters, digits, _)');
  }
  return `\${${name}}`;
}

// Apache ends a section's arguments at the last '>' on the line.
function quoteSectionArg(arg: ConfArg): string {
  const text = typeof arg === 'object' ? (typeof arg.value === 'object' ? arg.value.name : arg.value) : arg;
  if (typeof text === 'string' && /[<>]/.test(text)) {
    throw new ConfValueError(text, 'contains "<" or ">", which cannot appear in a section argument');
  }
  return renderArg(arg);
}

function renderComment(text: string): string {
  // A comment is one line: a newline in it would start a live directive.
  if (/[\r\n\u0000]/.test(text)) {
    throw new ConfValueError(text, 'is a comment spanning more than one line');
  }
  return text.length > 0 ? `# ${text}` : '#';
}
