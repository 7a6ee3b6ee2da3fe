// AWS-shaped IAM unique ids: a 4-letter kind prefix (AIDA user, AGPA group, AROA role, ANPA policy) + 17 characters.
import { randomInt } from 'node:crypto';

export type IamIdPrefix = 'AIDA' | 'AGPA' | 'AROA' | 'ANPA';

// AWS unique ids use upper-case letters and digits; 17 of them after the prefix gives 21 characters, as AWS.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function newIamId(prefix: IamIdPrefix): string {
  let out = prefix;
  for (let i = 0; i < 17; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}
