/** Compares dotted numeric versions ('4.9.4' < '5.0.0'); missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) {
      return Math.sign(d);
    }
  }
  return 0;
}

const PYTHON_XY = /^3\.\d{1,2}$/;

/** True for a Python minor version written as X.Y, e.g. '3.11'. */
export function isPythonMinorVersion(value: string): boolean {
  return PYTHON_XY.test(value);
}
