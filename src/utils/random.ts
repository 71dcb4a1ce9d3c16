/**
 * A seeded pseudo-random number generator (sfc32, seeded through splitmix32).
 *
 * Every random choice in deno-mlops (splits, shuffles, weight initialisation, dropout, search)
 * draws from a `Random` built from a config seed, so the same seed gives the same numbers on
 * every run and machine: the generator uses 32-bit integer arithmetic only.
 *
 * @example
 * ```ts
 * const rng = new Random(42);
 * rng.next(); // a float in [0, 1)
 * rng.permutation(5); // Uint32Array [ ... 0..4 shuffled ... ]
 * ```
 */
export class Random {
  readonly #seed: number;
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /**
   * @param seed any safe integer; equal seeds give equal sequences
   * @throws {TypeError} when `seed` is not a safe integer
   */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new TypeError(`Cannot seed Random: expected a safe integer, got ${seed}`);
    }
    this.#seed = seed;
    // Fold the high bits in so seeds above 2^32 still differ.
    let state = (seed ^ Math.floor(seed / 0x100000000)) >>> 0;
    const next = (): number => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /**
   * Returns the next unsigned 32-bit integer.
   *
   * @returns an integer in [0, 2^32)
   */
  nextUint32(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t;
  }

  /**
   * Returns the next float in [0, 1) with 32 bits of randomness.
   *
   * @returns a float in [0, 1)
   */
  next(): number {
    return this.nextUint32() / 0x100000000;
  }

  /**
   * Returns a uniform integer in [0, n).
   *
   * @param n the exclusive upper bound, a positive integer up to 2^32
   * @returns an integer in [0, n)
   * @throws {RangeError} when `n` is not a positive integer
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) {
      throw new RangeError(`Cannot draw an integer below ${n}: expected an integer in [1, 2^32]`);
    }
    // Rejection sampling keeps every value equally likely.
    const limit = 0x100000000 - (0x100000000 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /**
   * Returns a standard normal draw (Box–Muller).
   *
   * @returns a float with mean 0 and standard deviation 1
   */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /**
   * Shuffles `items` in place (Fisher–Yates) and returns it.
   *
   * @param items the array to shuffle
   * @returns the same array, shuffled
   */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  /**
   * Returns a random permutation of 0..n-1.
   *
   * @param n how many indexes
   * @returns the indexes in random order
   */
  permutation(n: number): Uint32Array {
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = out[i]!;
      out[i] = out[j]!;
      out[j] = tmp;
    }
    return out;
  }

  /**
   * Returns a seed for an independent stream named `label`, without advancing this one.
   *
   * Derived seeds depend only on this generator's seed and the label, never on the draws made
   * so far, so a trial or a fold gets the same stream however many workers run it.
   *
   * @param label a name for the child stream, e.g. `"fold-3"`
   * @returns a non-negative integer seed
   */
  derive(label: string): number {
    // FNV-1a over the seed's decimal digits and the label, then one splitmix32 finaliser.
    let h = 0x811c9dc5;
    for (const char of `${this.#seed}:${label}`) {
      h = Math.imul(h ^ char.codePointAt(0)!, 0x01000193) >>> 0;
    }
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    return (h ^ (h >>> 16)) >>> 0;
  }
}
