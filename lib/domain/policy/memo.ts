/**
 * Remembers what `make` built for each key. A warm Lambda lives for hours and patterns come from artifacts,
 * so the cache is bounded: when full it starts over rather than growing without limit. A `make` that throws
 * remembers nothing.
 */
export function memo<T>(limit: number, make: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    const known = cache.get(key);
    if (known !== undefined) return known;
    const made = make(key);
    if (cache.size >= limit) cache.clear();
    cache.set(key, made);
    return made;
  };
}
