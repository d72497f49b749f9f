/**
 * `metav1.Time` as SCM's Go code sees it: an RFC 3339 string decoded to a point in time (in UTC: SCM's image
 * has no local time zone), printed as `time.Time.String()` prints it, and ordered by `UnixNano` (which Go
 * computes modulo 2^64, so the zero time of an object without a timestamp sorts before every real one).
 */

/** A point in time: whole seconds since the Unix epoch (UTC) and nanoseconds. */
export interface GoTime {
  readonly seconds: bigint;
  readonly nanos: number;
}

/** Go's zero `time.Time` (January 1, year 1, UTC). */
const ZERO_TIME: GoTime = { seconds: civilToDays(1, 1, 1) * 86_400n, nanos: 0 };

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/** A `metav1.Time` payload as a time; absent, null or unparsable payloads are the zero time. */
export function parseTime(raw: unknown): GoTime {
  if (typeof raw !== "string") return ZERO_TIME;
  const match = RFC3339.exec(raw);
  if (match === null) return ZERO_TIME;
  const [, year, month, day, hour, minute, second, fraction = "", sign, offsetHours, offsetMinutes] = match;
  const days = civilToDays(Number(year), Number(month), Number(day));
  const offset =
    sign === undefined
      ? 0
      : (sign === "-" ? -1 : 1) * (Number(offsetHours) * 3600 + Number(offsetMinutes) * 60);
  const seconds =
    days * 86_400n + BigInt(Number(hour) * 3600 + Number(minute) * 60 + Number(second) - offset);
  return { seconds, nanos: Number(fraction.padEnd(9, "0")) };
}

/** Go's `time.Time.String()` for a UTC time: `2006-01-02 15:04:05.999999999 +0000 UTC`. */
export function formatTime(time: GoTime): string {
  const { year, month, day, hour, minute, second } = timeFields(time);
  const fraction = time.nanos === 0 ? "" : `.${String(time.nanos).padStart(9, "0").replace(/0+$/, "")}`;
  const yearText = year < 0 ? `-${String(-year).padStart(4, "0")}` : String(year).padStart(4, "0");
  return `${yearText}-${pad(month)}-${pad(day)} ${pad(hour)}:${pad(minute)}:${pad(second)}${fraction} +0000 UTC`;
}

/** The calendar fields of a UTC time. */
export function timeFields(time: GoTime): {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  yearDay: number;
} {
  const days = floorDiv(time.seconds, 86_400n);
  const secondOfDay = Number(time.seconds - days * 86_400n);
  const { year, month, day } = daysToCivil(days);
  const yearDay = Number(days - civilToDays(year, 1, 1)) + 1;
  return {
    year,
    month,
    day,
    hour: Math.floor(secondOfDay / 3600),
    minute: Math.floor((secondOfDay % 3600) / 60),
    second: secondOfDay % 60,
    yearDay,
  };
}

/** Whether a time is Go's zero time. */
export function isZeroTime(time: GoTime): boolean {
  return time.seconds === ZERO_TIME.seconds && time.nanos === 0;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function civilToDays(year: number, month: number, day: number): bigint {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return BigInt(era * 146_097 + dayOfEra - 719_468);
}

function daysToCivil(days: bigint): { year: number; month: number; day: number } {
  const z = Number(days) + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function floorDiv(a: bigint, b: bigint): bigint {
  const quotient = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? quotient - 1n : quotient;
}

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

/** Go's `t.UnixNano()`, including its int64 wrap-around for times outside 1678..2262. */
export function unixNano(time: GoTime): bigint {
  return BigInt.asIntN(64, time.seconds * 1_000_000_000n + BigInt(time.nanos));
}
