import { ValidationError } from './errors';
import { describeValue } from './private/validate';

/** Where a secret's value is kept; the host resolves it, the synthesized output holds only the ARN. */
export enum SecretStore {
  SSM_PARAMETER = 'ssm-parameter',
  SECRETS_MANAGER = 'secrets-manager',
}

const SSM_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/[A-Za-z0-9_.\/-]{1,2048}$/;
const SECRETS_MANAGER_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9\/_+=.@-]{1,512}$/;
const JSON_KEY = /^[A-Za-z0-9_.@+=-]{1,128}$/;

/**
 * A secret an app reads from `os.environ`. On AWS hosts root fetches it at
 * provisioning with the instance role (read access to exactly this ARN) and
 * writes it where only the daemon group's user can read it; it never appears
 * in user data, an image, cdk.tf.json or a log. The local runner takes the
 * value from the caller's environment or an env file.
 */
export class AppSecret {
  /** A SecureString (or String) parameter of SSM Parameter Store, by its full ARN. */
  public static fromSsmParameter(parameterArn: string): AppSecret {
    if (typeof parameterArn !== 'string' || !SSM_ARN.test(parameterArn)) {
      throw new ValidationError('AppSecret.fromSsmParameter', 'parameterArn', describeValue(parameterArn), 'the ARN of one SSM parameter, e.g. "arn:aws:ssm:eu-west-1:123456789012:parameter/mysite/secret-key" (no wildcards)');
    }
    return new AppSecret(SecretStore.SSM_PARAMETER, parameterArn);
  }

  /**
   * A Secrets Manager secret by its full ARN; with jsonKey, one field of a JSON
   * secret (as RDS-managed secrets hold `password`).
   */
  public static fromSecretsManager(secretArn: string, jsonKey?: string): AppSecret {
    if (typeof secretArn !== 'string' || !SECRETS_MANAGER_ARN.test(secretArn)) {
      throw new ValidationError('AppSecret.fromSecretsManager', 'secretArn', describeValue(secretArn), 'the ARN of one Secrets Manager secret, e.g. "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mysite/db-AbCdEf" (no wildcards)');
    }
    if (jsonKey !== undefined && (typeof jsonKey !== 'string' || !JSON_KEY.test(jsonKey))) {
      throw new ValidationError('AppSecret.fromSecretsManager', 'jsonKey', describeValue(jsonKey), 'a JSON field name: letters, digits and _.@+=-');
    }
    return new AppSecret(SecretStore.SECRETS_MANAGER, secretArn, jsonKey);
  }

  private constructor(
    public readonly store: SecretStore,
    public readonly arn: string,
    public readonly jsonKey?: string,
  ) {}
}
