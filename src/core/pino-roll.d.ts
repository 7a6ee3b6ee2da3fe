// Types for pino-roll 4 (it ships none): the options Gatehouse uses and the SonicBoom stream it returns.
declare module 'pino-roll' {
  import type { EventEmitter } from 'node:events';

  export interface PinoRollOptions {
    /** Path without the number and extension; `<file>.<n><extension>` is written. */
    file: string | (() => string);
    /** `<n>b`, `<n>k`, `<n>m`, `<n>g`; a bare number means MB. */
    size?: string | number;
    frequency?: 'daily' | 'hourly' | number;
    extension?: string;
    symlink?: boolean;
    limit?: { count: number; removeOtherLogFiles?: boolean };
    dateFormat?: string;
    mkdir?: boolean;
    sync?: boolean;
    mode?: number;
  }

  /** The SonicBoom stream pino-roll writes through; `file` is the numbered file being written now. */
  export interface RollingStream extends EventEmitter {
    readonly file: string | null;
    write(data: string): boolean;
    end(): void;
  }

  export default function pinoRoll(options: PinoRollOptions): Promise<RollingStream>;
}
