// Wildcard matching for IAM (`*` any run of characters, `?` exactly one) without RegExp: a pattern is
// compiled once into literal pieces split at `*`, and matched by anchored first/last pieces plus
// leftmost search for the middle ones (correct for fixed-length pieces, linear in practice).

interface Piece {
  readonly text: string;
  /** 1 where the piece has a `?` wildcard; null when the piece is fully literal. */
  readonly wild: Uint8Array | null;
}

const EXACT = 0;
const ANY = 1;
const GENERAL = 2;

function pieceAt(value: string, pos: number, piece: Piece): boolean {
  const { text, wild } = piece;
  if (wild === null) return value.startsWith(text, pos);
  for (let i = 0; i < text.length; i++) {
    if (wild[i] === 1) continue;
    if (value.charCodeAt(pos + i) !== text.charCodeAt(i)) return false;
  }
  return true;
}

function findPiece(value: string, from: number, limit: number, piece: Piece): number {
  if (piece.wild === null) {
    const at = value.indexOf(piece.text, from);
    return at >= 0 && at <= limit ? at : -1;
  }
  for (let i = from; i <= limit; i++) if (pieceAt(value, i, piece)) return i;
  return -1;
}

export class Glob {
  private readonly kind: number;

  constructor(
    private readonly pieces: readonly Piece[],
    /** The pattern as written, for explanations. */
    readonly source: string,
  ) {
    const first = pieces[0];
    if (pieces.length === 1 && first && first.wild === null) this.kind = EXACT;
    else if (pieces.length > 1 && pieces.every((p) => p.text === '')) this.kind = ANY;
    else this.kind = GENERAL;
  }

  /** A glob from pattern text where every `*` and `?` is a wildcard. */
  static of(pattern: string): Glob {
    return new GlobBuilder().pattern(pattern).build();
  }

  get matchesEverything(): boolean {
    return this.kind === ANY;
  }

  /** Whether value[start, end) matches the whole pattern. */
  match(value: string, start = 0, end = value.length): boolean {
    const pieces = this.pieces;
    if (this.kind === ANY) return true;
    const first = pieces[0] as Piece;
    if (this.kind === EXACT) return end - start === first.text.length && value.startsWith(first.text, start);
    if (pieces.length === 1) return end - start === first.text.length && pieceAt(value, start, first);
    const last = pieces[pieces.length - 1] as Piece;
    const tailAt = end - last.text.length;
    let pos = start + first.text.length;
    if (pos > tailAt) return false;
    if (!pieceAt(value, start, first) || !pieceAt(value, tailAt, last)) return false;
    for (let i = 1; i < pieces.length - 1; i++) {
      const piece = pieces[i] as Piece;
      const at = findPiece(value, pos, tailAt - piece.text.length, piece);
      if (at < 0) return false;
      pos = at + piece.text.length;
    }
    return true;
  }
}

/** Assembles a glob from pattern text (wildcards active) and literal text (policy-variable values, escapes). */
export class GlobBuilder {
  private readonly pieces: Piece[] = [];
  private text = '';
  private wild: number[] = [];
  private source = '';

  pattern(text: string): this {
    this.source += text;
    for (const ch of text) {
      if (ch === '*') this.cut();
      else if (ch === '?') {
        this.wild.push(this.text.length);
        this.text += '?';
      } else this.text += ch;
    }
    return this;
  }

  literal(text: string): this {
    this.source += text;
    this.text += text;
    return this;
  }

  private cut(): void {
    this.pieces.push(this.piece());
    this.text = '';
    this.wild = [];
  }

  private piece(): Piece {
    if (this.wild.length === 0) return { text: this.text, wild: null };
    const wild = new Uint8Array(this.text.length);
    for (const i of this.wild) wild[i] = 1;
    return { text: this.text, wild };
  }

  build(): Glob {
    return new Glob([...this.pieces, this.piece()], this.source);
  }
}
