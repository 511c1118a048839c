// A small KQL lexer that only tracks what matters for placing a value safely: is a position in
// code, inside a string literal, or inside a // comment, and does a literal or an "@" end right
// before it. Rules from Kusto's own grammar (microsoft/Kusto-Query-Language, KqlTokens.g4):
//   "..." '...'       backslash escapes, no raw line break
//   @"..." @'...'     verbatim: a doubled quote is the escape, backslash is literal, no line break
//   h / H prefix      obfuscated form of any of the above (same body rules)
//   ```...``` ~~~...~~~  multi-line, no escapes
//   // ...           comment up to \n, \r, U+2028 or U+2029

/** What the text scanned so far leaves open at its end. */
export type KqlPosition =
  | {
      kind: 'code';
      /** The character right before: '@' turns a following "..." into a verbatim literal, and a
       * literal that has just closed joins a following literal (after a verbatim one, the two
       * quotes even read as one escaped quote). */
      after: 'at' | 'literal' | 'other';
    }
  | { kind: 'literal'; opener: string; closer: string; line: number }
  | { kind: 'comment'; line: number };

/** A single-line literal that reached a line break or the end of the text without closing. */
export interface UnclosedLiteral {
  opener: string;
  closer: string;
  line: number;
}

type State = 'code' | 'plain' | 'verbatim' | 'fenced' | 'comment';

const LINE_BREAKS = new Set(['\n', '\r', '\u2028', '\u2029']);

export class KqlScanner {
  private state: State = 'code';
  private opener = '';
  private closer = '';
  private openedOnLine = 0;
  private line = 1;
  private after: 'at' | 'literal' | 'other' = 'other';
  /** Plain literal: the previous character was a backslash. */
  private escaping = false;
  /** Verbatim literal: a quote was the last character; doubled or closing depends on the next one. */
  private quotePending = false;
  private lastWasCr = false;
  readonly unclosed: UnclosedLiteral[] = [];

  /** Scans text that the rendered query will contain as written. */
  feed(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      this.countLine(c);
      switch (this.state) {
        case 'code':
          i = this.code(text, i);
          break;
        case 'plain':
          if (this.escaping) this.escaping = false;
          else if (c === '\\') this.escaping = true;
          else if (c === this.closer) this.close();
          else if (c === '\n' || c === '\r') this.breakLiteral();
          break;
        case 'verbatim':
          if (this.quotePending) {
            this.quotePending = false;
            if (c === this.closer) break; // doubled quote: one literal quote character
            this.close();
            i = this.code(text, i);
          } else if (c === this.closer) this.quotePending = true;
          else if (c === '\n' || c === '\r') this.breakLiteral();
          break;
        case 'fenced':
          if (text.startsWith(this.closer, i)) {
            i += this.closer.length - 1;
            this.close();
          }
          break;
        case 'comment':
          if (LINE_BREAKS.has(c)) {
            this.state = 'code';
            this.after = 'other';
          }
          break;
      }
    }
  }

  /** An escaped value was inserted here: one complete "..." literal, or long(n) / true / (...). */
  inserted(): void {
    if (this.state === 'verbatim' && this.quotePending) this.close();
    this.after = 'other';
  }

  /** Text the scanner cannot see (a raw {{{value}}}): the literal state carries on, adjacency is unknown. */
  opaque(): void {
    if (this.state === 'verbatim' && this.quotePending) this.close();
    this.after = 'other';
  }

  /** Where the next character would fall. */
  position(): KqlPosition {
    // A verbatim literal whose closing quote is the last character scanned: closed, unless the
    // next character is a quote, which is exactly what an inserted literal starts with.
    if (this.state === 'verbatim' && this.quotePending) return { kind: 'code', after: 'literal' };
    if (this.state === 'code') return { kind: 'code', after: this.after };
    if (this.state === 'comment') return { kind: 'comment', line: this.openedOnLine };
    return { kind: 'literal', opener: this.opener, closer: this.closer, line: this.openedOnLine };
  }

  /** Call at the end of the text: a literal still open there is unclosed. */
  finish(): UnclosedLiteral[] {
    if (this.state === 'verbatim' && this.quotePending) this.close();
    if (this.state === 'plain' || this.state === 'verbatim' || this.state === 'fenced') {
      this.unclosed.push({ opener: this.opener, closer: this.closer, line: this.openedOnLine });
      this.state = 'code';
    }
    return this.unclosed;
  }

  /** Handles text[i] in code; returns the index of the last character consumed. */
  private code(text: string, i: number): number {
    const c = text[i]!;
    if (c === '/' && text[i + 1] === '/') {
      this.open('comment', '//', '');
      return i + 1;
    }
    for (const fence of ['```', '~~~']) {
      if (text.startsWith(fence, i)) {
        this.open('fenced', this.prefix(text, i) + fence, fence);
        return i + fence.length - 1;
      }
    }
    if (c === '@' && (text[i + 1] === '"' || text[i + 1] === "'")) {
      this.open('verbatim', `${this.prefix(text, i)}@${text[i + 1]}`, text[i + 1]!);
      return i + 1;
    }
    if (c === '"' || c === "'") {
      this.open('plain', this.prefix(text, i) + c, c);
      return i;
    }
    this.after = c === '@' ? 'at' : 'other';
    return i;
  }

  /** The h / H of an obfuscated literal, for the message only (the body rules are the same). */
  private prefix(text: string, i: number): string {
    const p = text[i - 1];
    return (p === 'h' || p === 'H') && !/[\w$]/.test(text[i - 2] ?? '') ? p : '';
  }

  private open(state: State, opener: string, closer: string): void {
    this.state = state;
    this.opener = opener;
    this.closer = closer;
    this.openedOnLine = this.line;
    this.escaping = false;
    this.quotePending = false;
  }

  private close(): void {
    this.state = 'code';
    this.after = 'literal';
    this.quotePending = false;
  }

  private breakLiteral(): void {
    this.unclosed.push({ opener: this.opener, closer: this.closer, line: this.openedOnLine });
    this.state = 'code';
    this.after = 'other';
  }

  private countLine(c: string): void {
    if (c === '\n') {
      if (!this.lastWasCr) this.line++;
    } else if (c === '\r' || c === '\u2028' || c === '\u2029') {
      this.line++;
    }
    this.lastWasCr = c === '\r';
  }
}
