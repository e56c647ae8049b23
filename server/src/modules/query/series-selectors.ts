import { PromQLError, parsePromQL, type Matcher } from "#server/modules/query/promql/index.ts";

/** Parses the `match[]` selectors of the series, labels and label values endpoints. */
export function parseSeriesSelectors(selectors: readonly string[]): Matcher[][] {
  return selectors.map((selector) => {
    let expr;
    try {
      expr = parsePromQL(selector);
    } catch (error) {
      if (error instanceof PromQLError) throw new PromQLError("bad_data", `invalid parameter "match[]": ${error.message}`);
      throw error;
    }
    if (expr.type !== "vectorSelector" || expr.offset !== 0 || expr.at !== undefined) {
      throw new PromQLError("bad_data", `invalid parameter "match[]": ${JSON.stringify(selector)} is not a series selector`);
    }
    return [...expr.matchers];
  });
}
