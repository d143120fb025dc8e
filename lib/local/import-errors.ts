import * as fs from 'fs';

/** Maps the runner's copies of app code back to the user's source directories in printed text. */
export class SourceMap {
  private readonly entries: { app: string; copy: string; source: string }[] = [];

  /**
   * @param app how to name the app in messages, e.g. its construct path
   * @param copy a directory (or file) the runner made for the app
   * @param source what to print instead: the user's directory, or a label for generated files
   */
  public add(app: string, copy: string, source: string): void {
    this.entries.push({ app, copy, source });
    // Longest copy path first, so /apps/app-2 is never rewritten as /apps/app + "-2".
    this.entries.sort((a, b) => b.copy.length - a.copy.length);
  }

  /** The text with every copied path replaced by the user's own path. */
  public readonly toSource = (text: string): string => {
    let out = text;
    for (const e of this.entries) {
      out = out.replace(new RegExp(`${escapeRegExp(e.copy)}(?=[/'"]|$)`, 'gm'), () => e.source);
    }
    return out;
  };

  /** The app whose files the text mentions first, if any. */
  public appIn(text: string): string | undefined {
    let best: { app: string; at: number } | undefined;
    for (const e of this.entries) {
      const match = new RegExp(`${escapeRegExp(e.copy)}(?=[/'"]|$)`, 'm').exec(text);
      if (e.app && match && (!best || match.index < best.at)) {
        best = { app: e.app, at: match.index };
      }
    }
    return best?.app;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// [time] [module:level] [pid N:tid M] [remote|client addr] message
const LOG_LINE = /^\[[^\]]*\] \[[^\]]*\] \[pid (\d+)(?::tid \d+)?\](?: \[(?:remote|client) [^\]]*\])? ?(.*)$/;
const MARKER = /Failed to exec Python script file|Exception occurred processing WSGI script|^Traceback \(most recent call last\):/;
const MAX_LINES = 60;
/** How long to wait for the rest of a traceback once its start is in the log. */
const SETTLE_MS = 1_000;

/**
 * Watches Apache's error log while the runner waits for the apps, and stops at
 * the first Python traceback: mod_wsgi retries a failing import on every
 * request and daemon restart, so the log only repeats it.
 */
export class ImportErrorWatch {
  private offset = 0;
  private rest = '';
  private pid?: string;
  private firstSeenAt = 0;
  private readonly lines: string[] = [];
  private complete = false;

  constructor(private readonly file: string, private readonly sources: SourceMap) {}

  /** The first traceback as the user should see it, once it is complete (or has settled); else undefined. */
  public poll(): string | undefined {
    this.read();
    if (this.pid === undefined || !(this.complete || Date.now() - this.firstSeenAt > SETTLE_MS)) {
      return undefined;
    }
    const text = this.sources.toSource(this.lines.join('\n'));
    const app = this.sources.appIn(this.lines.join('\n'));
    return `${app ? `app ${app}` : 'an app'} failed while mod_wsgi loaded it (first traceback from the error log; `
      + `paths are in your source directory):\n${text}`;
  }

  private read(): void {
    if (this.complete || !fs.existsSync(this.file)) {
      return;
    }
    const size = fs.statSync(this.file).size;
    if (size <= this.offset) {
      return;
    }
    const fd = fs.openSync(this.file, 'r');
    const buf = Buffer.alloc(size - this.offset);
    fs.readSync(fd, buf, 0, buf.length, this.offset);
    fs.closeSync(fd);
    this.offset = size;
    const lines = (this.rest + buf.toString('utf8')).split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) {
      this.take(line);
      if (this.complete) {
        return;
      }
    }
  }

  private take(line: string): void {
    const m = LOG_LINE.exec(line);
    if (!m) {
      return;
    }
    const [, pid, message] = m;
    if (this.pid === undefined) {
      if (!MARKER.test(message)) {
        return;
      }
      this.pid = pid;
      this.firstSeenAt = Date.now();
    } else if (pid !== this.pid) {
      return;
    }
    this.lines.push(message);
    const inTraceback = this.lines.some((l) => l.startsWith('Traceback (most recent call last):'));
    // A traceback ends with its unindented "SomeError: ..." line.
    const ended = inTraceback && !/^\s/.test(message) && !message.startsWith('Traceback') && !MARKER.test(message);
    this.complete = ended || this.lines.length >= MAX_LINES;
  }
}
