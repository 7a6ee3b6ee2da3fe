// The shape of one schema migration. Its own module so migration files need not import index.ts (which imports them).

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}
