/**
 * `date` on the virtual clock, in UTC (containers run with `TZ` unset).
 *
 * @module
 */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const pad = (n: number, width = 2, fill = '0'): string => String(n).padStart(width, fill);

/**
 * Formats `ms` (Unix milliseconds) as `date` does: without a format, `Sat Dec  5 17:54:25 UTC 2026`
 * (busybox's and coreutils' default in the C locale); with `+FORMAT`, the strftime conversions
 * `%Y %m %d %e %H %M %S %s %N %T %F %D %R %a %A %b %B %h %j %y %Z %z %n %t %%` (others are printed as written).
 *
 * @example
 * ```ts
 * formatDate(0); // 'Thu Jan  1 00:00:00 UTC 1970'
 * formatDate(90_061_000, '%F %T'); // '1970-01-02 01:01:01'
 * ```
 */
export function formatDate(ms: number, format?: string): string {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const mo = d.getUTCMonth();
  const day = d.getUTCDate();
  const h = d.getUTCHours();
  const mi = d.getUTCMinutes();
  const s = d.getUTCSeconds();
  const wd = d.getUTCDay();
  if (format === undefined) return `${DAYS[wd]} ${MONTHS[mo]} ${pad(day, 2, ' ')} ${pad(h)}:${pad(mi)}:${pad(s)} UTC ${y}`;
  const yday = Math.floor((Date.UTC(y, mo, day) - Date.UTC(y, 0, 1)) / 86_400_000) + 1;
  const full = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const fullMonths = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  return format.replace(/%([a-zA-Z%])/g, (all, c: string) => {
    switch (c) {
      case 'Y': return String(y);
      case 'y': return pad(y % 100);
      case 'm': return pad(mo + 1);
      case 'd': return pad(day);
      case 'e': return pad(day, 2, ' ');
      case 'H': return pad(h);
      case 'M': return pad(mi);
      case 'S': return pad(s);
      case 's': return String(Math.floor(ms / 1000));
      case 'N': return pad((ms % 1000) * 1_000_000, 9);
      case 'T': return `${pad(h)}:${pad(mi)}:${pad(s)}`;
      case 'R': return `${pad(h)}:${pad(mi)}`;
      case 'F': return `${y}-${pad(mo + 1)}-${pad(day)}`;
      case 'D': return `${pad(mo + 1)}/${pad(day)}/${pad(y % 100)}`;
      case 'a': return DAYS[wd]!;
      case 'A': return full[wd]!;
      case 'b':
      case 'h': return MONTHS[mo]!;
      case 'B': return fullMonths[mo]!;
      case 'j': return pad(yday, 3);
      case 'Z': return 'UTC';
      case 'z': return '+0000';
      case 'n': return '\n';
      case 't': return '\t';
      case '%': return '%';
      default: return all;
    }
  });
}
