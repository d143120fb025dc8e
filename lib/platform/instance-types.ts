/**
 * vCPUs of an EC2 instance type, known at synth so daemon processes can follow
 * the instance. Covers the general-purpose, compute and memory families by size;
 * undefined for anything else (metal, odd sizes, unknown families): the host then
 * resolves its CPU count when it is provisioned.
 */
export function ec2InstanceVcpus(instanceType: string): number | undefined {
  const match = /^([a-z]+)(\d+)([a-z-]*)\.([a-z0-9]+)$/.exec(instanceType);
  if (!match) {
    return undefined;
  }
  const [, series, , , size] = match;
  // Burstable t2: nano/micro/small have 1 vCPU; t3/t3a/t4g: nano..large all have 2.
  if (series === 't') {
    const burst: Record<string, number> = match[2] === '2'
      ? { 'nano': 1, 'micro': 1, 'small': 1, 'medium': 2, 'large': 2, 'xlarge': 4, '2xlarge': 8 }
      : { 'nano': 2, 'micro': 2, 'small': 2, 'medium': 2, 'large': 2, 'xlarge': 4, '2xlarge': 8 };
    return burst[size];
  }
  if (!['m', 'c', 'r'].includes(series)) {
    return undefined;
  }
  if (size === 'medium') {
    return 1;
  }
  if (size === 'large') {
    return 2;
  }
  const xl = /^(\d*)xlarge$/.exec(size);
  return xl ? 4 * Number(xl[1] || 1) : undefined;
}
