// A streaming check of how deeply a JSON text nests, fed the body chunk by
// chunk as it arrives. JSON.parse has no depth option and, on a body of
// millions of brackets, runs for seconds on the event loop before anything
// can refuse it; this scan is one pass over bytes with three variables, so a
// hostile body is refused at the first bracket past the bound, before the rest
// is even read. Streaming JSON parsers on npm (e.g. stream-json) would build
// every value as objects to answer the same question; we only need the depth.
//
// Bytes, not characters: the structural characters are ASCII, and no byte of
// a multi-byte UTF-8 sequence is below 0x80, so scanning bytes is exact.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

export class JsonDepthScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(readonly maxDepth: number) {}

  /** Scans the next bytes; returns false as soon as the nesting passes maxDepth. */
  push(chunk: Uint8Array): boolean {
    let { depth, inString, escaped } = this;
    const max = this.maxDepth;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (byte === BACKSLASH) escaped = true;
        else if (byte === QUOTE) inString = false;
      } else if (byte === QUOTE) inString = true;
      else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
        if (++depth > max) {
          this.depth = depth;
          return false;
        }
      } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) depth--;
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    return true;
  }
}
