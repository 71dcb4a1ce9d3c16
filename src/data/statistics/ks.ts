/**
 * The two-sample Kolmogorov–Smirnov test, matching `scipy.stats.ks_2samp` (method `"auto"`):
 * exact p-values for small samples, the asymptotic distribution for large ones.
 *
 * @module
 */
import { clip01, sortedFinite } from "./_numbers.ts";

/** Options of {@link ksTwoSample}. */
export interface KsOptions {
  /**
   * `"exact"`: the exact null distribution (Hodges' lattice-path count, as scipy's
   * `method="exact"`); `"asymptotic"`: the one-sample two-sided Kolmogorov distribution with
   * n = round(n1·n2 / (n1 + n2)); `"auto"`: exact when both samples hold at most 10,000 values,
   * as scipy does.
   * @default "auto"
   */
  method?: "auto" | "exact" | "asymptotic";
}

/** Defaults of {@link KsOptions}. */
export const DEFAULT_KS_OPTIONS: Readonly<Required<KsOptions>> = { method: "auto" };

/** The result of {@link ksTwoSample}. */
export interface KsResult {
  /** D, the largest absolute difference between the two empirical CDFs. */
  statistic: number;
  /** The two-sided p-value. */
  pValue: number;
  /** How the p-value was computed. */
  method: "exact" | "asymptotic";
}

/** scipy's `MAX_AUTO_N`: `method="auto"` is exact when both samples are at most this large. */
const KS_MAX_AUTO_N = 10_000;

/**
 * Runs the two-sided two-sample Kolmogorov–Smirnov test, as `scipy.stats.ks_2samp`.
 *
 * D is the largest gap between the two empirical CDFs. With `method: "auto"` the p-value is
 * exact when both samples hold at most 10,000 values: the share of lattice paths from (0, 0)
 * to (n1, n2) that leave the band |x/n1 − y/n2| < D (scipy's `_compute_prob_outside_square`
 * for equal sizes, Viehmann's recursion of Hodges' inside method otherwise). Larger samples
 * use the one-sample Kolmogorov distribution for n = round(n1·n2 / (n1 + n2)) (scipy's
 * `kstwo.sf`), computed with the method Simard and L'Ecuyer (2011) pick for each region:
 * Ruben–Gambino closed forms, the Durbin matrix (Marsaglia–Tsang–Wang), twice the exact
 * one-sided Smirnov tail (Birnbaum–Tingey sum), or the Pelz–Good series. Where scipy uses the
 * Pomeranz recursion (n ≤ 140) this uses the Durbin matrix, which gives the same exact value.
 *
 * @param a the first sample (any order; NaN and infinities are rejected)
 * @param b the second sample
 * @param options the p-value method
 * @returns D, the p-value and the method used
 * @throws {RangeError} when a sample is empty or holds a value that is not finite
 * @example
 * ```ts
 * ksTwoSample([1, 2, 3, 4], [3, 4, 5, 6]); // { statistic: 0.5, pValue: 0.7714…, method: "exact" }
 * ```
 */
export function ksTwoSample(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: KsOptions = {},
): KsResult {
  const { method } = { ...DEFAULT_KS_OPTIONS, ...options };
  const x = sortedFinite(a, "run the KS test", "first sample");
  const y = sortedFinite(b, "run the KS test", "second sample");
  const n1 = x.length;
  const n2 = y.length;
  let d = ksStatisticSorted(x, y);
  let mode: "exact" | "asymptotic" = method === "auto"
    ? (Math.max(n1, n2) <= KS_MAX_AUTO_N ? "exact" : "asymptotic")
    : method;
  if (mode === "exact") {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    // Beyond 2^31 lattice steps the path count is not attempted (scipy switches too).
    if (n1 / g < (2 ** 31 - 1) / (n2 / g)) {
      const h = Math.round(d * lcm);
      const snapped = h / lcm;
      const p = h === 0 ? 1 : n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
      if (Number.isFinite(p) && p >= 0 && p <= 1) {
        return { statistic: snapped, pValue: p, method: "exact" };
      }
      d = snapped;
    }
    mode = "asymptotic";
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = Math.max(1, roundHalfEven((m * n) / (m + n)));
  return { statistic: d, pValue: clip01(kolmogorovSf(en, d)), method: mode };
}

/** D over two ascending samples: walk the distinct values and track |F1 − F2|. */
function ksStatisticSorted(x: Float64Array, y: Float64Array): number {
  const n1 = x.length;
  const n2 = y.length;
  let i = 0;
  let j = 0;
  let d = 0;
  // Once one sample is used up its CDF is 1 and the other's only climbs towards 1.
  while (i < n1 && j < n2) {
    const xi = x[i]!;
    const yj = y[j]!;
    const v = xi <= yj ? xi : yj;
    while (i < n1 && x[i] === v) i++;
    while (j < n2 && y[j] === v) j++;
    const gap = Math.abs(i / n1 - j / n2);
    if (gap > d) d = gap;
  }
  return d;
}

/**
 * P(D ≥ h/n) for two samples of size n: scipy's `_compute_prob_outside_square`, the
 * alternating reflection sum 2·Σ (−1)^(k−1) C(2n, n − kh) / C(2n, n) in Horner form.
 */
function probOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let term = 1;
    for (let j = 0; j < h; j++) term = ((n - k * h - j) * term) / (n + k * h + j + 1);
    p = term * (1 - p);
  }
  return 2 * p;
}

/**
 * P(D ≥ h/lcm) for sizes m ≠ n: the share of lattice paths that leave the band
 * |x/m − y/n| < h/lcm, computed column by column as 1 − (share inside), following Viehmann
 * (2021) as scipy's `_compute_outer_prob_inside_method` does.
 */
function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  // Entries past the live window stand for paths already outside: probability 1.
  const a = new Float64Array(n + 2).fill(1);
  a.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (a[jj + minj - lastminj]! * i + val * j) / (i + j);
      a[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) a.fill(1, curlen, lastlen);
  }
  return a[maxj - minj - 1]!;
}

/**
 * P(D_n ≥ x) for the one-sample two-sided statistic (scipy's `kstwo.sf`, `_kolmogn`),
 * choosing the method by region as Simard and L'Ecuyer (2011).
 */
function kolmogorovSf(n: number, x: number): number {
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    // Ruben–Gambino: P(D_n ≤ x) = n!/n^n · (2t − 1)^n for 1/(2n) ≤ x ≤ 1/n.
    if (t <= 0.5) return 1;
    let cdf: number;
    if (n <= 140) {
      cdf = 1;
      for (let i = 1; i <= n; i++) cdf *= (i / n) * (2 * t - 1);
    } else {
      cdf = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    }
    return clip01(1 - cdf);
  }
  if (t >= n - 1) return clip01(2 * (1 - x) ** n);
  // Above 0.5 both one-sided tails cannot happen together, so the sum is exact.
  if (x >= 0.5) return clip01(2 * smirnovSf(n, x));
  const nxx = t * x;
  if (n <= 140) {
    if (nxx <= 4) return clip01(1 - durbinCdf(n, x));
    return clip01(2 * smirnovSf(n, x));
  }
  if (nxx >= 370) return 0;
  if (nxx >= 2.2) return clip01(2 * smirnovSf(n, x));
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinCdf(n, x) : pelzGoodCdf(n, x);
  return clip01(1 - cdf);
}

/**
 * P(D_n⁺ ≥ x), the exact one-sided Smirnov tail: the Birnbaum–Tingey sum
 * x·Σ_{j ≤ n(1−x)} C(n, j)(x + j/n)^(j−1)(1 − x − j/n)^(n−j), summed in log space. Every term
 * is positive, so there is no cancellation; scipy evaluates the same sum (in double-double).
 */
function smirnovSf(n: number, x: number): number {
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const last = Math.floor(n * (1 - x));
  const logX = Math.log(x);
  let logBinomial = 0;
  let maxLog = -Infinity;
  let scaled = 0;
  for (let j = 0; j <= last; j++) {
    if (j > 0) logBinomial += Math.log((n - j + 1) / j);
    const rest = 1 - x - j / n;
    if (rest <= 0) break;
    const logTerm = logX + logBinomial + (j - 1) * Math.log(x + j / n) + (n - j) * Math.log(rest);
    if (logTerm > maxLog) {
      scaled = scaled * Math.exp(maxLog - logTerm) + 1;
      maxLog = logTerm;
    } else {
      scaled += Math.exp(logTerm - maxLog);
    }
  }
  return maxLog === -Infinity ? 0 : scaled * Math.exp(maxLog);
}

/** P(D_n ≤ d) by the Durbin matrix in Marsaglia–Tsang–Wang form: (n!/n^n)·(H^n)[k, k]. */
function durbinCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let factorial = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = factorial;
    factorial /= j;
    v[j - 1] = (1 - h ** j) * factorial;
  }
  v[m - 1] = (1 + Math.max(2 * h - 1, 0) ** m - 2 * h ** m) * factorial;
  let base: Float64Array = new Float64Array(m * m);
  for (let col = 1; col < m; col++) {
    for (let row = col - 1; row < m; row++) base[row * m + col] = w[row - col + 1]!;
  }
  for (let row = 0; row < m; row++) base[row * m] = v[row]!;
  for (let col = 0; col < m; col++) base[(m - 1) * m + col] = v[m - 1 - col]!;

  // Square-and-multiply with power-of-two rescaling, tracked in exponents, so nothing
  // overflows (scipy relies on long double for part of this range).
  let power: Float64Array = identity(m);
  let powerExponent = 0;
  let baseExponent = 0;
  for (let e = n; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) {
      power = matmul(power, base, m);
      powerExponent += baseExponent;
      powerExponent += rescale(power);
    }
    if (e > 1) {
      base = matmul(base, base, m);
      baseExponent = 2 * baseExponent + rescale(base);
    }
  }
  let p = power[(k - 1) * m + (k - 1)]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (p !== 0 && Math.abs(p) < 2 ** -128) {
      p *= 2 ** 128;
      powerExponent -= 128;
    }
  }
  return ldexp(p, powerExponent);
}

/**
 * P(D_n ≤ x) by the Pelz–Good (1976) expansion K0 + K1/√n + K2/n + K3/n^1.5 in z = x√n,
 * transcribed from scipy's `_kolmogn_PelzGood`.
 */
function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -(Math.PI ** 2) / 8 / z2;
  if (qlog < -708) return 0;
  let q = Math.exp(qlog);
  const pi2 = Math.PI ** 2;
  const pi4 = pi2 * pi2;
  const pi6 = pi4 * pi2;
  const k1a = -z2;
  const k1b = pi2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * pi2) / 4;
  const k2c = (pi4 * (1 - 2 * z2)) / 16;
  const k3d = (pi6 * (5 - 30 * z2)) / 64;
  const k3c = (pi4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (pi2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const sums = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qpower = q ** (8 * k);
    const coefficients = [
      1,
      k1a + k1b * m2,
      k2a + k2b * m2 + k2c * m4,
      k3a + k3b * m2 + k3c * m4 + k3d * m6,
    ];
    for (let i = 0; i < 4; i++) sums[i] = sums[i]! * qpower + coefficients[i]!;
  }
  const sqrt2pi = Math.sqrt(2 * Math.PI);
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) sums[i] = (sums[i]! * q * sqrt2pi) / divisors[i]!;
  q = Math.exp(-pi2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qpower = q ** k2;
    const kpi = Math.PI * k;
    k2extra += k2 * qpower;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qpower;
  }
  sums[2] = sums[2]! + (k2extra * pi2 * sqrt2pi) / (-36 * z3);
  sums[3] = sums[3]! + (k3extra * pi2 * sqrt2pi) / (216 * z6);
  let total = 0;
  for (let i = 0; i < 4; i++) total += sums[i]! / n ** (i / 2);
  return total;
}

/** log(n!/n^n) by Stirling's series with n·log(n) removed up front (scipy's helper). */
function logFactorialOverPower(n: number): number {
  const coefficients = [
    -2.955065359477124183e-2,
    6.4102564102564102564e-3,
    -1.9175269175269175269e-3,
    8.4175084175084175084e-4,
    -5.952380952380952381e-4,
    7.9365079365079365079e-4,
    -2.7777777777777777778e-3,
    8.3333333333333333333e-2,
  ];
  const rn = 1 / n;
  let poly = 0;
  for (const c of coefficients) poly = poly * (rn / n) + c;
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + rn * poly;
}

function identity(m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) out[i * m + i] = 1;
  return out;
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!;
      if (aik === 0) continue;
      const rowB = k * m;
      const rowOut = i * m;
      for (let j = 0; j < m; j++) out[rowOut + j]! += aik * b[rowB + j]!;
    }
  }
  return out;
}

/** Divides `matrix` by 2^128 while its largest entry exceeds 2^128; returns the exponent taken out. */
function rescale(matrix: Float64Array): number {
  let largest = 0;
  for (const value of matrix) largest = Math.max(largest, Math.abs(value));
  let exponent = 0;
  while (largest > 2 ** 128) {
    for (let i = 0; i < matrix.length; i++) matrix[i] = matrix[i]! * 2 ** -128;
    largest *= 2 ** -128;
    exponent += 128;
  }
  return exponent;
}

/** value · 2^exponent without overflowing the intermediate power of two. */
function ldexp(value: number, exponent: number): number {
  let out = value;
  let rest = exponent;
  while (rest > 0 && out !== 0 && Number.isFinite(out)) {
    const step = Math.min(rest, 1000);
    out *= 2 ** step;
    rest -= step;
  }
  while (rest < 0 && out !== 0) {
    const step = Math.max(rest, -1000);
    out *= 2 ** step;
    rest -= step;
  }
  return out;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** numpy's `round`: halves go to the even neighbour. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
