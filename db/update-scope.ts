import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Look-ups remembered for the handling of one Telegram update. Several bot features ask the same
 * question of every update (the sender's staff role, their open staff dialog); inside a scope each
 * is asked of Postgres once, and a write to it forgets the answer. Outside a scope (the worker, the
 * api) nothing is remembered.
 */
const scope = new AsyncLocalStorage<Map<string, Promise<unknown>>>();

/** Runs `work` (one update's handling) with a fresh memory. */
export function withUpdateScope<T>(work: () => Promise<T>): Promise<T> {
  return scope.run(new Map(), work);
}

/** `load()` once per key within the current update; a failed load is not remembered. */
export function oncePerUpdate<T>(key: string, load: () => Promise<T>): Promise<T> {
  const memory = scope.getStore();
  if (!memory) return load();
  const known = memory.get(key) as Promise<T> | undefined;
  if (known) return known;
  const loading = load();
  memory.set(key, loading);
  loading.catch(() => memory.delete(key));
  return loading;
}

/** The answer under `key` changed: the next look-up in this update asks Postgres again. */
export function forgetInUpdate(key: string): void {
  scope.getStore()?.delete(key);
}
