import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SCRAPE_ACCEPT_HEADER, selectExpositionFormat } from "#server/platform/exposition/content-negotiation.ts";

describe("content negotiation", () => {
  it("asks for OpenMetrics 1.0 first, then text 0.0.4, then anything, like Prometheus", () => {
    assert.equal(
      SCRAPE_ACCEPT_HEADER,
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    );
    assert.ok(!SCRAPE_ACCEPT_HEADER.includes("protobuf"), "protobuf is never requested");
  });

  it("selects the OpenMetrics parser for any OpenMetrics media type", () => {
    for (const type of [
      "application/openmetrics-text; version=1.0.0; charset=utf-8",
      "application/openmetrics-text;version=0.0.1",
      "Application/OpenMetrics-Text",
      "  application/openmetrics-text ; version=1.0.0",
    ]) {
      assert.equal(selectExpositionFormat(type), "openmetrics", type);
    }
  });

  it("falls back to the text parser for text/plain, missing, unknown or malformed types", () => {
    for (const type of [undefined, "", "text/plain; version=0.0.4; charset=utf-8", "text/plain", "application/json", "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily", ";;;", "application/openmetrics-textual"]) {
      assert.equal(selectExpositionFormat(type), "prometheus", String(type));
    }
  });
});
