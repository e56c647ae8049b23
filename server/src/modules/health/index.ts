export { createHealthService } from "#server/modules/health/health.service.ts";
export type { HealthService, ComponentStatus, ProviderStatus } from "#server/modules/health/health.service.ts";
