import { ValidationError } from './errors';
import { describeValue } from './private/validate';

/**
 * The Python interpreter within a daemon process that runs an app
 * (WSGIApplicationGroup).
 */
export class ApplicationGroup {
  /**
   * The main interpreter. C extensions (numpy, PyMongo's BSON, lxml...) only
   * work reliably here, so an app in GLOBAL gets its daemon group to itself.
   */
  public static readonly GLOBAL = new ApplicationGroup('%{GLOBAL}');
  /** One sub-interpreter per script path (WSGIScriptAlias target). */
  public static readonly PER_RESOURCE = new ApplicationGroup('%{RESOURCE}');

  /** A named sub-interpreter, for several small apps sharing one daemon group. */
  public static named(name: string): ApplicationGroup {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
      throw new ValidationError('ApplicationGroup.named', 'name', describeValue(name), '1-64 letters, digits, "_", "." or "-"');
    }
    return new ApplicationGroup(name);
  }

  private constructor(public readonly value: string) {}

  public get isGlobal(): boolean {
    return this.value === ApplicationGroup.GLOBAL.value;
  }
}
