// The values of the global condition keys every caller formats the same way: aws:SourceIp and the date keys.

/** aws:SourceIp as AWS reports it: an IPv4 client seen through a dual-stack socket (::ffff:a.b.c.d) is IPv4. */
export function awsSourceIp(address: string): string {
  return address.startsWith('::ffff:') ? address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '') : address;
}

let lastIsoSecond = Number.NaN;
let lastIso = '';

/** ISO 8601 without milliseconds, as AWS sends date condition keys (aws:CurrentTime, aws:TokenIssueTime). */
export function isoSeconds(d: Date): string {
  // Memo of the last second formatted: every connection within one second asks for the same string.
  const second = Math.floor(d.getTime() / 1000);
  if (second !== lastIsoSecond) {
    lastIsoSecond = second;
    lastIso = d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return lastIso;
}
