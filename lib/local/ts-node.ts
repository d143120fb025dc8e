import * as path from 'path';

/**
 * Registers ts-node to load a TypeScript program: the user's own ts-node first
 * (a TypeScript cdktf project depends on it: cdktf.json runs it), else this
 * package's. Resolved from explicit directories, never from the working directory.
 */
export function registerTsNode(file: string, searchDirs: readonly string[] = [path.dirname(file), __dirname]): void {
  const tsNode = resolveTsNode(searchDirs);
  if (!tsNode) {
    throw new Error(`${file} is TypeScript, and loading it needs ts-node, which was found neither in your project nor beside cdktf-apache-wsgi `
      + `(looked from ${searchDirs.join(', ')}): run \`npm install --save-dev ts-node\` in your project, or compile the program to JavaScript and serve the .js file`);
  }
  require(tsNode).register({ transpileOnly: true, compilerOptions: { module: 'commonjs' } });
}

/** ts-node's entry point as found from the first of `searchDirs` that has it (node_modules upwards). */
export function resolveTsNode(searchDirs: readonly string[]): string | undefined {
  for (const dir of searchDirs) {
    try {
      return require.resolve('ts-node', { paths: [dir] });
    } catch {
      // not installed there
    }
  }
  return undefined;
}
