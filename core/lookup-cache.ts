/**
 * Caches lookups by key as promises, so every message of a device waits on the same lookup and their
 * continuations run in arrival order (a per-message lookup could let later messages overtake earlier
 * ones). A miss (null) is forgotten after `negativeTtlMs`, so a device provisioned later is found.
 */
export class LookupCache<T> {
  private readonly entries = new Map<string, Promise<T | null>>();
  /** Values found, for callers that go on without waiting when the answer is known already. */
  private readonly found = new Map<string, T>();

  constructor(
    private readonly fetch: (key: string) => Promise<T | null>,
    private readonly negativeTtlMs = 2000,
  ) {}

  get(key: string): Promise<T | null> {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = this.fetch(key).then(
        (value) => {
          if (value !== null && this.entries.get(key) === entry) this.found.set(key, value);
          if (value === null) setTimeout(() => this.entries.delete(key), this.negativeTtlMs).unref();
          return value;
        },
        (err: unknown) => {
          this.entries.delete(key);
          throw err;
        },
      );
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** Known already (e.g. loaded in bulk at start), so the first message of each key waits for no lookup. */
  prime(key: string, value: T): void {
    if (this.entries.has(key)) return;
    this.entries.set(key, Promise.resolve(value));
    this.found.set(key, value);
  }

  /** The value when a lookup already found it; undefined when it is unknown, pending or missing. */
  peek(key: string): T | undefined {
    return this.found.get(key);
  }

  /** Forget a key (e.g. after its registry entry changed). */
  invalidate(key: string): void {
    this.entries.delete(key);
    this.found.delete(key);
  }
}
