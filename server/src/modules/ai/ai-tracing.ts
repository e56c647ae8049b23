import type { Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider, type SpanProcessor } from "@opentelemetry/sdk-trace";

export interface LangfuseSettings {
  host: string;
  publicKey: string;
  secretKey: string;
}

export interface AiTracing {
  tracer: Tracer;
  /** Sends every finished span now (tests, shutdown). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Langfuse's OTLP/HTTP endpoint for traces, with basic auth public:secret. */
export function langfuseExporter(settings: LangfuseSettings): OTLPTraceExporter {
  return new OTLPTraceExporter({
    url: `${settings.host.replace(/\/+$/, "")}/api/public/otel/v1/traces`,
    headers: { authorization: `Basic ${Buffer.from(`${settings.publicKey}:${settings.secretKey}`).toString("base64")}` },
  });
}

/**
 * The AI layer's own tracer provider (not the global one: several app instances share a
 * test process). Spans go to Langfuse when it is configured, plus any extra processors
 * (tests add an in-memory exporter); without either, spans are created and dropped.
 */
export function createAiTracing(options: { version: string; langfuse?: LangfuseSettings | undefined; processors?: SpanProcessor[] }): AiTracing {
  const processors: SpanProcessor[] = [...(options.processors ?? [])];
  if (options.langfuse !== undefined) processors.push(new BatchSpanProcessor({ exporter: langfuseExporter(options.langfuse) }));
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": "auspex", "service.version": options.version }),
    spanProcessors: processors,
  });
  return {
    tracer: provider.getTracer("auspex.ai", options.version),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
