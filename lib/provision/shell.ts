/**
 * The one function that puts a value into generated shell: single quotes, with
 * embedded single quotes closed, escaped and reopened. Nothing inside single
 * quotes is expanded, so no value can run a command.
 */
export function shellQuote(value: string | number): string {
  const text = String(value);
  if (text.includes('\0')) {
    throw new Error(`${JSON.stringify(text)} contains NUL, which no shell argument can hold`);
  }
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(text)) {
    return text;
  }
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A command line from argv, each word quoted. */
export function shellCommand(argv: readonly (string | number)[]): string {
  return argv.map(shellQuote).join(' ');
}
