/**
 * The one error a construct throws for bad input: it names the construct,
 * the property, the value received and what was expected.
 */
export class ValidationError extends Error {
  /** Construct path, e.g. `web/Site/Api` (or the API entry point for a static factory). */
  public readonly constructPath: string;
  /** The property (or part of it) that is wrong, e.g. `threads` or `staticFiles[0].directory`. */
  public readonly property: string;
  /** The value received, as text. */
  public readonly received: string;
  /** What would have been accepted. */
  public readonly expected: string;

  constructor(constructPath: string, property: string, received: string, expected: string) {
    super(`${constructPath}: ${property} ${received} is invalid; expected ${expected}`);
    this.name = 'ValidationError';
    this.constructPath = constructPath;
    this.property = property;
    this.received = received;
    this.expected = expected;
    Object.setPrototypeOf(this, ValidationError.prototype);
  }
}
