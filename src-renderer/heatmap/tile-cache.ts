/** A least-recently-used map with a cost budget (e.g. pixels): the oldest entries go first. */
export interface LruCache<V> {
  get(key: string): V | undefined;
  has(key: string): boolean;
  set(key: string, value: V, cost: number): void;
  delete(key: string): void;
  clear(): void;
  readonly size: number;
  readonly cost: number;
}

/** `onEvict` runs for every entry that leaves the cache (evicted, replaced, deleted or cleared). */
export function createLruCache<V>(budget: number, onEvict?: (value: V) => void): LruCache<V> {
  if (!(budget > 0)) throw new RangeError(`createLruCache: budget must be > 0, got ${budget}`);
  const entries = new Map<string, { value: V; cost: number }>();
  let total = 0;

  const remove = (key: string): void => {
    const entry = entries.get(key);
    if (entry === undefined) return;
    entries.delete(key);
    total -= entry.cost;
    onEvict?.(entry.value);
  };

  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      // Map keeps insertion order: re-inserting marks the entry as the most recent.
      entries.delete(key);
      entries.set(key, entry);
      return entry.value;
    },
    has: (key) => entries.has(key),
    set(key, value, cost) {
      remove(key);
      entries.set(key, { value, cost });
      total += cost;
      for (const oldest of entries.keys()) {
        if (total <= budget || oldest === key) break;
        remove(oldest);
      }
    },
    delete: remove,
    clear() {
      for (const key of [...entries.keys()]) remove(key);
    },
    get size() {
      return entries.size;
    },
    get cost() {
      return total;
    },
  };
}
