import { TerraformStack, Testing } from 'cdktf';
import { ApacheSite, Platform, ValidationError } from '../lib';

describe('ValidationError', () => {
  test('carries the construct path, the property, the value received and what was expected', () => {
    // GIVEN a site with an invalid port
    const stack = new TerraformStack(Testing.app(), 'web');
    let error: unknown;
    // WHEN it is constructed
    try {
      new ApacheSite(stack, 'Site', { platform: Platform.DEBIAN_12, serverName: 'example.com', port: 0 });
    } catch (e) {
      error = e;
    }
    // THEN the one error type names all four
    expect(error).toBeInstanceOf(ValidationError);
    const v = error as ValidationError;
    expect([v.constructPath, v.property, v.received, v.expected]).toEqual(['web/Site', 'port', '0', 'an integer from 1 to 65535']);
    expect(v.message).toBe('web/Site: port 0 is invalid; expected an integer from 1 to 65535');
  });
});
