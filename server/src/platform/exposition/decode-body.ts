import { ExpositionError } from "#server/platform/exposition/exposition-error.ts";

/*
 * Exposition bodies are UTF-8 and anything else is refused, so label values and HELP text are
 * always valid strings. A byte order mark is kept (and then refused by the parser, as Prometheus does).
 */

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function decodeBody(body: string | Uint8Array): string {
  if (typeof body === "string") {
    // A string with a lone surrogate did not come from valid UTF-8.
    if (!body.isWellFormed()) throw new ExpositionError(lineOfLoneSurrogate(body), "invalid UTF-8 (lone surrogate)");
    return body;
  }
  try {
    return decoder.decode(body);
  } catch {
    throw new ExpositionError(lineOfInvalidUtf8(body), "invalid UTF-8");
  }
}

/** Only runs on a refused body, to name the line. */
function lineOfInvalidUtf8(bytes: Uint8Array): number {
  let line = 1;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    if (b === 0x0a) line++;
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0 || !validSequence(bytes, i, length)) return line;
    i += length;
  }
  return line;
}

function validSequence(bytes: Uint8Array, start: number, length: number): boolean {
  if (start + length > bytes.length) return false;
  for (let k = 1; k < length; k++) {
    const b = bytes[start + k] ?? 0;
    if ((b & 0xc0) !== 0x80) return false;
  }
  const lead = bytes[start] ?? 0;
  const second = bytes[start + 1] ?? 0;
  // Overlong forms, surrogates and code points above U+10FFFF.
  if (lead === 0xe0 && second < 0xa0) return false;
  if (lead === 0xed && second > 0x9f) return false;
  if (lead === 0xf0 && second < 0x90) return false;
  if (lead === 0xf4 && second > 0x8f) return false;
  return true;
}

function lineOfLoneSurrogate(text: string): number {
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
    else if (c >= 0xd800 && c <= 0xdfff) return line;
  }
  return line;
}
