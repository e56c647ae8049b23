import type { HostMetricType, HostSample, HostSnapshot, HostMetadata } from "#server/modules/collection/host/host.types.ts";

/**
 * Collects samples family by family so each family's metadata is recorded once, however many
 * series it has, and families keep the order they were first added in (stable exposition).
 */
export interface SnapshotBuilder {
  add(name: string, type: HostMetricType, help: string, value: number, labels?: Record<string, string>): void;
  build(): HostSnapshot;
}

export function createSnapshotBuilder(): SnapshotBuilder {
  const metadata = new Map<string, HostMetadata>();
  const samples: HostSample[] = [];
  return {
    add(name, type, help, value, labels = {}) {
      if (!metadata.has(name)) metadata.set(name, { metric_family_name: name, type, help, unit: "" });
      samples.push({ labels: { __name__: name, ...labels }, value });
    },
    build: () => ({ samples: [...samples], metadata: [...metadata.values()] }),
  };
}
