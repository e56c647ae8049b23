export { createRemoteWriteService } from "#server/modules/ingest/remote-write.service.ts";
export type { RemoteWriteLimits, RemoteWriteResult, RemoteWriteService } from "#server/modules/ingest/remote-write.service.ts";
