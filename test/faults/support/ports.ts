/**
 * Ports for the suite's servers, from a range reserved for it (FAULTS_PORT_BASE, default 7700), so
 * several suites on one machine never collide. Each test file takes a block of 20 by its own offset.
 */
const BASE = Number(process.env.FAULTS_PORT_BASE ?? 7700);

export function portBlock(offset: number): () => number {
  let next = BASE + offset * 20;
  const end = next + 20;
  return () => {
    if (next >= end) throw new Error(`port block ${offset} exhausted`);
    return next++;
  };
}
