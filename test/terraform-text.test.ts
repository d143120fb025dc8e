import { terraformLiteral } from '../lib/private/terraform-text';

describe('terraformLiteral', () => {
  test('doubles the sigils of Terraform interpolations and directives, and nothing else', () => {
    // GIVEN text holding both template forms, a lone $ and a lone %
    // WHEN made literal THEN Terraform would read back exactly the input
    expect(terraformLiteral('a ${file("~/.aws/credentials")} %{ if x }y%{ endif } $5 100% $${kept}'))
      .toBe('a $${file("~/.aws/credentials")} %%{ if x }y%%{ endif } $5 100% $$${kept}');
  });
});
