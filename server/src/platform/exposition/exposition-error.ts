import type { ExpositionLimits } from "#server/platform/exposition/exposition.types.ts";

/** A body that is not a valid exposition, or that exceeds a limit; the message names the line. */
export class ExpositionError extends Error {
  /** 1-based line of the problem; 0 when it concerns the body as a whole. */
  readonly line: number;
  /** Set when the body was refused because it exceeds this limit rather than because it is malformed. */
  readonly limit: keyof ExpositionLimits | undefined;

  constructor(line: number, message: string, limit?: keyof ExpositionLimits) {
    super(line > 0 ? `line ${line}: ${message}` : message);
    this.name = "ExpositionError";
    this.line = line;
    this.limit = limit;
  }
}
