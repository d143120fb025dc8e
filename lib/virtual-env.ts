import * as fs from 'fs';
import { Annotations } from 'cdktf';
import { Construct } from 'constructs';
import { VenvSpec } from './conf/site-spec';
import { isPythonMinorVersion } from './platform/version';
import { checkExistingPath } from './private/paths';
import { checkLiteral, checkPattern, NAME_EXPECTED, NAME_PATTERN, nameFromId, propError } from './private/validate';

export interface VirtualEnvProps {
  /**
   * Directory name of the venv on the host.
   * @default - derived from the construct id, e.g. 'ApiEnv' -> 'api-env'
   */
  readonly venvName?: string;
  /**
   * Absolute path of a pip requirements file. Pin every entry with `==`;
   * when any entry carries `--hash=`, the build installs with --require-hashes.
   * @default - no requirements file
   */
  readonly requirementsFile?: string;
  /**
   * Requirement specifiers installed in addition to requirementsFile, e.g. 'flask==3.0.3'.
   * @default []
   */
  readonly requirements?: string[];
  /**
   * Absolute paths of wheels, sdists or project directories to install without an index.
   * @default []
   */
  readonly localPackages?: string[];
  /**
   * Python X.Y the venv is built with. It must equal the Python the platform's
   * mod_wsgi is linked against; say it here to have a mismatch caught at synth.
   * @default - the Python of the site's platform
   */
  readonly pythonVersion?: string;
  /**
   * Let the venv see the interpreter's system site-packages (e.g. Debian python3-* packages).
   * @default false
   */
  readonly systemSitePackages?: boolean;
  /**
   * Let requirements name where packages come from: index and link options
   * (`--index-url`, `--extra-index-url`, `-i`, `--find-links`, `-f`,
   * `--trusted-host`), editable installs (`-e`) and direct or VCS URLs
   * (`name @ https://...`, `git+https://...`). Off by default: such a line makes
   * the host fetch code from wherever it says, and `--trusted-host` turns off
   * TLS verification for that host.
   * @default false
   */
  readonly allowPackageSources?: boolean;
}

// A specifier pinned to one release: name[extras]==version, optionally ; markers / --hash.
const PINNED = /^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?\s*===?\s*[A-Za-z0-9.*+!_-]+(\s*;.*)?$/;

/**
 * A Python virtual environment: one per daemon group (python-home=), built by
 * the interpreter that mod_wsgi is linked against.
 */
export class VirtualEnv extends Construct {
  public readonly venvName: string;
  public readonly requirementsFile?: string;
  public readonly requirements: string[];
  public readonly localPackages: string[];
  /** The Python X.Y asked for, or undefined to follow the platform. */
  public readonly pythonVersion?: string;
  public readonly systemSitePackages: boolean;
  /** True when the requirements carry hashes: pip runs with --require-hashes. */
  public readonly requireHashes: boolean;
  /** False when nothing is installed into the venv: it is created without pip, which is faster. */
  public readonly needsPip: boolean;

  constructor(scope: Construct, id: string, props: VirtualEnvProps = {}) {
    super(scope, id);
    this.venvName = checkPattern(this, 'venvName', props.venvName ?? nameFromId(id), NAME_PATTERN, NAME_EXPECTED);
    if (props.pythonVersion !== undefined) {
      checkLiteral(this, 'pythonVersion', props.pythonVersion);
      if (!isPythonMinorVersion(props.pythonVersion)) {
        throw propError(this, 'pythonVersion', props.pythonVersion, 'a Python minor version such as "3.11"');
      }
    }
    this.pythonVersion = props.pythonVersion;
    this.systemSitePackages = props.systemSitePackages ?? false;

    const fileLines: string[] = [];
    if (props.requirementsFile !== undefined) {
      this.requirementsFile = checkExistingPath(this, 'requirementsFile', props.requirementsFile, 'file');
      fileLines.push(...readRequirementLines(this.requirementsFile));
    }
    fileLines.forEach((line) => checkRequirementLine(this, 'requirementsFile', line, props.allowPackageSources ?? false));
    this.requirements = (props.requirements ?? []).map((r, i) => {
      checkLiteral(this, `requirements[${i}]`, r);
      if (/[\r\n\0]/.test(r) || r.trim().startsWith('-')) {
        throw propError(this, `requirements[${i}]`, r, 'one requirement specifier such as "flask==3.0.3" (no pip options, no newlines)');
      }
      checkRequirementLine(this, `requirements[${i}]`, r.trim(), props.allowPackageSources ?? false);
      return r.trim();
    });
    this.localPackages = (props.localPackages ?? []).map((p, i) => checkExistingPath(this, `localPackages[${i}]`, p, 'any'));
    this.requireHashes = fileLines.some((l) => l.includes('--hash='));

    this.needsPip = this.requirementsFile !== undefined || this.requirements.length > 0 || this.localPackages.length > 0;

    const unpinned = [...fileLines, ...this.requirements]
      .map((l) => l.replace(/\s--hash=\S+/g, '').trim())
      .filter((l) => !l.startsWith('-') && !PINNED.test(l));
    if (unpinned.length > 0) {
      Annotations.of(this).addWarning(`requirements not pinned with ==, so builds are not reproducible: ${unpinned.join(', ')}`);
    }
  }

  /**
   * The venv as plain data, for the provisioning layer and the local runner.
   * TypeScript only (the config layer's spec type).
   * @jsii ignore
   */
  public toSpec(): VenvSpec {
    return {
      name: this.venvName,
      requirementsFile: this.requirementsFile,
      requirements: this.requirements,
      localPackages: this.localPackages,
      systemSitePackages: this.systemSitePackages,
      requireHashes: this.requireHashes,
      withPip: this.needsPip,
    };
  }
}

const INCLUDE = /^(-r|--requirement|-c|--constraint)(\s|=|$)/;
const SOURCE_OPTION = /^(-i|--index-url|--extra-index-url|-f|--find-links|--trusted-host|-e|--editable)(\s|=|$)/;
const URL_REQUIREMENT = /(^|\s|@)\s*(git|hg|svn|bzr)\+|[a-z][a-z0-9+.-]*:\/\//i;

/**
 * A requirements line the bundle can carry safely: no includes (only the one
 * file is shipped, so the deploy would break), and no package sources unless allowed.
 */
function checkRequirementLine(scope: Construct, prop: string, line: string, allowSources: boolean): void {
  if (INCLUDE.test(line)) {
    throw propError(scope, prop, line, 'no -r/-c includes: only this one file is shipped to the host, so the included file would be missing there; list its requirements here or give that file as requirementsFile');
  }
  if (!allowSources && (SOURCE_OPTION.test(line) || URL_REQUIREMENT.test(line))) {
    throw propError(scope, prop, line, 'a requirement from the configured package index: index, find-links, trusted-host, editable and URL/VCS requirements fetch code from elsewhere (set allowPackageSources: true if you mean it)');
  }
}

/** Requirement lines without comments, blanks and `\` continuations. */
function readRequirementLines(file: string): string[] {
  return fs.readFileSync(file, 'utf8')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter((l) => l.length > 0);
}
