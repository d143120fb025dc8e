/** Apache LogLevel for the site's error log. */
export class LogLevel {
  public static readonly EMERG = new LogLevel('emerg');
  public static readonly ALERT = new LogLevel('alert');
  public static readonly CRIT = new LogLevel('crit');
  public static readonly ERROR = new LogLevel('error');
  public static readonly WARN = new LogLevel('warn');
  public static readonly NOTICE = new LogLevel('notice');
  public static readonly INFO = new LogLevel('info');
  public static readonly DEBUG = new LogLevel('debug');

  private constructor(public readonly value: string) {}
}
