export { createHealthService } from "#server/modules/health/health.service.ts";
export type { HealthService, ComponentStatus } from "#server/modules/health/health.service.ts";
