import type { ExpositionFormat } from "#server/platform/exposition/exposition.types.ts";

/**
 * What a scraper sends as `Accept`: OpenMetrics 1.0 first, then text format 0.0.4, then anything
 * (parsed as text), the same preference order as Prometheus. Protobuf is not offered, so an
 * exporter never answers with a format this package cannot parse.
 */
export const SCRAPE_ACCEPT_HEADER =
  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75," +
  "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/**
 * The parser a response needs, from its `Content-Type`. Like Prometheus, only an OpenMetrics media
 * type (any version) selects the OpenMetrics parser; text/plain, a missing, malformed or unknown
 * type fall back to the lenient text-format parser.
 */
export function selectExpositionFormat(contentType: string | undefined): ExpositionFormat {
  if (contentType === undefined) return "prometheus";
  const semicolon = contentType.indexOf(";");
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return mediaType === "application/openmetrics-text" ? "openmetrics" : "prometheus";
}
