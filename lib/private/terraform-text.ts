/**
 * The one way text from the user's files (names, contents) goes into a
 * Terraform string: `${` and `%{` start template interpolations and
 * directives, so a file named `${file("~/.aws/credentials")}` would be
 * evaluated by Terraform on the deployer's machine. Doubling the sigil
 * makes Terraform read them as the literal characters.
 */
export function terraformLiteral(text: string): string {
  // Replacer functions: in a replacement string '$$' would itself mean one '$'.
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}
