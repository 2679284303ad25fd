/**
 * A small least-recently-used cache bounded by bytes and by age, so tile requests during pan and zoom
 * reuse loaded checkpoints and computed views instead of re-reading a BLOB each time. Entries expire
 * lazily (checked on every access), so the cache holds no timer that could keep a process alive.
 */
export class ByteLruCache<V> {
  private readonly entries = new Map<string, { value: V; bytes: number; usedAt: number }>();
  private total = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): V | undefined {
    this.expire();
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    // Re-insert: a Map iterates in insertion order, so the first key is the least recently used.
    this.entries.delete(key);
    entry.usedAt = this.now();
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value`; one larger than the whole budget is not kept (the caller still has it). */
  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { value, bytes, usedAt: this.now() });
    this.total += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.total -= entry.bytes;
    }
  }

  /** The cached value, or `make()` stored under `key` with the size `sizeOf` reports. */
  getOrCreate(key: string, make: () => V, sizeOf: (value: V) => number): V {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    const value = make();
    this.set(key, value, sizeOf(value));
    return value;
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.total -= entry.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  private expire(): void {
    const cutoff = this.now() - this.maxAgeMs;
    for (const [key, entry] of this.entries) {
      if (entry.usedAt < cutoff) this.delete(key);
    }
  }
}
